/* test-connections.c: 10,000 client connections, kept alive or closed, leave
 * the server's open file descriptors and memory where they were. */
#include "config.h"

#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"

#define N_CONNECTIONS 10000

static void
one_connection (CofferTestServer *server,
                gboolean          keep_alive)
{
  g_autoptr (GSocketConnection) connection = coffer_test_http_connect (server);
  static const char close_request[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  static const char keep_request[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  guint status = 0;

  if (keep_alive)
    {
      /* Two requests on the connection, then the client hangs up. */
      for (guint i = 0; i < 2; i++)
        {
          g_assert_true (coffer_test_http_send (connection, keep_request, sizeof keep_request - 1));
          g_free (coffer_test_http_read_response (connection, &status, NULL));
          g_assert_cmpuint (status, ==, 200);
        }
    }
  else
    {
      g_assert_true (coffer_test_http_send (connection, close_request, sizeof close_request - 1));
      g_free (coffer_test_http_read_response (connection, &status, NULL));
      g_assert_cmpuint (status, ==, 200);
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

/* The server notices closed connections a moment later: wait for it. */
static guint
settled_fd_count (CofferTestServer *server,
                  guint             target)
{
  guint count = coffer_test_process_count_fds (coffer_test_server_get_pid (server));

  for (guint i = 0; i < 500 && count > target; i++)
    {
      g_usleep (10000);
      count = coffer_test_process_count_fds (coffer_test_server_get_pid (server));
    }
  return count;
}

static void
test_connections_leave_fds_and_memory_flat (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autoptr (GError) error = NULL;
  /* A small ASan quarantine, so that freed memory shows as freed. */
  const char * const env[] = {
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=8",
    "COFFER_LOG_LEVEL=warning", NULL,
  };
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, env, &error);
  GPid pid;
  guint fds_before, fds_after;
  gint64 rss_before, rss_after;

  g_assert_no_error (error);
  pid = coffer_test_server_get_pid (server);

  /* Warm up allocator pools and libsoup's caches first. */
  for (guint i = 0; i < 500; i++)
    one_connection (server, i % 2 == 0);
  fds_before = settled_fd_count (server, 0);
  rss_before = coffer_test_process_rss_kib (pid);

  for (guint i = 0; i < N_CONNECTIONS; i++)
    one_connection (server, i % 2 == 0);

  fds_after = settled_fd_count (server, fds_before);
  rss_after = coffer_test_process_rss_kib (pid);
  g_test_message ("fds %u → %u, RSS %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT " KiB", fds_before,
                  fds_after, rss_before, rss_after);
  g_assert_cmpuint (fds_after, <=, fds_before);
  /* A leak of even 1 KiB per connection would show as 10 MiB. */
  g_assert_cmpint (rss_after - rss_before, <, 6 * 1024);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/connections/ten-thousand-leave-fds-and-memory-flat",
                   test_connections_leave_fds_and_memory_flat);

  return g_test_run ();
}
