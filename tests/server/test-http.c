/* test-http.c: the HTTP shell of coffer-server, over real sockets: routes,
 * the JSON error shape, request ids, keep-alive, limits and hostile input. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"

typedef struct
{
  char             *conninfo;
  CofferTestServer *server;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  const char * const env[] = { "COFFER_SERVER_MAX_BODY_SIZE=4096",
                               "COFFER_SERVER_HEADER_TIMEOUT=2", NULL };

  fixture->conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  fixture->server = coffer_test_server_start (fixture->conninfo, env, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->server, coffer_test_server_free);
  g_free (fixture->conninfo);
}

/* Asserts @body is {"error": {"type", "code", "message", "param"}} with
 * the given type and code and a non-empty message. */
static void
assert_error_shape (const char *body,
                    const char *type,
                    const char *code)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *object;

  json_parser_load_from_data (parser, body, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (object, "error"));
  object = json_object_get_object_member (object, "error");
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, type);
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, code);
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "message")), >, 0);
  g_assert_true (json_object_has_member (object, "param"));
}

static void
test_healthz_answers_ok (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *headers = NULL, *body = NULL;
  guint status = coffer_test_http_get (fixture->server,
                                       "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", &headers,
                                       &body);

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (body, ==, "{\"status\":\"ok\"}");
  g_assert_nonnull (strstr (headers, "application/json"));
}

static void
test_readyz_answers_ready (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *body = NULL;
  guint status = coffer_test_http_get (fixture->server, "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n",
                                       NULL, &body);

  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (body, "\"status\":\"ready\""));
  g_assert_nonnull (strstr (body, "\"schema_version\":"));
}

static void
test_unknown_route_is_a_json_404 (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *body = NULL;
  guint status = coffer_test_http_get (fixture->server,
                                       "GET /no/such/thing HTTP/1.1\r\nHost: t\r\n\r\n", NULL,
                                       &body);

  g_assert_cmpuint (status, ==, 404);
  assert_error_shape (body, "not_found_error", "route_not_found");
}

static void
test_wrong_method_is_a_json_405_with_allow (Fixture       *fixture,
                                            gconstpointer  data)
{
  g_autofree char *headers = NULL, *body = NULL;
  guint status = coffer_test_http_get (fixture->server,
                                       "DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n", &headers,
                                       &body);

  g_assert_cmpuint (status, ==, 405);
  assert_error_shape (body, "invalid_request_error", "method_not_allowed");
  g_assert_nonnull (strstr (headers, "Allow: GET, HEAD"));
}

static void
test_body_over_the_route_limit_is_a_json_413 (Fixture       *fixture,
                                              gconstpointer  data)
{
  g_autofree char *body = NULL;
  /* /healthz takes no body at all; the length alone decides, before reading. */
  guint status = coffer_test_http_get (fixture->server,
                                       "GET /healthz HTTP/1.1\r\nHost: t\r\n"
                                       "Content-Length: 10485760\r\n\r\n",
                                       NULL, &body);

  g_assert_cmpuint (status, ==, 413);
  assert_error_shape (body, "invalid_request_error", "body_too_large");
}

static void
test_huge_header_is_refused (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr (GSocketConnection) connection = coffer_test_http_connect (fixture->server);
  g_autoptr (GString) request = g_string_new ("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ");
  g_autofree char *headers = NULL, *body = NULL;
  guint status = 0;

  /* 8 MiB in one header line. The server may stop reading early and close,
   * so a short write is fine; what matters is that it never answers 200. */
  for (gsize i = 0; i < 8 * 1024 * 1024 / 64; i++)
    g_string_append (request, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  g_string_append (request, "\r\n\r\n");
  coffer_test_http_send (connection, request->str, request->len);
  headers = coffer_test_http_read_response (connection, &status, &body);
  if (headers != NULL)
    {
      g_assert_cmpuint (status, >=, 400);
      g_assert_cmpuint (status, <, 500);
    }

  /* And the server is unharmed. */
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (coffer_test_http_get (fixture->server,
                                          "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", NULL,
                                          &body),
                    ==, 200);
}

static void
test_garbage_request_line_is_refused (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr (GSocketConnection) connection = coffer_test_http_connect (fixture->server);
  static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n";
  g_autofree char *headers = NULL;
  guint status = 0;

  coffer_test_http_send (connection, junk, sizeof junk - 1);
  headers = coffer_test_http_read_response (connection, &status, NULL);
  if (headers)
    g_assert_cmpuint (status, ==, 400);
  g_assert_cmpuint (coffer_test_http_get (fixture->server,
                                          "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", NULL, NULL),
                    ==, 200);
}

static void
test_chunked_body_over_the_limit_drops_the_connection (Fixture       *fixture,
                                                       gconstpointer  data)
{
  g_autoptr (GSocketConnection) connection = coffer_test_http_connect (fixture->server);
  static const char head[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  g_autofree char *chunk = NULL;
  g_autofree char *headers = NULL;
  guint status = 0;
  gboolean sent_all = TRUE;

  coffer_test_http_send (connection, head, sizeof head - 1);
  chunk = g_strdup_printf ("1000\r\n%0*d\r\n", 4096, 0);
  /* Far more than any limit: the server must stop this before it ends. */
  for (guint i = 0; i < 4096 && sent_all; i++)
    sent_all = coffer_test_http_send (connection, chunk, strlen (chunk));
  if (sent_all)
    coffer_test_http_send (connection, "0\r\n\r\n", 5);
  headers = coffer_test_http_read_response (connection, &status, NULL);
  g_assert_true (headers == NULL || status >= 400);
  g_assert_cmpuint (coffer_test_http_get (fixture->server,
                                          "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", NULL, NULL),
                    ==, 200);
}

static void
test_request_id_is_echoed_or_generated (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autofree char *given = NULL, *generated = NULL, *hostile = NULL;

  coffer_test_http_get (fixture->server,
                        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc-123.x\r\n\r\n",
                        &given, NULL);
  g_assert_nonnull (strstr (given, "X-Request-Id: abc-123.x\r\n"));

  coffer_test_http_get (fixture->server, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", &generated,
                        NULL);
  g_assert_nonnull (strstr (generated, "X-Request-Id: "));

  /* An id that could forge log fields is replaced, not echoed. */
  coffer_test_http_get (fixture->server,
                        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: a b=\"c\"\r\n\r\n",
                        &hostile, NULL);
  g_assert_null (strstr (hostile, "a b=\"c\""));
  g_assert_nonnull (strstr (hostile, "X-Request-Id: "));
}

static void
test_keep_alive_serves_several_requests_on_one_connection (Fixture       *fixture,
                                                           gconstpointer  data)
{
  g_autoptr (GSocketConnection) connection = coffer_test_http_connect (fixture->server);
  static const char request[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *headers = NULL;
      guint status = 0;

      g_assert_true (coffer_test_http_send (connection, request, sizeof request - 1));
      headers = coffer_test_http_read_response (connection, &status, NULL);
      g_assert_nonnull (headers);
      g_assert_cmpuint (status, ==, 200);
      g_assert_null (strstr (headers, "Connection: close"));
    }
}

static void
test_silent_connection_is_closed_after_the_header_timeout (Fixture       *fixture,
                                                           gconstpointer  data)
{
  g_autoptr (GSocketConnection) connection = coffer_test_http_connect (fixture->server);
  GSocket *socket = g_socket_connection_get_socket (connection);
  char byte;
  gint64 start = g_get_monotonic_time ();

  /* A slow client sends half a request line and stops: the server (header
   * timeout 2 s here) must hang up rather than hold the connection. */
  coffer_test_http_send (connection, "GET /hea", 8);
  g_socket_set_timeout (socket, 20);
  g_assert_cmpint (g_socket_receive (socket, &byte, 1, NULL, NULL), <=, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
}

static void
test_metrics_count_requests_and_show_the_pool (Fixture       *fixture,
                                               gconstpointer  data)
{
  g_autofree char *headers = NULL, *body = NULL;
  guint status;

  coffer_test_http_get (fixture->server, "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n", NULL, NULL);
  status = coffer_test_http_get (fixture->server, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n",
                                 &headers, &body);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (headers, "text/plain; version=0.0.4"));
  g_assert_nonnull (strstr (body, "coffer_http_requests_total{route=\"/readyz\",method=\"GET\","
                                  "status=\"200\"} 1\n"));
  g_assert_nonnull (strstr (body, "coffer_http_request_duration_seconds_bucket{route=\"/readyz\","
                                  "le=\"+Inf\"} 1\n"));
  g_assert_nonnull (strstr (body, "coffer_db_pool_connections{state=\"in_use\"}"));
  g_assert_nonnull (strstr (body, "coffer_db_pool_waiting "));
  g_assert_nonnull (strstr (body, "coffer_build_info{version=\""));
  g_assert_nonnull (strstr (body, "coffer_http_connections_open "));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/http/healthz/answers-ok", test_healthz_answers_ok);
  ADD ("/http/readyz/answers-ready-with-the-schema-version", test_readyz_answers_ready);
  ADD ("/http/errors/unknown-route-is-a-json-404", test_unknown_route_is_a_json_404);
  ADD ("/http/errors/wrong-method-is-a-json-405-with-allow",
       test_wrong_method_is_a_json_405_with_allow);
  ADD ("/http/limits/body-over-the-route-limit-is-a-json-413",
       test_body_over_the_route_limit_is_a_json_413);
  ADD ("/http/limits/chunked-body-over-the-limit-drops-the-connection",
       test_chunked_body_over_the_limit_drops_the_connection);
  ADD ("/http/limits/huge-header-is-refused", test_huge_header_is_refused);
  ADD ("/http/limits/garbage-request-line-is-refused", test_garbage_request_line_is_refused);
  ADD ("/http/limits/silent-connection-is-closed-after-the-header-timeout",
       test_silent_connection_is_closed_after_the_header_timeout);
  ADD ("/http/request-id/is-echoed-or-generated", test_request_id_is_echoed_or_generated);
  ADD ("/http/keep-alive/serves-several-requests-on-one-connection",
       test_keep_alive_serves_several_requests_on_one_connection);
  ADD ("/http/metrics/count-requests-and-show-the-pool",
       test_metrics_count_requests_and_show_the_pool);
#undef ADD

  return g_test_run ();
}
