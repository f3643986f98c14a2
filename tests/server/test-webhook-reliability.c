/* test-webhook-reliability.c: nothing acknowledged is lost, nothing applied
 * twice, with real processes: coffer-server killed with SIGKILL under load,
 * and PostgreSQL stopped under load. */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"
#include "coffer-test-stripe.h"

#define SECRET "whsec_reliability_secret"
#define N_EVENTS 600
#define N_SENDERS 4

static const char *templates[] = {
  "customer.created.json", "customer.updated.json", "invoice.finalized.json",
  "invoice.paid.json", "invoice.payment_failed.json", "payment_method.attached.json",
  "customer.subscription.updated.json", "charge.failed.json",
};

typedef struct
{
  CofferTestServer *server;
  char            **events;     /* JSON bodies */
  char            **ids;
  guint            *statuses;   /* what each delivery got; 0 = no answer */
  gint              next;       /* atomic: next event to send */
  gint              acknowledged; /* atomic */
} Load;

static void
load_init (Load *load)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  load->events = g_new0 (char *, N_EVENTS + 1);
  load->ids = g_new0 (char *, N_EVENTS + 1);
  load->statuses = g_new0 (guint, N_EVENTS);
  for (guint i = 0; i < N_EVENTS; i++)
    {
      load->ids[i] = g_strdup_printf ("evt_reliability_%05u", i);
      load->events[i] = coffer_test_stripe_event (templates[i % G_N_ELEMENTS (templates)],
                                                  load->ids[i], now - N_EVENTS + i);
    }
}

static void
load_clear (Load *load)
{
  g_strfreev (load->events);
  g_strfreev (load->ids);
  g_free (load->statuses);
}

/* One sender: a kept-alive connection, events taken in turn, each signed
 * at sending time as Stripe does. Stops at the first connection failure. */
static gpointer
sender_main (gpointer data)
{
  Load *load = data;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;

  g_socket_client_set_timeout (client, 30);
  connection = g_socket_client_connect_to_host (client,
                                                coffer_test_server_get_host (load->server),
                                                coffer_test_server_get_port (load->server), NULL,
                                                NULL);
  while (connection)
    {
      gint i = g_atomic_int_add (&load->next, 1);
      g_autofree char *signature = NULL, *request = NULL, *headers = NULL;
      guint status = 0;

      if (i >= N_EVENTS)
        break;
      signature = coffer_test_stripe_sign (load->events[i], strlen (load->events[i]), SECRET,
                                           g_get_real_time () / G_USEC_PER_SEC);
      request = coffer_test_stripe_request (load->events[i], strlen (load->events[i]), signature,
                                            "application/json");
      if (!coffer_test_http_send (connection, request, strlen (request)))
        break;
      headers = coffer_test_http_read_response (connection, &status, NULL);
      if (headers == NULL)
        break;
      load->statuses[i] = status;
      if (status == 200)
        g_atomic_int_inc (&load->acknowledged);
      if (strstr (headers, "Connection: close"))
        break;
    }
  return NULL;
}

static void
send_all (Load *load)
{
  GThread *threads[N_SENDERS];

  for (guint i = 0; i < N_SENDERS; i++)
    threads[i] = g_thread_new ("sender", sender_main, load);
  for (guint i = 0; i < N_SENDERS; i++)
    g_thread_join (threads[i]);
}

static gboolean
stored (const char *conninfo,
        const char *id)
{
  g_autofree char *count = coffer_test_pg_query_value_with (
    conninfo, "SELECT count(*) FROM stripe_event_inbox WHERE id = $1", id);

  return g_strcmp0 (count, "1") == 0;
}

static void
wait_until_applied (const char *conninfo)
{
  /* Workers on the same few objects may deadlock and retry (backoff from 1 s
   * here); allow for a few rounds of that. */
  for (guint i = 0; i < 12000; i++)
    {
      g_autofree char *pending = coffer_test_pg_query_value (
        conninfo, "SELECT count(*) FROM stripe_event_inbox WHERE status = 'pending'");

      if (g_strcmp0 (pending, "0") == 0)
        return;
      g_usleep (10000);
    }
  g_error ("Events were still pending after 120 s");
}

static void
test_sigkill_under_load_loses_nothing_and_applies_once (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  const char * const env[] = { "COFFER_STRIPE_WEBHOOK_SECRETS=" SECRET,
                               "COFFER_STRIPE_SECRET_KEY=sk_test_reliability",
                               "COFFER_WEBHOOK_WORKERS=4", "COFFER_WEBHOOK_RETRY_BASE=1",
                               "COFFER_LOG_LEVEL=warning", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *applied_once = NULL, *total = NULL, *twice = NULL;
  Load load = { 0 };
  GThread *threads[N_SENDERS];
  guint acknowledged_before_kill = 0;

  if (!coffer_test_stripe_have_events ())
    return;
  load_init (&load);
  load.server = coffer_test_server_start (conninfo, env, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < N_SENDERS; i++)
    threads[i] = g_thread_new ("sender", sender_main, &load);
  /* Kill it mid-stream, with requests in flight and events being applied. */
  while (g_atomic_int_get (&load.acknowledged) < N_EVENTS / 3)
    g_usleep (1000);
  coffer_test_server_signal (load.server, SIGKILL);
  for (guint i = 0; i < N_SENDERS; i++)
    g_thread_join (threads[i]);
  g_assert_cmpint (coffer_test_server_wait (load.server), ==, 128 + SIGKILL);
  g_clear_pointer (&load.server, coffer_test_server_free);

  /* Every acknowledgement stands for a committed row. */
  for (guint i = 0; i < N_EVENTS; i++)
    if (load.statuses[i] == 200)
      {
        acknowledged_before_kill++;
        if (!stored (conninfo, load.ids[i]))
          g_error ("%s was acknowledged but is not in the inbox", load.ids[i]);
      }
  g_test_message ("%u events acknowledged before SIGKILL", acknowledged_before_kill);
  g_assert_cmpuint (acknowledged_before_kill, >=, N_EVENTS / 3);
  g_assert_cmpuint (acknowledged_before_kill, <, N_EVENTS);

  /* Stripe delivers again whatever it did not see acknowledged (and, as it
   * may, some it did): everything, here. */
  load.server = coffer_test_server_start (conninfo, env, &error);
  g_assert_no_error (error);
  load.next = 0;
  memset (load.statuses, 0, sizeof (guint) * N_EVENTS);
  send_all (&load);
  for (guint i = 0; i < N_EVENTS; i++)
    g_assert_cmpuint (load.statuses[i], ==, 200);

  wait_until_applied (conninfo);
  total = coffer_test_pg_query_value (conninfo, "SELECT count(*) FROM stripe_event_inbox");
  g_assert_cmpint (atoi (total), ==, N_EVENTS);
  /* Exactly one successful application per event, none twice. */
  applied_once = coffer_test_pg_query_value (
    conninfo, "SELECT count(*) FROM (SELECT event_id FROM stripe_event_attempts "
              "WHERE outcome IN ('processed', 'ignored') GROUP BY event_id "
              "HAVING count(*) = 1) AS once");
  g_assert_cmpint (atoi (applied_once), ==, N_EVENTS);
  twice = coffer_test_pg_query_value (
    conninfo, "SELECT count(*) FROM stripe_event_inbox WHERE status NOT IN ('processed', "
              "'ignored')");
  g_assert_cmpstr (twice, ==, "0");

  g_clear_pointer (&load.server, coffer_test_server_free);
  load_clear (&load);
}

static void
test_database_stopped_under_load_never_acknowledges_unstored (void)
{
  CofferTestPg *pg = coffer_test_pg_new_private ();
  g_autofree char *conninfo = coffer_test_pg_create_database (pg, TRUE);
  const char * const env[] = { "COFFER_STRIPE_WEBHOOK_SECRETS=" SECRET,
                               "COFFER_WEBHOOK_WORKERS=0", "COFFER_LOG_LEVEL=error", NULL };
  g_autoptr (GError) error = NULL;
  Load load = { 0 };
  GThread *threads[N_SENDERS];
  guint ok = 0, unavailable = 0;

  if (!coffer_test_stripe_have_events ())
    {
      coffer_test_pg_free (pg);
      return;
    }
  load_init (&load);
  load.server = coffer_test_server_start (conninfo, env, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < N_SENDERS; i++)
    threads[i] = g_thread_new ("sender", sender_main, &load);
  while (g_atomic_int_get (&load.acknowledged) < N_EVENTS / 4)
    g_usleep (1000);
  coffer_test_pg_stop (pg);
  g_usleep (300000);
  coffer_test_pg_start (pg);
  for (guint i = 0; i < N_SENDERS; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < N_EVENTS; i++)
    {
      /* 200 only for what was committed; otherwise 503 so Stripe retries. */
      if (load.statuses[i] == 200)
        {
          ok++;
          if (!stored (conninfo, load.ids[i]))
            g_error ("%s was acknowledged but is not in the inbox", load.ids[i]);
        }
      else if (load.statuses[i] == 503)
        unavailable++;
      else if (load.statuses[i] != 0)
        g_error ("%s got %u", load.ids[i], load.statuses[i]);
    }
  g_test_message ("%u acknowledged, %u answered 503 while PostgreSQL was down", ok,
                  unavailable);
  g_assert_cmpuint (unavailable, >, 0);

  /* Recovered by itself: Stripe's retries now succeed. */
  load.next = 0;
  send_all (&load);
  for (guint i = 0; i < N_EVENTS; i++)
    g_assert_cmpuint (load.statuses[i], ==, 200);

  g_clear_pointer (&load.server, coffer_test_server_free);
  load_clear (&load);
  coffer_test_pg_free (pg);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webhook/reliability/sigkill-under-load-loses-nothing-and-applies-once",
                   test_sigkill_under_load_loses_nothing_and_applies_once);
  g_test_add_func ("/webhook/reliability/database-stopped-under-load-never-acknowledges-unstored",
                   test_database_stopped_under_load_never_acknowledges_unstored);

  return g_test_run ();
}
