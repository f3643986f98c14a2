/* coffer-webhook-worker.c: applies inbox rows to the mirror.
 *
 * Each thread owns a connection, LISTENs on coffer_inbox (the inbox trigger
 * notifies on every insert) and claims due pending rows, oldest first, with
 * FOR UPDATE SKIP LOCKED, so any number of threads and servers share the
 * work without taking the same row. A claimed batch is applied in one
 * transaction, each event under its own savepoint: an event that fails rolls
 * back alone, and its failure is recorded in the same commit as its
 * neighbours' success. A failing event is retried with exponential backoff
 * and jitter, and parked for a person after [webhook] max_attempts; one that
 * can never succeed (malformed, unsupported API version) is parked at once.
 * Nothing is ever deleted. */
#include "config.h"

#include "coffer-webhook-worker.h"
#include "db/coffer-db-pool.h"
#include "webhook/coffer-webhook-apply.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 64

struct _CofferWebhookWorker
{
  GObject                    parent_instance;

  char                      *conninfo;
  char                      *password;
  guint                      max_attempts;
  guint                      retry_base_s;
  guint                      retry_max_s;
  guint                      statement_timeout_ms;
  CofferClock               *clock;
  CofferMetrics             *metrics;
  GCancellable              *cancellable;
  GPtrArray                 *threads;
  GMutex                     start_mutex;
  guint                      next_index;
};

G_DEFINE_FINAL_TYPE (CofferWebhookWorker, coffer_webhook_worker, G_TYPE_OBJECT)

/* Walks stripe_event_inbox_pending in order; payloads are read only for the
 * rows claimed. */
static const char claim_sql[] =
  "SELECT id, type, payload::text, attempts FROM stripe_event_inbox "
  "WHERE id IN (SELECT id FROM stripe_event_inbox "
  "             WHERE status = 'pending' "
  "               AND next_attempt_at <= to_timestamp ($1::double precision / 1e6) "
  "             ORDER BY stripe_created, received_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
  "ORDER BY stripe_created, received_at";

/* The outcome of every event of a batch that applied, in one statement:
 * $1 ids, $2 statuses, $3 durations (array literals of plain words). */
static const char done_sql[] =
  "WITH done AS (SELECT * FROM unnest ($1::text[], $2::stripe_event_status[], $3::int[]) "
  "              AS d (id, status, duration_ms)),"
  "row AS ("
  "  UPDATE stripe_event_inbox i SET status = d.status, attempts = i.attempts + 1,"
  "    processed_at = to_timestamp ($4::double precision / 1e6), last_error = NULL "
  "  FROM done d WHERE i.id = d.id RETURNING i.id, i.attempts, d.status, d.duration_ms)"
  "INSERT INTO stripe_event_attempts (event_id, attempt, started_at, duration_ms, outcome) "
  "SELECT id, attempts, to_timestamp ($4::double precision / 1e6), duration_ms, status::text "
  "FROM row";

static const char failed_sql[] =
  "WITH row AS ("
  "  UPDATE stripe_event_inbox SET attempts = attempts + 1, last_error = $2,"
  "    status = CASE WHEN $5 THEN 'parked'::stripe_event_status ELSE status END,"
  "    parked_at = CASE WHEN $5 THEN to_timestamp ($3::double precision / 1e6) END,"
  "    next_attempt_at = to_timestamp (($3::double precision / 1e6) + $4) "
  "  WHERE id = $1 RETURNING attempts)"
  "INSERT INTO stripe_event_attempts (event_id, attempt, started_at, duration_ms, outcome, error) "
  "SELECT $1, attempts, to_timestamp ($3::double precision / 1e6), $6, "
  "       CASE WHEN $5 THEN 'parked' ELSE 'failed' END, $2 FROM row";

static const char next_due_sql[] =
  "SELECT extract (epoch FROM min (next_attempt_at)) * 1e6 FROM stripe_event_inbox "
  "WHERE status = 'pending'";

/* Exponential backoff: base·2^(attempts−1), capped, minus up to a quarter of
 * random jitter so that events failing together do not retry together. */
gint64
coffer_webhook_retry_delay_s (guint   attempts,
                              guint   base_s,
                              guint   max_s,
                              guint32 random)
{
  gint64 delay = base_s;

  for (guint i = 1; i < attempts && delay < max_s; i++)
    delay *= 2;
  delay = MIN (delay, (gint64) max_s);
  return delay - (gint64) (random % (guint32) (delay / 4 + 1));
}

static gboolean
exec_ok (PGconn     *conn,
         const char *sql)
{
  g_autoptr (PGresult) result = PQexec (conn, sql);

  return PQresultStatus (result) == PGRES_COMMAND_OK;
}

static void
count (CofferWebhookWorker *self,
       const char          *type,
       const char          *outcome)
{
  g_autofree char *labels = g_strdup_printf ("type=\"%s\",outcome=\"%s\"", type, outcome);

  coffer_metrics_add (self->metrics, "coffer_events_applied_total", labels, 1);
}

typedef struct
{
  char  *id;
  char  *type;
  char  *payload;
  guint  attempts;
} Claimed;

static void
claimed_clear (Claimed *claimed)
{
  g_free (claimed->id);
  g_free (claimed->type);
  g_free (claimed->payload);
}

/* The events of a batch that applied, as array literals for done_sql. Event
 * ids are evt_ followed by letters, digits and underscores (the inbox
 * checks), so they need no quoting. */
typedef struct
{
  GString *ids;
  GString *statuses;
  GString *durations;
} Done;

/* Applies one claimed event under a savepoint; a failure is recorded at
 * once, a success added to @done. */
static gboolean
apply_one (CofferWebhookWorker *self,
           PGconn              *conn,
           GHashTable          *prepared,
           Claimed             *claimed,
           Done                *done,
           gboolean            *out_end_batch,
           GError             **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) apply_error = NULL;
  g_autoptr (PGresult) recorded = NULL;
  g_autoptr (CofferDbQuery) record = NULL;
  CofferWebhookOutcome outcome = COFFER_WEBHOOK_OUTCOME_APPLIED;
  gint64 started = coffer_clock_now_usec (self->clock);
  gint64 started_mono = g_get_monotonic_time ();
  gboolean applied = FALSE;
  gboolean permanent = FALSE;
  gint64 duration_ms;
  g_autofree char *duration_text = NULL;

  if (!exec_ok (conn, "SAVEPOINT event"))
    {
      coffer_db_set_error_from_result (error, conn, NULL, "Could not set a savepoint");
      return FALSE;
    }

  if (!json_parser_load_from_data (parser, claimed->payload, -1, &apply_error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      if (apply_error == NULL)
        apply_error = g_error_new (COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                                   "The stored event is not a JSON object");
      permanent = TRUE;
    }
  else
    {
      JsonObject *event = json_node_get_object (json_parser_get_root (parser));

      applied = coffer_webhook_apply (conn, prepared, event, &outcome, &apply_error);
      permanent = !applied && apply_error->domain == COFFER_WEBHOOK_ERROR;
      /* PostgreSQL broke a deadlock by cancelling this statement, but the
       * batch's transaction still holds the locks of the events before it,
       * which the other side waits for. End the batch now so they go; the
       * rest of it stays pending and is claimed again. */
      if (!applied && (g_error_matches (apply_error, COFFER_DB_ERROR,
                                        COFFER_DB_ERROR_SERIALIZATION) ||
                       g_error_matches (apply_error, COFFER_DB_ERROR, COFFER_DB_ERROR_TIMEOUT)))
        *out_end_batch = TRUE;
    }

  duration_ms = (g_get_monotonic_time () - started_mono) / 1000;
  duration_text = g_strdup_printf ("%" G_GINT64_FORMAT, duration_ms);

  if (applied)
    {
      const char *status = outcome == COFFER_WEBHOOK_OUTCOME_IGNORED ? "ignored" : "processed";

      /* Recorded with the rest of the batch, in one statement before COMMIT.
       * The savepoint is not released: the next one stacks on it, and one
       * round trip per event is saved. */
      g_string_append_printf (done->ids, "%s%s", done->ids->len ? "," : "", claimed->id);
      g_string_append_printf (done->statuses, "%s%s", done->statuses->len ? "," : "", status);
      g_string_append_printf (done->durations, "%s%" G_GINT64_FORMAT,
                              done->durations->len ? "," : "", duration_ms);
      count (self, claimed->type, outcome == COFFER_WEBHOOK_OUTCOME_IGNORED ? "ignored"
                                  : outcome == COFFER_WEBHOOK_OUTCOME_STALE ? "stale"
                                                                            : "applied");
      g_log_structured (G_LOG_DOMAIN,
                        outcome == COFFER_WEBHOOK_OUTCOME_IGNORED ? G_LOG_LEVEL_MESSAGE
                                                                  : G_LOG_LEVEL_INFO,
                        "EVENT_ID", claimed->id,
                        "EVENT_TYPE", claimed->type,
                        "OUTCOME", outcome == COFFER_WEBHOOK_OUTCOME_IGNORED ? "ignored"
                                   : outcome == COFFER_WEBHOOK_OUTCOME_STALE ? "stale"
                                                                             : "applied",
                        "DURATION_MS", duration_text,
                        "MESSAGE", "Event %s %s %s", claimed->type, claimed->id,
                        outcome == COFFER_WEBHOOK_OUTCOME_IGNORED
                          ? "ignored: Coffer does not handle this type"
                          : outcome == COFFER_WEBHOOK_OUTCOME_STALE
                            ? "applied: the mirror already held newer state"
                            : "applied");
      return TRUE;
    }

  /* The event's own changes go; its failure is what this attempt records. */
  if (!exec_ok (conn, "ROLLBACK TO SAVEPOINT event"))
    {
      g_propagate_error (error, g_steal_pointer (&apply_error));
      return FALSE;
    }
  {
    guint attempts = claimed->attempts + 1;
    gboolean park = permanent || attempts >= self->max_attempts;
    gint64 delay = park ? 0 : coffer_webhook_retry_delay_s (attempts, self->retry_base_s,
                                                            self->retry_max_s,
                                                            g_random_int ());

    record = coffer_db_query_new_prepared ("worker_failed", failed_sql);
    coffer_db_query_text (record, claimed->id);
    coffer_db_query_text (record, apply_error->message);
    coffer_db_query_int64 (record, started);
    coffer_db_query_int64 (record, delay);
    coffer_db_query_boolean (record, park);
    coffer_db_query_int64 (record, duration_ms);
    recorded = coffer_db_query_exec (record, conn, prepared, error);
    if (recorded == NULL)
      return FALSE;
    count (self, claimed->type, park ? "parked" : "failed");
    g_log_structured (G_LOG_DOMAIN, park ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO,
                      "EVENT_ID", claimed->id,
                      "EVENT_TYPE", claimed->type,
                      "OUTCOME", park ? "parked" : "failed",
                      "DURATION_MS", duration_text,
                      "MESSAGE", park ? "Event %s %s parked after attempt %u: %s"
                                      : "Event %s %s failed (attempt %u), will retry: %s",
                      claimed->type, claimed->id, attempts, apply_error->message);
  }
  return TRUE;
}

/* Claims and applies one batch. Returns how many events it handled, or -1. */
static int
run_batch (CofferWebhookWorker *self,
           PGconn              *conn,
           GHashTable          *prepared,
           GError             **error)
{
  g_autoptr (CofferDbQuery) claim = coffer_db_query_new_prepared ("worker_claim", claim_sql);
  g_autoptr (PGresult) rows = NULL;
  g_autoptr (PGresult) commit = NULL;
  g_autoptr (GString) done_ids = g_string_new (NULL);
  g_autoptr (GString) done_statuses = g_string_new (NULL);
  g_autoptr (GString) done_durations = g_string_new (NULL);
  Done done = { done_ids, done_statuses, done_durations };
  gboolean end_batch = FALSE;
  int n_rows;

  if (!exec_ok (conn, "BEGIN"))
    {
      coffer_db_set_error_from_result (error, conn, NULL, "Could not start a transaction");
      return -1;
    }
  coffer_db_query_int64 (claim, coffer_clock_now_usec (self->clock));
  coffer_db_query_int64 (claim, BATCH);
  rows = coffer_db_query_exec (claim, conn, prepared, error);
  if (rows == NULL)
    return -1;

  n_rows = PQntuples (rows);
  for (int i = 0; i < n_rows && !end_batch; i++)
    {
      Claimed claimed = {
        g_strdup (PQgetvalue (rows, i, 0)), g_strdup (PQgetvalue (rows, i, 1)),
        g_strdup (PQgetvalue (rows, i, 2)), (guint) atoi (PQgetvalue (rows, i, 3)),
      };
      gboolean ok = apply_one (self, conn, prepared, &claimed, &done, &end_batch, error);

      claimed_clear (&claimed);
      if (!ok)
        return -1;
    }

  if (done.ids->len > 0)
    {
      g_autoptr (CofferDbQuery) record = coffer_db_query_new_prepared ("worker_done", done_sql);
      g_autoptr (PGresult) recorded = NULL;
      g_autofree char *ids = g_strdup_printf ("{%s}", done.ids->str);
      g_autofree char *statuses = g_strdup_printf ("{%s}", done.statuses->str);
      g_autofree char *durations = g_strdup_printf ("{%s}", done.durations->str);

      coffer_db_query_text (record, ids);
      coffer_db_query_text (record, statuses);
      coffer_db_query_text (record, durations);
      coffer_db_query_int64 (record, coffer_clock_now_usec (self->clock));
      recorded = coffer_db_query_exec (record, conn, prepared, error);
      if (recorded == NULL)
        return -1;
    }

  commit = PQexec (conn, "COMMIT");
  if (!coffer_db_check_result (conn, commit, "Could not commit applied events", error))
    return -1;
  return n_rows;
}

/* How long to sleep when nothing is due: until the next retry, at most 5 s
 * (a safety net; NOTIFY normally wakes us at once). */
static int
idle_timeout_ms (CofferWebhookWorker *self,
                 PGconn              *conn)
{
  g_autoptr (PGresult) next = PQexec (conn, next_due_sql);
  gint64 now = coffer_clock_now_usec (self->clock);
  gint64 due;

  if (PQresultStatus (next) != PGRES_TUPLES_OK || PQgetisnull (next, 0, 0))
    return 5000;
  due = (gint64) g_ascii_strtod (PQgetvalue (next, 0, 0), NULL);
  if (due <= now)
    return 0;
  return (int) MIN ((due - now) / 1000 + 1, 5000);
}

static void
wait_for_work (CofferWebhookWorker *self,
               PGconn              *conn,
               int                  timeout_ms)
{
  GPollFD cancel_fd;
  struct pollfd fds[2];
  PGnotify *notify;

  if (timeout_ms == 0)
    return;
  g_cancellable_make_pollfd (self->cancellable, &cancel_fd);
  fds[0].fd = PQsocket (conn);
  fds[0].events = POLLIN;
  fds[1].fd = cancel_fd.fd;
  fds[1].events = POLLIN;
  while (poll (fds, 2, timeout_ms) < 0 && errno == EINTR)
    ;
  g_cancellable_release_fd (self->cancellable);
  PQconsumeInput (conn);
  while ((notify = PQnotifies (conn)) != NULL)
    PQfreemem (notify);
}

static void
sleep_unless_stopped (CofferWebhookWorker *self,
                      guint                ms)
{
  GPollFD cancel_fd;

  if (!g_cancellable_make_pollfd (self->cancellable, &cancel_fd))
    {
      g_usleep (ms * 1000);
      return;
    }
  g_poll (&cancel_fd, 1, (int) ms);
  g_cancellable_release_fd (self->cancellable);
}

/* The inbox's state for /metrics; the partial indexes keep these cheap. */
static void
update_backlog_gauges (CofferWebhookWorker *self,
                       PGconn              *conn)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (CofferDbQuery) query = NULL;

  query = coffer_db_query_new (
    "SELECT (SELECT count(*) FROM stripe_event_inbox WHERE status = 'pending'),"
    "       (SELECT coalesce (floor (extract (epoch FROM to_timestamp ($1::double precision / 1e6)"
    "                                              - min (received_at))), 0)"
    "          FROM stripe_event_inbox WHERE status = 'pending'),"
    "       (SELECT count(*) FROM stripe_event_inbox WHERE status = 'parked')");
  coffer_db_query_int64 (query, coffer_clock_now_usec (self->clock));
  result = coffer_db_query_exec (query, conn, NULL, NULL);
  if (result == NULL)
    return;
  coffer_metrics_set (self->metrics, "coffer_inbox_backlog", NULL,
                      g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10));
  coffer_metrics_set (self->metrics, "coffer_inbox_oldest_pending_seconds", NULL,
                      MAX (0, g_ascii_strtoll (PQgetvalue (result, 0, 1), NULL, 10)));
  coffer_metrics_set (self->metrics, "coffer_inbox_parked", NULL,
                      g_ascii_strtoll (PQgetvalue (result, 0, 2), NULL, 10));
}

static gpointer
worker_main (gpointer data)
{
  CofferWebhookWorker *self = data;
  g_autoptr (GHashTable) prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  PGconn *conn = NULL;
  guint backoff_ms = 100;
  gboolean is_first;

  g_mutex_lock (&self->start_mutex);
  is_first = self->next_index++ == 0;
  g_mutex_unlock (&self->start_mutex);
  gint64 next_stats = 0;

  while (!g_cancellable_is_cancelled (self->cancellable))
    {
      g_autoptr (GError) error = NULL;
      int handled;

      if (conn == NULL || PQstatus (conn) != CONNECTION_OK)
        {
          g_clear_pointer (&conn, PQfinish);
          g_hash_table_remove_all (prepared);
          conn = coffer_db_connect (self->conninfo, self->password, self->statement_timeout_ms,
                                    5, "coffer-server webhook worker", &error);
          if (conn == NULL || !exec_ok (conn, "LISTEN coffer_inbox"))
            {
              g_debug ("Webhook worker waits for the database: %s",
                       error ? error->message : "LISTEN failed");
              g_clear_pointer (&conn, PQfinish);
              sleep_unless_stopped (self, backoff_ms);
              backoff_ms = MIN (backoff_ms * 2, 5000);
              continue;
            }
          backoff_ms = 100;
        }

      handled = run_batch (self, conn, prepared, &error);
      if (handled < 0)
        {
          g_warning ("Applying webhook events failed: %s", error->message);
          if (PQstatus (conn) == CONNECTION_OK)
            exec_ok (conn, "ROLLBACK");
          sleep_unless_stopped (self, 100);
          continue;
        }
      if (is_first && g_get_monotonic_time () >= next_stats)
        {
          update_backlog_gauges (self, conn);
          next_stats = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
        }
      if (handled == 0)
        wait_for_work (self, conn, MIN (idle_timeout_ms (self, conn), is_first ? 5000 : 30000));
    }

  g_clear_pointer (&conn, PQfinish);
  return NULL;
}

static void
coffer_webhook_worker_finalize (GObject *object)
{
  CofferWebhookWorker *self = COFFER_WEBHOOK_WORKER (object);

  coffer_webhook_worker_stop (self);
  g_ptr_array_unref (self->threads);
  g_mutex_clear (&self->start_mutex);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->clock);
  g_clear_object (&self->metrics);
  g_free (self->conninfo);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);

  G_OBJECT_CLASS (coffer_webhook_worker_parent_class)->finalize (object);
}

static void
coffer_webhook_worker_class_init (CofferWebhookWorkerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = coffer_webhook_worker_finalize;
}

static void
coffer_webhook_worker_init (CofferWebhookWorker *self)
{
  self->cancellable = g_cancellable_new ();
  self->threads = g_ptr_array_new ();
  g_mutex_init (&self->start_mutex);
}

CofferWebhookWorker *
coffer_webhook_worker_new (const CofferWebhookWorkerOptions *options,
                           CofferClock                      *clock,
                           CofferMetrics                    *metrics)
{
  CofferWebhookWorker *self = g_object_new (COFFER_TYPE_WEBHOOK_WORKER, NULL);

  self->conninfo = g_strdup (options->conninfo);
  self->password = g_strdup (options->password);
  self->max_attempts = options->max_attempts;
  self->retry_base_s = options->retry_base_s;
  self->retry_max_s = options->retry_max_s;
  self->statement_timeout_ms = options->statement_timeout_ms;
  self->clock = g_object_ref (clock);
  self->metrics = g_object_ref (metrics);

  coffer_metrics_register_counter (metrics, "coffer_events_applied_total",
                                   "Stripe events handled by the workers, by type and outcome: "
                                   "applied, stale, ignored, failed, parked.");
  coffer_metrics_register_gauge (metrics, "coffer_inbox_backlog",
                                 "Stored events not yet applied.");
  coffer_metrics_register_gauge (metrics, "coffer_inbox_oldest_pending_seconds",
                                 "Age of the oldest event not yet applied.");
  coffer_metrics_register_gauge (metrics, "coffer_inbox_parked",
                                 "Events parked for a person.");
  /* The first thread also keeps the backlog gauges current. */
  g_mutex_lock (&self->start_mutex);
  for (guint i = 0; i < options->n_threads; i++)
    {
      g_autofree char *name = g_strdup_printf ("webhook-%u", i);

      g_ptr_array_add (self->threads, NULL);
      g_ptr_array_index (self->threads, i) = g_thread_new (name, worker_main, self);
    }
  g_mutex_unlock (&self->start_mutex);
  return self;
}

/* Lets each thread finish its batch (it commits or rolls back), then joins. */
void
coffer_webhook_worker_stop (CofferWebhookWorker *self)
{
  g_cancellable_cancel (self->cancellable);
  for (guint i = 0; i < self->threads->len; i++)
    g_thread_join (g_ptr_array_index (self->threads, i));
  g_ptr_array_set_size (self->threads, 0);
}
