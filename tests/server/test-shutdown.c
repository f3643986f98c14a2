/* test-shutdown.c: SIGTERM with a request in flight. The request is held in
 * flight for real: the test locks schema_migrations, so /readyz waits on
 * PostgreSQL until the test lets go. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"

static void
test_in_flight_request_finishes_after_sigterm (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, NULL, &error);
  g_autoptr (GSocketConnection) in_flight = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) late = NULL;
  g_autofree char *headers = NULL, *body = NULL;
  static const char request[] = "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n";
  PGconn *locker;
  PGresult *result;
  guint status = 0;

  g_assert_no_error (error);

  locker = coffer_test_pg_connect (conninfo);
  PQclear (PQexec (locker, "BEGIN"));
  result = PQexec (locker, "LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);

  in_flight = coffer_test_http_connect (server);
  g_assert_true (coffer_test_http_send (in_flight, request, sizeof request - 1));
  /* Wait until the server's query is really blocked on the lock. */
  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *waiting = coffer_test_pg_query_value (
        conninfo, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
      if (g_strcmp0 (waiting, "1") == 0)
        break;
      g_usleep (10000);
    }

  coffer_test_server_signal (server, SIGTERM);
  /* Still running: it waits for the request in flight. */
  g_usleep (300000);
  g_assert_true (coffer_test_server_is_running (server));
  /* But no longer accepting. */
  late = g_socket_client_connect_to_host (client, coffer_test_server_get_host (server),
                                          coffer_test_server_get_port (server), NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);

  PQclear (PQexec (locker, "COMMIT"));
  PQfinish (locker);

  headers = coffer_test_http_read_response (in_flight, &status, &body);
  g_assert_nonnull (headers);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (body, "\"ready\""));
  g_assert_nonnull (strstr (headers, "Connection: close"));
  g_assert_cmpint (coffer_test_server_wait (server), ==, 0);
}

static void
test_idle_server_exits_at_once_on_sigterm (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, NULL, &error);
  g_autoptr (GSocketConnection) idle = NULL;
  gint64 start;

  g_assert_no_error (error);
  /* A kept-alive connection with nothing in flight must not hold it up. */
  idle = coffer_test_http_connect (server);
  g_assert_true (coffer_test_http_send (idle, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 34));
  g_free (coffer_test_http_read_response (idle, NULL, NULL));

  start = g_get_monotonic_time ();
  coffer_test_server_signal (server, SIGTERM);
  g_assert_cmpint (coffer_test_server_wait (server), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/shutdown/in-flight-request-finishes-after-sigterm",
                   test_in_flight_request_finishes_after_sigterm);
  g_test_add_func ("/shutdown/idle-server-exits-at-once-on-sigterm",
                   test_idle_server_exits_at_once_on_sigterm);

  return g_test_run ();
}
