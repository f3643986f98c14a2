/* test-listen.c: where and how coffer-server listens: IPv6, several
 * addresses, and HTTPS from a certificate and key file. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"

static gboolean
accept_any_certificate (GTlsConnection       *connection,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  /* The test's own self-signed certificate. */
  return TRUE;
}

static void
test_https_with_a_certificate_file (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autofree char *directory = g_dir_make_tmp ("coffer-tls-XXXXXX", NULL);
  g_autofree char *cert = g_build_filename (directory, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (directory, "key.pem", NULL);
  g_autofree char *cert_env = g_strdup_printf ("COFFER_SERVER_TLS_CERTIFICATE=%s", cert);
  g_autofree char *key_env = g_strdup_printf ("COFFER_SERVER_TLS_KEY=%s", key);
  const char *openssl[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "1", "-subj",
                            "/CN=127.0.0.1", NULL };
  const char * const env[] = { cert_env, key_env, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) tcp = NULL;
  g_autoptr (GIOStream) tls = NULL;
  g_autoptr (GSocketConnectable) identity = NULL;
  static const char request[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  char answer[4096];
  gsize got = 0;
  int status = 0;

  g_autofree char *openssl_path = g_find_program_in_path ("openssl");

  if (openssl_path == NULL)
    {
      g_test_skip ("openssl is not installed: cannot make a test certificate");
      return;
    }
  g_assert_true (g_spawn_sync (NULL, (char **) openssl, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);

  server = coffer_test_server_start (conninfo, env, &error);
  g_assert_no_error (error);

  tcp = g_socket_client_connect_to_host (client, coffer_test_server_get_host (server),
                                         coffer_test_server_get_port (server), NULL, &error);
  g_assert_no_error (error);
  identity = g_network_address_new ("127.0.0.1", coffer_test_server_get_port (server));
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (tls), request,
                                            sizeof request - 1, NULL, NULL, &error));
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (tls), answer, sizeof answer - 1, &got,
                           NULL, NULL);
  answer[got] = '\0';
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (answer, "{\"status\":\"ok\"}"));

  g_unlink (cert);
  g_unlink (key);
  g_rmdir (directory);
}

static void
test_half_a_tls_configuration_is_refused (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autofree char *url = g_strdup_printf ("COFFER_DATABASE_URL=%s", conninfo);
  const char * const env[] = { url, "COFFER_SERVER_TLS_CERTIFICATE=/nonexistent/cert.pem", NULL };
  const char * const serve[] = { "serve", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (coffer_test_run_server_command (serve, env, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "TLS needs both"));
}

static void
test_ipv6_and_ipv4_at_once (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  const char * const env[] = { "COFFER_SERVER_LISTEN=[::1]:0", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, env, &error);
  g_autofree char *body = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED))
    {
      g_test_skip ("This machine cannot listen on ::1");
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (coffer_test_server_get_host (server), ==, "[::1]");
  g_assert_cmpuint (coffer_test_http_get (server, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", NULL,
                                          &body),
                    ==, 200);
}

static void
test_connections_over_the_cap_wait_their_turn (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  const char * const env[] = { "COFFER_SERVER_MAX_CONNECTIONS=2", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, env, &error);
  g_autoptr (GSocketConnection) first = NULL, second = NULL, third = NULL;
  static const char request[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  g_autofree char *headers = NULL;
  char byte;
  guint status = 0;

  g_assert_no_error (error);
  first = coffer_test_http_connect (server);
  second = coffer_test_http_connect (server);
  /* Both are served and kept alive: the server is at its cap. */
  g_assert_true (coffer_test_http_send (first, request, sizeof request - 1));
  g_free (coffer_test_http_read_response (first, NULL, NULL));
  g_assert_true (coffer_test_http_send (second, request, sizeof request - 1));
  g_free (coffer_test_http_read_response (second, NULL, NULL));

  /* The kernel completes the third handshake, but the server does not take
   * the connection while two are open. */
  third = coffer_test_http_connect (server);
  g_assert_true (coffer_test_http_send (third, request, sizeof request - 1));
  g_socket_set_timeout (g_socket_connection_get_socket (third), 1);
  g_assert_cmpint (g_socket_receive (g_socket_connection_get_socket (third), &byte, 1, NULL,
                                     NULL),
                   <, 0);

  /* One leaves; the waiting one is served. */
  g_io_stream_close (G_IO_STREAM (first), NULL, NULL);
  g_socket_set_timeout (g_socket_connection_get_socket (third), 20);
  headers = coffer_test_http_read_response (third, &status, NULL);
  g_assert_nonnull (headers);
  g_assert_cmpuint (status, ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/listen/https-with-a-certificate-file", test_https_with_a_certificate_file);
  g_test_add_func ("/listen/half-a-tls-configuration-is-refused",
                   test_half_a_tls_configuration_is_refused);
  g_test_add_func ("/listen/ipv6", test_ipv6_and_ipv4_at_once);
  g_test_add_func ("/listen/connections-over-the-cap-wait-their-turn",
                   test_connections_over_the_cap_wait_their_turn);

  return g_test_run ();
}
