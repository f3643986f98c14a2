/* coffer-http-server.c: accepts connections itself and hands each to libsoup.
 *
 * Debian 12's libsoup 3.2 leaks a socket per connection accepted through
 * soup_server_listen*(), so a GSocketService accepts and passes each stream to
 * soup_server_accept_iostream(). libsoup 3.2 keeps a connection alive after a
 * response only while the server has at least one listener, so the server
 * also "listens" on one end of a socketpair whose other end stays silent: it
 * never accepts anything and keeps keep-alive working.
 *
 * On top: a cap on open connections (the accept loop pauses at the cap, so
 * further clients wait in the kernel backlog), an idle timeout (socket
 * timeout), a header timeout, body limits per route checked before the body
 * is read, an X-Request-Id on every answer and one log line per request. */
#include "config.h"

#include "coffer-http-server.h"
#include "coffer-http-error.h"

#include <libsoup/soup.h>
#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct
{
  CofferHttpServer *server;
  GSocket          *socket;
  GObject          *stream;   /* weak: libsoup owns it */
  GSocketAddress   *remote;   /* the key: libsoup hands this same object back */
  SoupServerMessage *waiting;  /* weak: the message waiting for its headers */
  SoupServerMessage *last;     /* the last answered message, while its connection lives */
  gulong            last_disconnected_id;
  GSource          *eof_watch;
  guint             n_requests;
  guint             header_timer;
  gboolean          in_request;
} Connection;

struct _CofferHttpServer
{
  GObject                 parent_instance;

  CofferRouter           *router;
  CofferMetrics          *metrics;
  SoupServer             *soup;
  GSocketService         *service;
  GTlsCertificate        *certificate;
  GPtrArray              *addresses;   /* GInetSocketAddress to bind */
  GPtrArray              *bound;       /* "host:port" strings */
  GHashTable             *connections; /* remote GSocketAddress* → Connection* */
  GHashTable             *in_flight_messages;
  int                     keepalive_peer_fd;

  guint                   max_connections;
  guint                   idle_timeout_s;
  guint                   header_timeout_s;
  gsize                   max_body_size;
  guint                   in_flight;
  gboolean                accepting_paused;
  gboolean                stopping;
};

G_DEFINE_FINAL_TYPE (CofferHttpServer, coffer_http_server, G_TYPE_OBJECT)

static const gint64 latency_bounds_usec[] = {
  1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 10000000,
};

static void
connection_forget_last (Connection *connection)
{
  if (connection->last == NULL)
    return;
  g_clear_signal_handler (&connection->last_disconnected_id, connection->last);
  g_clear_object (&connection->last);
}

static void
connection_free (gpointer data)
{
  Connection *connection = data;

  connection_forget_last (connection);
  g_clear_handle_id (&connection->header_timer, g_source_remove);
  if (connection->eof_watch)
    {
      g_source_destroy (connection->eof_watch);
      g_clear_pointer (&connection->eof_watch, g_source_unref);
    }
  if (connection->waiting)
    g_object_remove_weak_pointer (G_OBJECT (connection->waiting),
                                  (gpointer *) &connection->waiting);
  g_clear_object (&connection->socket);
  g_clear_object (&connection->remote);
  g_free (connection);
}

static void
coffer_http_server_dispose (GObject *object)
{
  CofferHttpServer *self = COFFER_HTTP_SERVER (object);

  coffer_http_server_close (self);
  g_clear_object (&self->soup);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (coffer_http_server_parent_class)->dispose (object);
}

static void on_stream_finalized (gpointer  data,
                                 GObject  *where_the_object_was);

static void
coffer_http_server_finalize (GObject *object)
{
  CofferHttpServer *self = COFFER_HTTP_SERVER (object);
  GHashTableIter iter;
  Connection *connection;

  /* Streams libsoup has not let go of yet must not call back into us. */
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &connection))
    g_object_weak_unref (connection->stream, on_stream_finalized, connection);

  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->in_flight_messages, g_hash_table_unref);
  g_clear_pointer (&self->addresses, g_ptr_array_unref);
  g_clear_pointer (&self->bound, g_ptr_array_unref);
  g_clear_object (&self->certificate);
  g_clear_object (&self->router);
  g_clear_object (&self->metrics);
  if (self->keepalive_peer_fd >= 0)
    close (self->keepalive_peer_fd);

  G_OBJECT_CLASS (coffer_http_server_parent_class)->finalize (object);
}

static void
coffer_http_server_class_init (CofferHttpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = coffer_http_server_dispose;
  object_class->finalize = coffer_http_server_finalize;
}

static void
coffer_http_server_init (CofferHttpServer *self)
{
  self->keepalive_peer_fd = -1;
  self->addresses = g_ptr_array_new_with_free_func (g_object_unref);
  self->bound = g_ptr_array_new_with_free_func (g_free);
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             connection_free);
  self->in_flight_messages = g_hash_table_new (g_direct_hash, g_direct_equal);
}

gboolean
coffer_http_parse_address (const char          *text,
                           GInetSocketAddress **out_address,
                           GError             **error)
{
  g_autofree char *host = NULL;
  const char *port_text;
  guint64 port;
  g_autoptr (GInetAddress) inet = NULL;

  if (text[0] == '[')
    {
      const char *close_bracket = strchr (text, ']');

      if (close_bracket == NULL || close_bracket[1] != ':')
        goto invalid;
      host = g_strndup (text + 1, close_bracket - text - 1);
      port_text = close_bracket + 2;
    }
  else
    {
      const char *colon = strrchr (text, ':');

      if (colon == NULL || strchr (text, ':') != colon)
        goto invalid;
      host = g_strndup (text, colon - text);
      port_text = colon + 1;
    }

  if (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL))
    goto invalid;
  if (strcmp (host, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else if (strcmp (host, "*") == 0 || *host == '\0')
    inet = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    goto invalid;

  *out_address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, (guint16) port));
  return TRUE;

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Listen address “%s” is not valid: expected an IP address and a port, "
               "such as 127.0.0.1:8080 or [::1]:8080", text);
  return FALSE;
}

static char *
address_to_string (GSocketAddress *address)
{
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  guint16 port = g_inet_socket_address_get_port (inet);

  if (g_socket_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

/* Request ids from clients are kept only when they are short and plain. */
static gboolean
request_id_is_acceptable (const char *id)
{
  gsize length = 0;

  if (id == NULL)
    return FALSE;
  for (const char *p = id; *p; p++, length++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == ':'))
      return FALSE;
  return length > 0 && length <= 128;
}

static CofferRequest *
request_for_message (SoupServerMessage *message)
{
  return g_object_get_data (G_OBJECT (message), "coffer-request");
}

/* After an early answer the client may still be sending its body. Closing at
 * once would make the kernel reset the connection and the client could lose
 * the answer, so the rest is read and dropped for a little while first
 * ("lingering close", as nginx does), within these bounds. */
#define LINGER_BYTES (64 * 1024 * 1024)
#define LINGER_USEC (5 * G_USEC_PER_SEC)

typedef struct
{
  GIOStream *stream;
  GBytes    *bytes;
  char      *drain;
  gsize      drained;
  gint64     deadline;
} EarlyAnswer;

static void
early_answer_free (EarlyAnswer *answer)
{
  g_clear_object (&answer->stream);
  g_clear_pointer (&answer->bytes, g_bytes_unref);
  g_free (answer->drain);
  g_free (answer);
}

static void
on_early_answer_closed (GObject      *stream,
                        GAsyncResult *result,
                        gpointer      data)
{
  g_io_stream_close_finish (G_IO_STREAM (stream), result, NULL);
  early_answer_free (data);
}

static void
on_early_drained (GObject      *in,
                  GAsyncResult *result,
                  gpointer      data)
{
  EarlyAnswer *answer = data;
  gssize got = g_input_stream_read_finish (G_INPUT_STREAM (in), result, NULL);

  if (got > 0 && answer->drained + (gsize) got < LINGER_BYTES &&
      g_get_monotonic_time () < answer->deadline)
    {
      answer->drained += got;
      g_input_stream_read_async (G_INPUT_STREAM (in), answer->drain, 65536, G_PRIORITY_LOW,
                                 NULL, on_early_drained, answer);
      return;
    }
  g_io_stream_close_async (answer->stream, G_PRIORITY_DEFAULT, NULL, on_early_answer_closed,
                           answer);
}

static void
on_early_answer_written (GObject      *out,
                         GAsyncResult *result,
                         gpointer      data)
{
  EarlyAnswer *answer = data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (out), result, NULL, NULL) ||
      !G_IS_SOCKET_CONNECTION (answer->stream))
    {
      g_io_stream_close_async (answer->stream, G_PRIORITY_DEFAULT, NULL, on_early_answer_closed,
                               answer);
      return;
    }
  g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (answer->stream)),
                     FALSE, TRUE, NULL);
  answer->drain = g_malloc (65536);
  answer->deadline = g_get_monotonic_time () + LINGER_USEC;
  g_input_stream_read_async (g_io_stream_get_input_stream (answer->stream), answer->drain, 65536,
                             G_PRIORITY_LOW, NULL, on_early_drained, answer);
}

/* The whole answer as bytes on the wire: the status line, the headers the
 * message holds, and its body. */
static GBytes *
serialize_response (SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (message));
  guint status = soup_server_message_get_status (message);
  GString *out = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Content-Length") != 0 &&
        g_ascii_strcasecmp (name, "Connection") != 0)
      g_string_append_printf (out, "%s: %s\r\n", name, value);
  g_string_append_printf (out, "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                          g_bytes_get_size (body));
  g_string_append_len (out, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_string_free_to_bytes (out);
}

static void finish_message (CofferHttpServer  *self,
                            SoupServerMessage *message,
                            gboolean           aborted);

/* An answer given before the body was read (unknown route, wrong method, body
 * too large). libsoup 3.2 would read, or wait for, the whole body before
 * sending it, so the message is paused and, from the main loop, its
 * connection is taken over: the answer is written and the connection closed. */
static gboolean
answer_early (gpointer data)
{
  SoupServerMessage *message = data;
  CofferHttpServer *self = g_object_get_data (G_OBJECT (message), "coffer-server");
  EarlyAnswer *answer;

  answer = g_new0 (EarlyAnswer, 1);
  answer->bytes = serialize_response (message);
  g_object_set_data (G_OBJECT (message), "coffer-early", GINT_TO_POINTER (1));
  finish_message (self, message, FALSE);
  answer->stream = soup_server_message_steal_connection (message);
  if (answer->stream == NULL)
    {
      early_answer_free (answer);
      return G_SOURCE_REMOVE;
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (answer->stream),
                                   g_bytes_get_data (answer->bytes, NULL),
                                   g_bytes_get_size (answer->bytes), G_PRIORITY_DEFAULT, NULL,
                                   on_early_answer_written, answer);
  return G_SOURCE_REMOVE;
}

static void
respond_early (CofferHttpServer  *self,
               SoupServerMessage *message)
{
  g_object_set_data (G_OBJECT (message), "coffer-server", self);
  soup_server_message_pause (message);
  g_idle_add_full (G_PRIORITY_DEFAULT, answer_early, g_object_ref (message), g_object_unref);
}

/* Runs once the headers are in, before the body is read: unknown routes,
 * wrong methods and bodies over the route's limit are answered here. */
static void
early_handler (SoupServer        *soup,
               SoupServerMessage *message,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  CofferHttpServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *client_id = soup_message_headers_get_one (headers, "X-Request-Id");
  g_autofree char *generated_id = NULL;
  g_autoptr (CofferRequest) request = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autofree char *allowed = NULL;
  const CofferRoute *route = NULL;
  const char *method = soup_server_message_get_method (message);
  goffset content_length;
  gsize limit;

  if (!request_id_is_acceptable (client_id))
    client_id = generated_id = g_uuid_string_random ();
  request = coffer_request_new (message, client_id);
  coffer_request_set_closing (request, self->stopping);
  g_object_set_data_full (G_OBJECT (message), "coffer-request", g_object_ref (request),
                          g_object_unref);

  switch (coffer_router_match (self->router, method, path, &route, &params, &allowed))
    {
    case COFFER_ROUTE_NOT_FOUND:
      coffer_request_respond_error (request, SOUP_STATUS_NOT_FOUND,
                                    COFFER_ERROR_TYPE_NOT_FOUND, "route_not_found", NULL,
                                    "No such endpoint: %s %s", method, path);
      respond_early (self, message);
      return;

    case COFFER_ROUTE_METHOD_NOT_ALLOWED:
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Allow", allowed);
      coffer_request_respond_error (request, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                    COFFER_ERROR_TYPE_INVALID_REQUEST, "method_not_allowed",
                                    NULL, "%s is not allowed on %s; allowed: %s", method, path,
                                    allowed);
      respond_early (self, message);
      return;

    case COFFER_ROUTE_FOUND:
      break;
    }

  coffer_request_set_route (request, coffer_route_get_pattern (route), params);
  g_object_set_data (G_OBJECT (message), "coffer-route", (gpointer) route);

  limit = coffer_route_get_max_body (route);
  if (limit == COFFER_ROUTE_BODY_DEFAULT)
    limit = self->max_body_size;
  /* Stored plus one, so that a limit of 0 is not mistaken for no limit. */
  g_object_set_data (G_OBJECT (message), "coffer-body-limit", GSIZE_TO_POINTER (limit + 1));

  content_length = soup_message_headers_get_content_length (headers);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      content_length > 0 && (guint64) content_length > limit)
    {
      coffer_request_respond_error (request, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                    COFFER_ERROR_TYPE_INVALID_REQUEST, "body_too_large", NULL,
                                    "The request body is %" G_GINT64_FORMAT " bytes; %s %s "
                                    "accepts at most %" G_GSIZE_FORMAT,
                                    (gint64) content_length, method,
                                    coffer_route_get_pattern (route), limit);
      respond_early (self, message);
    }
}

/* Chunked bodies have no length up front: count as they arrive and drop the
 * connection once over the limit, so memory stays bounded. */
static void
on_got_chunk (SoupServerMessage *message,
              GBytes            *chunk,
              CofferHttpServer  *self)
{
  gsize limit_plus_one = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (message),
                                                               "coffer-body-limit"));
  gsize limit = limit_plus_one - 1;
  gsize received = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (message), "coffer-received"));
  GSocketAddress *remote = soup_server_message_get_remote_address (message);
  Connection *connection;

  received += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (message), "coffer-received", GSIZE_TO_POINTER (received));
  if (limit_plus_one == 0 || received <= limit)
    return;

  connection = g_hash_table_lookup (self->connections, remote);
  g_info ("Dropping a connection whose chunked body passed %" G_GSIZE_FORMAT " bytes", limit);
  if (connection)
    g_socket_shutdown (connection->socket, TRUE, TRUE, NULL);
}

static void
handler (SoupServer        *soup,
         SoupServerMessage *message,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  CofferRequest *request = request_for_message (message);
  const CofferRoute *route = g_object_get_data (G_OBJECT (message), "coffer-route");

  if (request == NULL || route == NULL || coffer_request_has_responded (request))
    return;

  coffer_route_invoke (route, request);
  if (!coffer_request_has_responded (request))
    coffer_request_pause (request);
}

/* Ends a connection that waits for a request: libsoup gives the stream up
 * (as for a WebSocket) and we close it. libsoup 3.2 does not notice a client
 * that closes a kept-alive connection, and a shutdown() alone leaves it
 * holding the descriptor, so idle connections are always ended this way. */
static void
end_waiting_connection (Connection *connection,
                        const char *why)
{
  g_autoptr (GIOStream) stream = NULL;

  g_debug ("Closing a connection: %s", why);
  g_clear_handle_id (&connection->header_timer, g_source_remove);
  if (connection->eof_watch)
    {
      g_source_destroy (connection->eof_watch);
      g_clear_pointer (&connection->eof_watch, g_source_unref);
    }
  if (connection->waiting)
    stream = soup_server_message_steal_connection (connection->waiting);
  else if (connection->last)
    {
      g_autoptr (SoupServerMessage) last = g_object_ref (connection->last);

      connection_forget_last (connection);
      stream = soup_server_message_steal_connection (last);
    }
  else
    g_socket_shutdown (connection->socket, TRUE, TRUE, NULL);
  if (stream)
    g_io_stream_close (stream, NULL, NULL);
}

static gboolean
on_header_timeout (gpointer data)
{
  Connection *connection = data;

  connection->header_timer = 0;
  end_waiting_connection (connection, "no request headers within the timeout");
  return G_SOURCE_REMOVE;
}

/* Watches a connection between requests: end it when the client hangs up;
 * step aside as soon as the next request's bytes arrive. */
static gboolean
on_idle_readable (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      data)
{
  Connection *connection = data;
  char byte;
  gssize peeked = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&connection->eof_watch, g_source_unref);
  if (peeked > 0)
    return G_SOURCE_REMOVE;
  end_waiting_connection (connection, "the client hung up");
  return G_SOURCE_REMOVE;
}

static void
watch_idle_connection (Connection *connection,
                       guint       timeout_s)
{
  g_clear_handle_id (&connection->header_timer, g_source_remove);
  connection->header_timer = g_timeout_add_seconds (timeout_s, on_header_timeout, connection);
  if (connection->eof_watch == NULL)
    {
      connection->eof_watch = g_socket_create_source (connection->socket,
                                                      G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (connection->eof_watch,
                             (GSourceFunc) (void (*) (void)) on_idle_readable, connection, NULL);
      g_source_attach (connection->eof_watch, NULL);
    }
}

static void
on_last_disconnected (SoupServerMessage *message,
                      Connection        *connection)
{
  connection_forget_last (connection);
}

static Connection *
connection_for_message (CofferHttpServer  *self,
                        SoupServerMessage *message)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (message);

  return remote ? g_hash_table_lookup (self->connections, remote) : NULL;
}

static void
on_got_headers (SoupServerMessage *message,
                CofferHttpServer  *self)
{
  Connection *connection = connection_for_message (self, message);

  if (connection)
    {
      g_clear_handle_id (&connection->header_timer, g_source_remove);
      if (connection->eof_watch)
        {
          g_source_destroy (connection->eof_watch);
          g_clear_pointer (&connection->eof_watch, g_source_unref);
        }
      if (connection->waiting)
        g_object_remove_weak_pointer (G_OBJECT (connection->waiting),
                                      (gpointer *) &connection->waiting);
      connection->waiting = NULL;
      connection_forget_last (connection);
      connection->in_request = TRUE;
    }
  self->in_flight++;
  g_hash_table_add (self->in_flight_messages, message);
  g_object_set_data (G_OBJECT (message), "coffer-in-flight", GINT_TO_POINTER (1));
}

static void
on_request_started (SoupServer        *soup,
                    SoupServerMessage *message,
                    CofferHttpServer  *self)
{
  Connection *connection = connection_for_message (self, message);

  g_signal_connect_object (message, "got-headers", G_CALLBACK (on_got_headers), self,
                           G_CONNECT_DEFAULT);
  g_signal_connect_object (message, "got-chunk", G_CALLBACK (on_got_chunk), self,
                           G_CONNECT_DEFAULT);
  if (connection == NULL)
    return;

  connection->n_requests++;
  connection->in_request = FALSE;
  if (connection->waiting)
    g_object_remove_weak_pointer (G_OBJECT (connection->waiting),
                                  (gpointer *) &connection->waiting);
  connection->waiting = message;
  g_object_add_weak_pointer (G_OBJECT (message), (gpointer *) &connection->waiting);

  g_clear_handle_id (&connection->header_timer, g_source_remove);
  if (self->stopping && connection->n_requests > 1)
    {
      connection->header_timer = g_idle_add (on_header_timeout, connection);
      return;
    }
  /* The first request must arrive within the header timeout; a kept-alive
   * connection may wait for its next request up to the idle timeout. */
  watch_idle_connection (connection, connection->n_requests == 1 ? self->header_timeout_s
                                                                 : self->idle_timeout_s);
}

static void
log_request (CofferHttpServer  *self,
             SoupServerMessage *message,
             gboolean           aborted)
{
  CofferRequest *request = request_for_message (message);
  guint status = soup_server_message_get_status (message);
  const char *method = soup_server_message_get_method (message);
  const char *path = g_uri_get_path (soup_server_message_get_uri (message));
  const char *route = request ? coffer_request_get_route (request) : "unmatched";
  gint64 start = request ? coffer_request_get_start_usec (request) : g_get_monotonic_time ();
  gint64 elapsed = g_get_monotonic_time () - start;
  g_autofree char *escaped_route = coffer_metrics_escape_label (route);
  g_autofree char *labels = NULL;
  g_autofree char *status_text = g_strdup_printf ("%u", status);
  g_autofree char *duration = g_strdup_printf ("%" G_GINT64_FORMAT ".%03d", elapsed / 1000,
                                               (int) (elapsed % 1000));
  gboolean quiet = g_str_has_prefix (route, "/healthz") || g_str_has_prefix (route, "/metrics") ||
                   g_str_has_prefix (route, "/readyz");

  labels = g_strdup_printf ("route=\"%s\",method=\"%s\",status=\"%u\"", escaped_route,
                            method, status);
  coffer_metrics_add (self->metrics, "coffer_http_requests_total", labels, 1);
  g_clear_pointer (&labels, g_free);
  labels = g_strdup_printf ("route=\"%s\"", escaped_route);
  coffer_metrics_observe_usec (self->metrics, "coffer_http_request_duration_seconds", labels,
                               elapsed);

  g_log_structured (G_LOG_DOMAIN, quiet && !aborted ? G_LOG_LEVEL_DEBUG : G_LOG_LEVEL_INFO,
                    "REQUEST_ID", request ? coffer_request_get_id (request) : "-",
                    "HTTP_METHOD", method,
                    "HTTP_PATH", path,
                    "HTTP_STATUS", status_text,
                    "DURATION_MS", duration,
                    "MESSAGE", "%s %s → %u%s (%s ms)", method, path, status,
                    aborted ? ", aborted" : "", duration);
}

static void
finish_message (CofferHttpServer  *self,
                SoupServerMessage *message,
                gboolean           aborted)
{
  Connection *connection = connection_for_message (self, message);

  if (!g_object_get_data (G_OBJECT (message), "coffer-in-flight"))
    return;
  g_object_set_data (G_OBJECT (message), "coffer-in-flight", NULL);
  g_hash_table_remove (self->in_flight_messages, message);
  self->in_flight--;
  log_request (self, message, aborted);
  if (connection == NULL)
    return;

  /* Between requests libsoup 3.2 does not notice a client hanging up, so we
   * watch the connection ourselves, holding the last message to take the
   * connection back from libsoup with. */
  connection->in_request = FALSE;
  connection_forget_last (connection);
  if (aborted || g_object_get_data (G_OBJECT (message), "coffer-early"))
    return;
  connection->last = g_object_ref (message);
  connection->last_disconnected_id = g_signal_connect (message, "disconnected",
                                                       G_CALLBACK (on_last_disconnected),
                                                       connection);
  watch_idle_connection (connection, self->idle_timeout_s);
}

static void
on_request_finished (SoupServer        *soup,
                     SoupServerMessage *message,
                     CofferHttpServer  *self)
{
  finish_message (self, message, FALSE);
}

static void
on_request_aborted (SoupServer        *soup,
                    SoupServerMessage *message,
                    CofferHttpServer  *self)
{
  finish_message (self, message, TRUE);
}

static void
update_accepting (CofferHttpServer *self)
{
  guint open = g_hash_table_size (self->connections);

  if (self->stopping)
    return;
  if (!self->accepting_paused && open >= self->max_connections)
    {
      g_warning ("%u connections are open, the configured maximum: new clients wait", open);
      g_socket_service_stop (self->service);
      self->accepting_paused = TRUE;
    }
  else if (self->accepting_paused && open < self->max_connections)
    {
      g_socket_service_start (self->service);
      self->accepting_paused = FALSE;
    }
}

/* libsoup drops its last reference to the stream when the connection ends. */
static void
on_stream_finalized (gpointer  data,
                     GObject  *where_the_object_was)
{
  Connection *connection = data;
  CofferHttpServer *self = connection->server;

  g_hash_table_remove (self->connections, connection->remote);
  update_accepting (self);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *socket_connection,
             GObject           *source_object,
             CofferHttpServer  *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GIOStream) stream = NULL;
  GSocket *socket = g_socket_connection_get_socket (socket_connection);
  Connection *connection;

  if (self->stopping)
    return TRUE;

  local = g_socket_connection_get_local_address (socket_connection, NULL);
  connection = g_new0 (Connection, 1);
  connection->server = self;
  connection->socket = g_object_ref (socket);
  connection->remote = g_socket_connection_get_remote_address (socket_connection, &error);
  if (connection->remote == NULL)
    {
      g_debug ("Dropping a connection without a peer address: %s", error->message);
      connection_free (connection);
      return TRUE;
    }

  g_socket_set_timeout (socket, self->idle_timeout_s);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  if (self->certificate)
    {
      stream = G_IO_STREAM (g_tls_server_connection_new (G_IO_STREAM (socket_connection),
                                                         self->certificate, &error));
      if (stream == NULL)
        {
          g_warning ("Could not start TLS on a connection: %s", error->message);
          connection_free (connection);
          return TRUE;
        }
    }
  else
    stream = G_IO_STREAM (g_object_ref (socket_connection));

  g_hash_table_insert (self->connections, connection->remote, connection);
  connection->stream = G_OBJECT (socket_connection);
  g_object_weak_ref (G_OBJECT (socket_connection), on_stream_finalized, connection);
  coffer_metrics_add (self->metrics, "coffer_http_connections_total", NULL, 1);

  if (!soup_server_accept_iostream (self->soup, stream, local, connection->remote, &error))
    g_warning ("libsoup refused a connection: %s", error->message);
  update_accepting (self);
  return TRUE;
}

static gboolean
add_keepalive_listener (CofferHttpServer  *self,
                        GError           **error)
{
  int fds[2];
  g_autoptr (GSocket) socket = NULL;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Could not create a socket pair: %s", g_strerror (errno));
      return FALSE;
    }
  socket = g_socket_new_from_fd (fds[0], error);
  if (socket == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  self->keepalive_peer_fd = fds[1];
  return soup_server_listen_socket (self->soup, socket, 0, error);
}

static void
collect_connections (GString  *out,
                     gpointer  user_data)
{
  CofferHttpServer *self = user_data;

  g_string_append_printf (out,
                          "# HELP coffer_http_connections_open Client connections open now.\n"
                          "# TYPE coffer_http_connections_open gauge\n"
                          "coffer_http_connections_open %u\n"
                          "# HELP coffer_http_requests_in_flight Requests being handled now.\n"
                          "# TYPE coffer_http_requests_in_flight gauge\n"
                          "coffer_http_requests_in_flight %u\n",
                          g_hash_table_size (self->connections), self->in_flight);
}

CofferHttpServer *
coffer_http_server_new (CofferRouter                  *router,
                        CofferMetrics                 *metrics,
                        const CofferHttpServerOptions *options,
                        GError                       **error)
{
  g_autoptr (CofferHttpServer) self = g_object_new (COFFER_TYPE_HTTP_SERVER, NULL);

  self->router = g_object_ref (router);
  self->metrics = g_object_ref (metrics);
  self->max_connections = options->max_connections;
  self->idle_timeout_s = options->idle_timeout_s;
  self->header_timeout_s = options->header_timeout_s;
  self->max_body_size = options->max_body_size;

  for (guint i = 0; options->listen && options->listen[i]; i++)
    {
      GInetSocketAddress *address;

      if (!coffer_http_parse_address (options->listen[i], &address, error))
        return NULL;
      g_ptr_array_add (self->addresses, address);
    }
  if (self->addresses->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "No listen address is configured: set [server] listen");
      return NULL;
    }

  if ((options->tls_certificate && *options->tls_certificate) !=
      (options->tls_key && *options->tls_key))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "TLS needs both [server] tls_certificate and [server] tls_key");
      return NULL;
    }
  if (options->tls_certificate && *options->tls_certificate)
    {
      self->certificate = g_tls_certificate_new_from_files (options->tls_certificate,
                                                            options->tls_key, error);
      if (self->certificate == NULL)
        {
          g_prefix_error (error, "Could not load the TLS certificate %s: ",
                          options->tls_certificate);
          return NULL;
        }
    }

  coffer_metrics_register_counter (metrics, "coffer_http_requests_total",
                                   "HTTP requests answered, by route, method and status.");
  coffer_metrics_register_histogram (metrics, "coffer_http_request_duration_seconds",
                                     "Time from request headers to the answer, by route.",
                                     latency_bounds_usec, G_N_ELEMENTS (latency_bounds_usec));
  coffer_metrics_register_counter (metrics, "coffer_http_connections_total",
                                   "Client connections accepted since start.");
  coffer_metrics_add_collector (metrics, collect_connections, self);

  self->soup = soup_server_new ("server-header", "coffer-server/" PACKAGE_VERSION, NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, handler, self, NULL);
  g_signal_connect_object (self->soup, "request-started", G_CALLBACK (on_request_started), self,
                           G_CONNECT_DEFAULT);
  g_signal_connect_object (self->soup, "request-finished", G_CALLBACK (on_request_finished),
                           self, G_CONNECT_DEFAULT);
  g_signal_connect_object (self->soup, "request-aborted", G_CALLBACK (on_request_aborted), self,
                           G_CONNECT_DEFAULT);
  if (!add_keepalive_listener (self, error))
    return NULL;

  self->service = g_socket_service_new ();
  g_signal_connect_object (self->service, "incoming", G_CALLBACK (on_incoming), self,
                           G_CONNECT_DEFAULT);
  return g_steal_pointer (&self);
}

gboolean
coffer_http_server_start (CofferHttpServer  *self,
                          GError           **error)
{
  for (guint i = 0; i < self->addresses->len; i++)
    {
      GSocketAddress *address = g_ptr_array_index (self->addresses, i);
      g_autoptr (GSocketAddress) effective = NULL;

      if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                          &effective, error))
        {
          g_autofree char *text = address_to_string (address);

          g_prefix_error (error, "Could not listen on %s: ", text);
          return FALSE;
        }
      g_ptr_array_add (self->bound, address_to_string (effective));
    }
  g_socket_service_start (self->service);
  return TRUE;
}

/* "host:port" of every bound address, with the real port where 0 was asked. */
GStrv
coffer_http_server_get_addresses (CofferHttpServer *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv result;

  for (guint i = 0; i < self->bound->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->bound, i));
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/* Closes the listening sockets (new clients are refused), closes connections
 * that sit idle between requests, and marks answers in flight to close
 * their connection once sent. */
void
coffer_http_server_stop_accepting (CofferHttpServer *self)
{
  g_autoptr (GPtrArray) idle = NULL;
  GHashTableIter iter;
  Connection *connection;
  SoupServerMessage *message;

  if (self->stopping)
    return;
  self->stopping = TRUE;
  /* A server that failed half-way through construction has no service. */
  if (self->service)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }

  g_hash_table_iter_init (&iter, self->in_flight_messages);
  while (g_hash_table_iter_next (&iter, (gpointer *) &message, NULL))
    {
      CofferRequest *request = request_for_message (message);

      if (request)
        coffer_request_set_closing (request, TRUE);
    }

  /* Ending a connection may drop it from the table: collect first. */
  idle = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &connection))
    if (!connection->in_request)
      g_ptr_array_add (idle, connection);
  for (guint i = 0; i < idle->len; i++)
    end_waiting_connection (g_ptr_array_index (idle, i), "the server is stopping");
}

guint
coffer_http_server_get_in_flight (CofferHttpServer *self)
{
  return self->in_flight;
}

guint
coffer_http_server_get_connections (CofferHttpServer *self)
{
  return g_hash_table_size (self->connections);
}

void
coffer_http_server_close (CofferHttpServer *self)
{
  coffer_http_server_stop_accepting (self);
  if (self->soup)
    soup_server_disconnect (self->soup);
}
