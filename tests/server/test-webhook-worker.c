/* test-webhook-worker.c: stored events reach the mirror through the workers;
 * events that cannot be applied are parked, listed and replayed. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"
#include "coffer-test-stripe.h"

#define SECRET "whsec_worker_tests"

typedef struct
{
  char             *conninfo;
  char             *url_env;
  CofferTestServer *server;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  const char * const env[] = { "COFFER_STRIPE_WEBHOOK_SECRETS=" SECRET,
                               "COFFER_STRIPE_SECRET_KEY=sk_test_worker_tests",
                               "COFFER_WEBHOOK_WORKERS=2", NULL };

  fixture->conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  fixture->url_env = g_strdup_printf ("COFFER_DATABASE_URL=%s", fixture->conninfo);
  fixture->server = coffer_test_server_start (fixture->conninfo, env, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->server, coffer_test_server_free);
  g_free (fixture->conninfo);
  g_free (fixture->url_env);
}

static void
deliver (Fixture    *fixture,
         const char *payload)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *signature = coffer_test_stripe_sign (payload, strlen (payload), SECRET, now);
  g_autofree char *request = coffer_test_stripe_request (payload, strlen (payload), signature,
                                                         "application/json");

  g_assert_cmpuint (coffer_test_http_get (fixture->server, request, NULL, NULL), ==, 200);
}

/* The workers run on their own: wait (bounded) until they are done with @id. */
static char *
wait_for_status (Fixture    *fixture,
                 const char *id)
{
  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *status = coffer_test_pg_query_value_with (
        fixture->conninfo, "SELECT status FROM stripe_event_inbox WHERE id = $1", id);

      if (status && strcmp (status, "pending") != 0)
        return g_steal_pointer (&status);
      g_usleep (10000);
    }
  g_error ("%s was still pending after 30 s", id);
}

static char *
with_member (const char *payload,
             const char *member,
             const char *value)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, payload, -1, NULL));
  json_object_set_string_member (json_node_get_object (json_parser_get_root (parser)), member,
                                 value);
  return json_to_string (json_parser_get_root (parser), FALSE);
}

static void
test_stored_event_reaches_the_mirror (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autofree char *event = NULL, *status = NULL, *customers = NULL, *attempts = NULL;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("customer.created.json", "evt_worker_customer",
                                    g_get_real_time () / G_USEC_PER_SEC);
  deliver (fixture, event);
  status = wait_for_status (fixture, "evt_worker_customer");
  g_assert_cmpstr (status, ==, "processed");
  customers = coffer_test_pg_query_value (fixture->conninfo, "SELECT count(*) FROM customers");
  g_assert_cmpstr (customers, ==, "1");
  attempts = coffer_test_pg_query_value (fixture->conninfo,
                                         "SELECT string_agg (outcome, ',') FROM "
                                         "stripe_event_attempts WHERE event_id = "
                                         "'evt_worker_customer'");
  g_assert_cmpstr (attempts, ==, "processed");
}

static void
test_unknown_type_is_stored_and_ignored (Fixture       *fixture,
                                         gconstpointer  data)
{
  g_autofree char *event = NULL, *odd = NULL, *status = NULL;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("customer.created.json", "evt_worker_unknown",
                                    g_get_real_time () / G_USEC_PER_SEC);
  odd = with_member (event, "type", "issuing_card.created");
  deliver (fixture, odd);
  status = wait_for_status (fixture, "evt_worker_unknown");
  g_assert_cmpstr (status, ==, "ignored");
}

static void
test_unsupported_version_is_parked_listed_and_replayed (Fixture       *fixture,
                                                        gconstpointer  data)
{
  g_autofree char *event = NULL, *old = NULL, *status = NULL, *again = NULL, *history = NULL;
  g_autofree char *listing = NULL, *replayed = NULL, *err = NULL, *empty = NULL;
  const char * const env[] = { fixture->url_env, NULL };
  const char * const list[] = { "events", "list", "--parked", NULL };
  const char * const replay[] = { "events", "replay", "evt_worker_old_version", NULL };
  const char * const replay_unknown[] = { "events", "replay", "evt_no_such_event", NULL };

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_worker_old_version",
                                    g_get_real_time () / G_USEC_PER_SEC);
  old = with_member (event, "api_version", "2014-01-31");
  deliver (fixture, old);

  /* It can never apply, so it is parked at the first attempt, not retried. */
  status = wait_for_status (fixture, "evt_worker_old_version");
  g_assert_cmpstr (status, ==, "parked");

  g_assert_cmpint (coffer_test_run_server_command (list, env, &listing, NULL), ==, 0);
  g_assert_nonnull (strstr (listing, "evt_worker_old_version"));
  g_assert_nonnull (strstr (listing, "parked"));
  g_assert_nonnull (strstr (listing, "2014-01-31"));

  g_assert_cmpint (coffer_test_run_server_command (replay, env, &replayed, NULL), ==, 0);
  g_assert_nonnull (strstr (replayed, "queued again"));
  again = wait_for_status (fixture, "evt_worker_old_version");
  g_assert_cmpstr (again, ==, "parked");
  history = coffer_test_pg_query_value (fixture->conninfo,
                                        "SELECT string_agg (outcome, ',' ORDER BY attempt, "
                                        "started_at) FROM stripe_event_attempts "
                                        "WHERE event_id = 'evt_worker_old_version'");
  g_assert_cmpstr (history, ==, "parked,replayed,parked");

  g_assert_cmpint (coffer_test_run_server_command (replay_unknown, env, &empty, &err), ==, 1);
  g_assert_nonnull (strstr (err, "no event evt_no_such_event"));
}

static void
test_metrics_count_webhooks_and_applied_events (Fixture       *fixture,
                                                gconstpointer  data)
{
  g_autofree char *event = NULL, *status = NULL, *body = NULL;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("customer.created.json", "evt_worker_metrics",
                                    g_get_real_time () / G_USEC_PER_SEC);
  deliver (fixture, event);
  deliver (fixture, event);
  status = wait_for_status (fixture, "evt_worker_metrics");
  g_assert_cmpuint (coffer_test_http_get (fixture->server, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n",
                                          NULL, &body),
                    ==, 200);
  g_assert_nonnull (strstr (body, "coffer_webhooks_received_total{outcome=\"stored\"} 1\n"));
  g_assert_nonnull (strstr (body, "coffer_webhooks_received_total{outcome=\"duplicate\"} 1\n"));
  g_assert_nonnull (strstr (body, "coffer_events_applied_total{type=\"customer.created\","
                                  "outcome=\"applied\"} 1\n"));
  g_assert_nonnull (strstr (body, "coffer_inbox_backlog "));
  g_assert_nonnull (strstr (body, "coffer_inbox_parked "));
  g_assert_nonnull (strstr (body, "coffer_inbox_oldest_pending_seconds "));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/webhook/worker/stored-event-reaches-the-mirror", test_stored_event_reaches_the_mirror);
  ADD ("/webhook/worker/unknown-type-is-stored-and-ignored",
       test_unknown_type_is_stored_and_ignored);
  ADD ("/webhook/worker/unsupported-version-is-parked-listed-and-replayed",
       test_unsupported_version_is_parked_listed_and_replayed);
  ADD ("/webhook/worker/metrics-count-webhooks-and-applied-events",
       test_metrics_count_webhooks_and_applied_events);
#undef ADD

  return g_test_run ();
}
