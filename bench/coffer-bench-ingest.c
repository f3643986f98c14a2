/* coffer-bench-ingest.c: a closed-loop load generator for POST /v1/stripe/webhook.
 *
 * Before the clock starts it signs unique copies of Stripe's example events
 * (each its own evt_bench_<n> id, created now), then keeps N keep-alive
 * connections busy with one request in flight each until the requests or the
 * time run out. No request is abandoned mid-flight, so every event's outcome
 * is known: the ids acknowledged with a new row can be compared with the
 * inbox afterwards. See docs/performance.md, "Webhook ingest". */
#include "config.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A response larger than this is not Coffer's webhook answer. */
#define MAX_RESPONSE 65536
/* The examples used: Stripe's invoice and subscription events are 3-5 KB. */
#define MIN_EVENT_SIZE 3000
#define MAX_EVENT_SIZE 5300
#define ID_PREFIX "evt_bench_"

/* One example event, with where its top-level "id" and "created" values sit. */
typedef struct
{
  char  *name;
  char  *text;
  gsize  length;
  gsize  id_start, id_end;
  gsize  created_start, created_end;
} Template;

/* One pre-signed request: the whole HTTP message, ready to write. */
typedef struct
{
  char  *id;
  char  *data;
  gsize  length;
} SignedRequest;

/* Shared by the connections: the requests, taken in turn, and the start line. */
typedef struct
{
  GPtrArray       *requests;
  gint             next_request;
  gint64           deadline_usec;
  struct addrinfo *address;

  GMutex           lock;
  GCond            ready_cond;
  guint            n_ready;
  gboolean         is_started;
} Run;

typedef struct
{
  Run       *run;
  GThread   *thread;
  int        fd;
  GArray    *latencies_usec;
  GPtrArray *acknowledged_ids;
  guint      n_sent;
  guint      n_duplicates;
  guint      n_not_ok;
  guint      n_errors;
  char       buffer[MAX_RESPONSE];
} Connection;

static void
template_free (Template *template)
{
  g_free (template->name);
  g_free (template->text);
  g_free (template);
}

static void
signed_request_free (SignedRequest *request)
{
  g_free (request->id);
  g_free (request->data);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Template, template_free)

/* Finds the value of @key among the members of the outermost object: the
 * examples nest other "id" and "created" members, which must stay as they are. */
static gboolean
find_top_level_value (const char *text,
                      gsize       length,
                      const char *key,
                      gsize      *out_start,
                      gsize      *out_end)
{
  gsize key_length = strlen (key);
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']')
        depth--;
      else if (c == '"')
        {
          gsize start = i + 1;
          gsize end = start;
          gsize value;

          while (end < length && text[end] != '"')
            end += text[end] == '\\' ? 2 : 1;
          i = end;
          if (depth != 1 || end - start != key_length || memcmp (text + start, key, key_length))
            continue;
          value = end + 1;
          while (value < length && (text[value] == ' ' || text[value] == '\n' ||
                                    text[value] == '\t' || text[value] == '\r'))
            value++;
          if (value >= length || text[value] != ':')
            continue;
          value++;
          while (value < length && (text[value] == ' ' || text[value] == '\n'))
            value++;
          *out_start = value;
          if (text[value] == '"')
            {
              /* A string: the span is inside the quotes. */
              *out_start = value + 1;
              for (value++; value < length && text[value] != '"'; value++)
                ;
            }
          else
            for (; value < length && g_ascii_isdigit (text[value]); value++)
              ;
          *out_end = value;
          return *out_end > *out_start;
        }
    }
  return FALSE;
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static Template *
template_load (const char  *path,
               GError     **error)
{
  g_autoptr (Template) template = g_new0 (Template, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();

  template->name = g_path_get_basename (path);
  if (!g_file_get_contents (path, &template->text, &template->length, error))
    return NULL;
  if (!json_parser_load_from_data (parser, template->text, template->length, error))
    return NULL;
  if (!find_top_level_value (template->text, template->length, "id", &template->id_start,
                             &template->id_end) ||
      !find_top_level_value (template->text, template->length, "created",
                             &template->created_start, &template->created_end) ||
      template->id_end > template->created_start)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s has no top-level “id” followed by “created”", path);
      return NULL;
    }
  return g_steal_pointer (&template);
}

static GPtrArray *
templates_load (const char  *directory,
                gsize        min_size,
                gsize        max_size,
                GError     **error)
{
  g_autoptr (GDir) dir = g_dir_open (directory, 0, error);
  g_autoptr (GPtrArray) templates = g_ptr_array_new_with_free_func ((GDestroyNotify) template_free);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  /* A fixed order, so two runs send the same mix. */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (directory, g_ptr_array_index (names, i), NULL);
      Template *template = template_load (path, error);

      if (template == NULL)
        return NULL;
      if (template->length < min_size || template->length > max_size)
        template_free (template);
      else
        g_ptr_array_add (templates, template);
    }
  if (templates->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No event in %s is between %" G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT
                   " bytes", directory, min_size, max_size);
      return NULL;
    }
  return g_steal_pointer (&templates);
}

/* Stripe signs "<t>.<body>" with the whole secret, "whsec_" included. */
static SignedRequest *
signed_request_new (const Template *template,
                    const char     *id,
                    gint64          now,
                    const char     *secret,
                    const char     *host,
                    const char     *path)
{
  SignedRequest *request = g_new0 (SignedRequest, 1);
  g_autoptr (GString) body = g_string_sized_new (template->length + 32);
  g_autoptr (GString) signed_payload = NULL;
  g_autoptr (GString) message = NULL;
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;

  g_string_append_len (body, template->text, template->id_start);
  g_string_append (body, id);
  g_string_append_len (body, template->text + template->id_end,
                       template->created_start - template->id_end);
  g_string_append_printf (body, "%" G_GINT64_FORMAT, now);
  g_string_append_len (body, template->text + template->created_end,
                       template->length - template->created_end);

  signed_payload = g_string_new (NULL);
  g_string_printf (signed_payload, "%" G_GINT64_FORMAT ".", now);
  g_string_append_len (signed_payload, body->str, body->len);
  HMAC (EVP_sha256 (), secret, (int) strlen (secret), (const guint8 *) signed_payload->str,
        signed_payload->len, digest, &digest_length);

  message = g_string_sized_new (body->len + 512);
  g_string_append_printf (message,
                          "POST %s HTTP/1.1\r\n"
                          "Host: %s\r\n"
                          "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
                          "Accept: */*; q=0.5, application/xml\r\n"
                          "Cache-Control: no-cache\r\n"
                          "Content-Type: application/json; charset=utf-8\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Stripe-Signature: t=%" G_GINT64_FORMAT ",v1=",
                          path, host, body->len, now);
  for (unsigned int i = 0; i < digest_length; i++)
    g_string_append_printf (message, "%02x", digest[i]);
  g_string_append (message, "\r\n\r\n");
  g_string_append_len (message, body->str, body->len);

  request->id = g_strdup (id);
  request->length = message->len;
  request->data = g_string_free (g_steal_pointer (&message), FALSE);
  return request;
}

static void
connection_close (Connection *self)
{
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
}

static gboolean
connection_open (Connection *self)
{
  struct addrinfo *address = self->run->address;
  int one = 1;
  struct timeval timeout = { .tv_sec = 30 };

  self->fd = socket (address->ai_family, address->ai_socktype, address->ai_protocol);
  if (self->fd < 0)
    return FALSE;
  setsockopt (self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt (self->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect (self->fd, address->ai_addr, address->ai_addrlen) != 0)
    {
      connection_close (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       length)
{
  while (length > 0)
    {
      ssize_t n = send (fd, data, length, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/* Reads one response. Returns its status, or 0 if the connection failed;
 * @out_must_close says the server will close it after this answer. */
static guint
read_response (Connection *self,
               gboolean   *out_is_duplicate,
               gboolean   *out_must_close)
{
  gsize filled = 0;
  gsize header_length = 0;
  gsize content_length = 0;
  guint status = 0;
  char *end_of_headers = NULL;

  *out_is_duplicate = FALSE;
  *out_must_close = FALSE;
  while (end_of_headers == NULL)
    {
      ssize_t n = recv (self->fd, self->buffer + filled, sizeof self->buffer - 1 - filled, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return 0;
      filled += (gsize) n;
      self->buffer[filled] = '\0';
      end_of_headers = strstr (self->buffer, "\r\n\r\n");
      if (end_of_headers == NULL && filled == sizeof self->buffer - 1)
        return 0;
    }
  header_length = (gsize) (end_of_headers - self->buffer) + 4;
  if (sscanf (self->buffer, "HTTP/1.%*d %u", &status) != 1)
    return 0;

  for (char *line = strstr (self->buffer, "\r\n") + 2; line < end_of_headers;
       line = strstr (line, "\r\n") + 2)
    {
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        content_length = (gsize) g_ascii_strtoull (line + 15, NULL, 10);
      else if (g_ascii_strncasecmp (line, "Connection:", 11) == 0 &&
               g_ascii_strncasecmp (line + 11 + strspn (line + 11, " "), "close", 5) == 0)
        *out_must_close = TRUE;
    }
  if (header_length + content_length >= sizeof self->buffer)
    return 0;

  while (filled < header_length + content_length)
    {
      ssize_t n = recv (self->fd, self->buffer + filled,
                        header_length + content_length - filled, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return 0;
      filled += (gsize) n;
    }
  self->buffer[filled] = '\0';
  *out_is_duplicate = strstr (self->buffer + header_length, "\"duplicate\":true") != NULL;
  return status;
}

static gpointer
connection_main (gpointer data)
{
  Connection *self = data;
  Run *run = self->run;
  gboolean is_connected = connection_open (self);

  g_mutex_lock (&run->lock);
  run->n_ready++;
  g_cond_broadcast (&run->ready_cond);
  while (!run->is_started)
    g_cond_wait (&run->ready_cond, &run->lock);
  g_mutex_unlock (&run->lock);

  /* No new request after the deadline, but the one in flight is always
   * answered: an abandoned request would leave its outcome unknown. */
  while (g_get_monotonic_time () < run->deadline_usec)
    {
      gint index = g_atomic_int_add (&run->next_request, 1);
      SignedRequest *request;
      gint64 started, latency;
      guint status;
      gboolean is_duplicate, must_close;

      if (index >= (gint) run->requests->len)
        break;
      request = g_ptr_array_index (run->requests, index);
      if (!is_connected && !(is_connected = connection_open (self)))
        {
          self->n_errors++;
          continue;
        }

      started = g_get_monotonic_time ();
      self->n_sent++;
      status = write_all (self->fd, request->data, request->length)
                 ? read_response (self, &is_duplicate, &must_close) : 0;
      if (status == 0)
        {
          /* The event may or may not be stored: counted apart. */
          self->n_errors++;
          connection_close (self);
          is_connected = FALSE;
          continue;
        }
      latency = g_get_monotonic_time () - started;
      g_array_append_val (self->latencies_usec, latency);
      if (status != 200)
        self->n_not_ok++;
      else if (is_duplicate)
        self->n_duplicates++;
      else
        g_ptr_array_add (self->acknowledged_ids, request->id);
      if (must_close)
        {
          connection_close (self);
          is_connected = FALSE;
        }
    }
  connection_close (self);
  return NULL;
}

static gint
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @values, in milliseconds. */
static double
percentile_ms (GArray *values,
               double  percent)
{
  gsize rank;

  if (values->len == 0)
    return 0.0;
  rank = (gsize) MAX (1.0, (percent / 100.0) * values->len + 0.999999);
  return g_array_index (values, gint64, MIN (rank, values->len) - 1) / 1000.0;
}

static gboolean
parse_url (const char  *url,
           char       **out_host,
           char       **out_port,
           char       **out_path,
           GError     **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, error);

  if (uri == NULL)
    return FALSE;
  if (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 || g_uri_get_port (uri) <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "URL %s is not http://HOST:PORT/PATH", url);
      return FALSE;
    }
  *out_host = g_strdup (g_uri_get_host (uri));
  *out_port = g_strdup_printf ("%d", g_uri_get_port (uri));
  *out_path = g_strdup (g_uri_get_path (uri));
  return TRUE;
}

/* What every connection saw, added up. */
typedef struct
{
  GArray  *latencies_usec;
  GString *acknowledged_ids;
  guint    n_sent;
  guint    n_acknowledged;
  guint    n_duplicates;
  guint    n_not_ok;
  guint    n_errors;
  double   seconds;
} Totals;

/* Opens @n_connections, starts the clock once all are open, and returns when
 * the last answer is in. */
static void
run_connections (Run    *run,
                 int     n_connections,
                 int     duration_s,
                 Totals *totals)
{
  g_autofree Connection *connections = g_new0 (Connection, (gsize) n_connections);
  gint64 started;

  for (int i = 0; i < n_connections; i++)
    {
      connections[i].run = run;
      connections[i].fd = -1;
      connections[i].latencies_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
      connections[i].acknowledged_ids = g_ptr_array_new ();
      connections[i].thread = g_thread_new ("bench-connection", connection_main,
                                            &connections[i]);
    }

  g_mutex_lock (&run->lock);
  while (run->n_ready < (guint) n_connections)
    g_cond_wait (&run->ready_cond, &run->lock);
  started = g_get_monotonic_time ();
  run->deadline_usec = started + (gint64) duration_s * G_USEC_PER_SEC;
  run->is_started = TRUE;
  g_cond_broadcast (&run->ready_cond);
  g_mutex_unlock (&run->lock);

  for (int i = 0; i < n_connections; i++)
    {
      Connection *connection = &connections[i];

      g_thread_join (connection->thread);
      g_array_append_vals (totals->latencies_usec, connection->latencies_usec->data,
                           connection->latencies_usec->len);
      for (guint j = 0; j < connection->acknowledged_ids->len; j++)
        g_string_append_printf (totals->acknowledged_ids, "%s\n",
                                (char *) g_ptr_array_index (connection->acknowledged_ids, j));
      totals->n_sent += connection->n_sent;
      totals->n_acknowledged += connection->acknowledged_ids->len;
      totals->n_duplicates += connection->n_duplicates;
      totals->n_not_ok += connection->n_not_ok;
      totals->n_errors += connection->n_errors;
      g_array_unref (connection->latencies_usec);
      g_ptr_array_unref (connection->acknowledged_ids);
    }
  totals->seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  g_array_sort (totals->latencies_usec, compare_int64);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *url = NULL;
  g_autofree char *events_directory = NULL;
  g_autofree char *acknowledged_path = NULL;
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;
  g_autofree char *path = NULL;
  g_autofree char *host_header = NULL;
  const char *secret = g_getenv ("COFFER_BENCH_WEBHOOK_SECRET");
  int n_connections = 8, n_requests = 20000, duration_s = 10, first_id = 1;
  g_autoptr (GOptionContext) context = g_option_context_new ("- load Coffer's webhook endpoint");
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GString) acknowledged_ids = g_string_new (NULL);
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
  struct addrinfo *addresses = NULL;
  Run run = { 0 };
  Totals totals = { .latencies_usec = latencies, .acknowledged_ids = acknowledged_ids };
  gint64 now;
  gsize body_bytes = 0;
  int status;
  const GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url,
      "The webhook endpoint, http://HOST:PORT/v1/stripe/webhook", "URL" },
    { "events", 'e', 0, G_OPTION_ARG_FILENAME, &events_directory,
      "Directory of Stripe example events (*.json; those of 3000-5300 bytes are used)",
      "DIR" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &n_connections,
      "Keep-alive connections, one request in flight each (default 8)", "N" },
    { "requests", 'n', 0, G_OPTION_ARG_INT, &n_requests,
      "Pre-signed requests; the run ends when they are used (default 20000)", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &duration_s,
      "Stop sending after this many seconds if requests remain (default 10)", "SECONDS" },
    { "first-id", 0, 0, G_OPTION_ARG_INT, &first_id,
      "Event ids are evt_bench_<n> from this n on (default 1)", "N" },
    { "acknowledged", 'a', 0, G_OPTION_ARG_FILENAME, &acknowledged_path,
      "Write the ids answered 200 with a new row to FILE, one a line", "FILE" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                "Signs unique copies of the example events, sends them over N "
                                "connections and prints\none line: sent, acknowledged, "
                                "duplicates, non-2xx, errors, events/s, p50/p99/max ms.\nThe "
                                "signing secret is read from $COFFER_BENCH_WEBHOOK_SECRET.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("coffer-bench-ingest: %s\n", error->message);
      return 2;
    }
  if (url == NULL || events_directory == NULL || secret == NULL || secret[0] == '\0' ||
      n_connections < 1 || n_requests < 1 || duration_s < 1)
    {
      g_printerr ("coffer-bench-ingest: --url, --events and $COFFER_BENCH_WEBHOOK_SECRET are "
                  "required; counts must be positive\n");
      return 2;
    }
  if (!parse_url (url, &host, &port, &path, &error) ||
      (templates = templates_load (events_directory, MIN_EVENT_SIZE, MAX_EVENT_SIZE,
                                   &error)) == NULL)
    {
      g_printerr ("coffer-bench-ingest: %s\n", error->message);
      return 1;
    }
  if ((status = getaddrinfo (host, port, &hints, &addresses)) != 0)
    {
      g_printerr ("coffer-bench-ingest: cannot resolve %s: %s\n", host, gai_strerror (status));
      return 1;
    }
  host_header = g_strdup_printf ("%s:%s", host, port);

  /* Signed now, before the clock starts: the server accepts a timestamp up
   * to 300 s old by default. */
  now = g_get_real_time () / G_USEC_PER_SEC;
  requests = g_ptr_array_new_full ((guint) n_requests, (GDestroyNotify) signed_request_free);
  for (int i = 0; i < n_requests; i++)
    {
      const Template *template = g_ptr_array_index (templates, (guint) i % templates->len);
      g_autofree char *id = g_strdup_printf (ID_PREFIX "%d", first_id + i);

      g_ptr_array_add (requests, signed_request_new (template, id, now, secret, host_header,
                                                     path));
    }
  for (guint i = 0; i < templates->len; i++)
    body_bytes += ((Template *) g_ptr_array_index (templates, i))->length;

  run.requests = requests;
  run.address = addresses;
  g_mutex_init (&run.lock);
  g_cond_init (&run.ready_cond);
  run_connections (&run, n_connections, duration_s, &totals);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.ready_cond);
  freeaddrinfo (addresses);

  if (acknowledged_path &&
      !g_file_set_contents (acknowledged_path, acknowledged_ids->str,
                            (gssize) acknowledged_ids->len, &error))
    {
      g_printerr ("coffer-bench-ingest: %s\n", error->message);
      return 1;
    }

  /* One line of key=value, for people and for the bench script. */
  g_print ("connections=%d sent=%u acknowledged=%u duplicates=%u non2xx=%u errors=%u "
           "seconds=%.3f events_per_s=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
           "mean_body_bytes=%" G_GSIZE_FORMAT " used_all=%s\n",
           n_connections, totals.n_sent, totals.n_acknowledged, totals.n_duplicates,
           totals.n_not_ok, totals.n_errors, totals.seconds,
           totals.n_acknowledged / totals.seconds, percentile_ms (latencies, 50),
           percentile_ms (latencies, 99), percentile_ms (latencies, 100),
           body_bytes / templates->len,
           run.next_request >= (gint) requests->len ? "yes" : "no");
  return totals.n_errors == 0 ? 0 : 1;
}
