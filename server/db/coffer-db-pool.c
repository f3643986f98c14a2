/* coffer-db-pool.c: a fixed set of worker threads, each owning one libpq
 * connection. Work is queued; results return through GTask to the main
 * context of the caller, so the main loop never waits on PostgreSQL. */
#include "config.h"

#include "coffer-db-pool.h"

#include <string.h>

typedef struct
{
  CofferDbWorkFunc  func;
  gpointer          work_data;
  GDestroyNotify    work_data_destroy;
  GDestroyNotify    result_destroy;
  CofferDbQuery    *query;   /* for query jobs */
  GTask            *task;
} Job;

typedef struct
{
  CofferDbPool *pool;
  GThread      *thread;
  PGconn       *conn;
  GHashTable   *prepared_names;
  guint         index;
} Worker;

struct _CofferDbPool
{
  GObject      parent_instance;

  char        *conninfo;
  char        *password;
  guint        statement_timeout_ms;
  guint        connect_timeout_s;

  GAsyncQueue *queue;
  GPtrArray   *workers;
  guint        in_use;    /* atomic */
  guint        connected; /* atomic */
  gboolean     closed;
};

G_DEFINE_FINAL_TYPE (CofferDbPool, coffer_db_pool, G_TYPE_OBJECT)

/* A job with no task and no func tells a worker to exit. */
static Job stop_job;

/* Source tags: addresses of data, since ISO C cannot turn a function into a pointer. */
static char query_source_tag;
static char run_source_tag;

static void
job_free (Job *job)
{
  if (job->work_data_destroy)
    job->work_data_destroy (job->work_data);
  g_clear_pointer (&job->query, coffer_db_query_unref);
  g_clear_object (&job->task);
  g_free (job);
}

PGconn *
coffer_db_connect (const char  *conninfo,
                   const char  *password,
                   guint        statement_timeout_ms,
                   guint        connect_timeout_s,
                   const char  *application_name,
                   GError     **error)
{
  g_autofree char *options = g_strdup_printf ("-c statement_timeout=%u -c TimeZone=UTC -c client_min_messages=warning",
                                              statement_timeout_ms);
  g_autofree char *timeout = g_strdup_printf ("%u", connect_timeout_s);
  /* dbname is expanded first; the keywords after it override what it says. */
  const char *keywords[] = { "dbname", "connect_timeout", "options", "application_name",
                             password && *password ? "password" : NULL, NULL };
  const char *values[] = { conninfo, timeout, options, application_name, password, NULL };
  PGconn *conn = PQconnectdbParams (keywords, values, 1);

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *message = g_strstrip (g_strdup (PQerrorMessage (conn)));

      g_set_error (error, COFFER_DB_ERROR, COFFER_DB_ERROR_UNAVAILABLE,
                   "Could not connect to PostgreSQL: %s", message);
      PQfinish (conn);
      return NULL;
    }
  return conn;
}

static gboolean
worker_ensure_connection (Worker  *worker,
                          GError **error)
{
  CofferDbPool *pool = worker->pool;
  g_autofree char *name = NULL;

  if (worker->conn && PQstatus (worker->conn) == CONNECTION_OK)
    return TRUE;

  if (worker->conn)
    {
      PQfinish (worker->conn);
      worker->conn = NULL;
      g_atomic_int_dec_and_test (&pool->connected);
    }
  g_hash_table_remove_all (worker->prepared_names);

  name = g_strdup_printf ("coffer-server pool %u", worker->index);
  worker->conn = coffer_db_connect (pool->conninfo, pool->password, pool->statement_timeout_ms,
                                    pool->connect_timeout_s, name, error);
  if (worker->conn == NULL)
    return FALSE;
  g_atomic_int_inc (&pool->connected);
  return TRUE;
}

static gboolean
error_is_connection_loss (const GError *error)
{
  return g_error_matches (error, COFFER_DB_ERROR, COFFER_DB_ERROR_UNAVAILABLE);
}

static gpointer
run_job_once (Worker   *worker,
              Job      *job,
              GError  **error)
{
  GCancellable *cancellable = g_task_get_cancellable (job->task);

  if (!worker_ensure_connection (worker, error))
    return NULL;
  if (job->query)
    return coffer_db_query_exec (job->query, worker->conn, worker->prepared_names, error);
  return job->func (worker->conn, worker->prepared_names, job->work_data, cancellable, error);
}

static void
run_job (Worker *worker,
         Job    *job)
{
  g_autoptr (GError) error = NULL;
  gpointer result;

  if (g_task_return_error_if_cancelled (job->task))
    return;

  result = run_job_once (worker, job, &error);

  /* A query that may safely run twice gets one more try on a fresh
   * connection when the old one turned out to be dead (server restarted). */
  if (result == NULL && error_is_connection_loss (error) && job->query &&
      coffer_db_query_is_retryable (job->query))
    {
      g_clear_error (&error);
      result = run_job_once (worker, job, &error);
    }

  if (result == NULL)
    {
      g_task_return_error (job->task, g_steal_pointer (&error));
      return;
    }
  if (job->query)
    g_task_return_pointer (job->task, result, (GDestroyNotify) PQclear);
  else
    g_task_return_pointer (job->task, result, job->result_destroy);
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  CofferDbPool *pool = worker->pool;

  for (;;)
    {
      Job *job = g_async_queue_pop (pool->queue);

      if (job == &stop_job)
        break;
      g_atomic_int_inc (&pool->in_use);
      run_job (worker, job);
      /* Whatever the work did, the connection goes back clean. */
      if (worker->conn && PQtransactionStatus (worker->conn) != PQTRANS_IDLE &&
          PQstatus (worker->conn) == CONNECTION_OK)
        PQclear (PQexec (worker->conn, "ROLLBACK"));
      g_atomic_int_dec_and_test (&pool->in_use);
      job_free (job);
    }

  if (worker->conn)
    {
      PQfinish (worker->conn);
      worker->conn = NULL;
      g_atomic_int_dec_and_test (&pool->connected);
    }
  return NULL;
}

static void
worker_free (gpointer data)
{
  Worker *worker = data;

  g_hash_table_unref (worker->prepared_names);
  g_free (worker);
}

static void
coffer_db_pool_finalize (GObject *object)
{
  CofferDbPool *self = COFFER_DB_POOL (object);

  coffer_db_pool_close (self);
  g_ptr_array_unref (self->workers);
  g_async_queue_unref (self->queue);
  g_free (self->conninfo);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);

  G_OBJECT_CLASS (coffer_db_pool_parent_class)->finalize (object);
}

static void
coffer_db_pool_class_init (CofferDbPoolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = coffer_db_pool_finalize;
}

static void
coffer_db_pool_init (CofferDbPool *self)
{
  self->queue = g_async_queue_new ();
  self->workers = g_ptr_array_new_with_free_func (worker_free);
}

/* Connections are opened lazily by each worker, so a server can start (and
 * report not-ready) while PostgreSQL is still coming up. */
CofferDbPool *
coffer_db_pool_new (const char *conninfo,
                    const char *password,
                    guint       size,
                    guint       statement_timeout_ms,
                    guint       connect_timeout_s)
{
  CofferDbPool *self = g_object_new (COFFER_TYPE_DB_POOL, NULL);

  g_return_val_if_fail (size > 0, NULL);

  self->conninfo = g_strdup (conninfo);
  self->password = g_strdup (password);
  self->statement_timeout_ms = statement_timeout_ms;
  self->connect_timeout_s = connect_timeout_s;

  for (guint i = 0; i < size; i++)
    {
      Worker *worker = g_new0 (Worker, 1);
      g_autofree char *thread_name = g_strdup_printf ("db-%u", i);

      worker->pool = self;
      worker->index = i;
      worker->prepared_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      worker->thread = g_thread_new (thread_name, worker_main, worker);
      g_ptr_array_add (self->workers, worker);
    }
  return self;
}

static void
push_job (CofferDbPool *self,
          Job          *job)
{
  if (self->closed)
    {
      g_task_return_new_error (job->task, COFFER_DB_ERROR, COFFER_DB_ERROR_SHUTTING_DOWN,
                               "The database pool is shutting down");
      job_free (job);
      return;
    }
  g_async_queue_push (self->queue, job);
}

void
coffer_db_pool_query_async (CofferDbPool        *self,
                            CofferDbQuery       *query,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Job *job = g_new0 (Job, 1);

  job->query = coffer_db_query_ref (query);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, &query_source_tag);
  push_job (self, job);
}

PGresult *
coffer_db_pool_query_finish (CofferDbPool  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
coffer_db_pool_run_async (CofferDbPool        *self,
                          CofferDbWorkFunc     func,
                          gpointer             work_data,
                          GDestroyNotify       work_data_destroy,
                          GDestroyNotify       result_destroy,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->work_data = work_data;
  job->work_data_destroy = work_data_destroy;
  job->task = g_task_new (self, cancellable, callback, user_data);
  job->result_destroy = result_destroy;
  g_task_set_source_tag (job->task, &run_source_tag);
  push_job (self, job);
}

gpointer
coffer_db_pool_run_finish (CofferDbPool  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
coffer_db_pool_get_stats (CofferDbPool      *self,
                          CofferDbPoolStats *out_stats)
{
  gint waiting = g_async_queue_length (self->queue);

  out_stats->size = self->workers->len;
  out_stats->in_use = g_atomic_int_get (&self->in_use);
  out_stats->idle = out_stats->size - MIN (out_stats->in_use, out_stats->size);
  out_stats->waiting = waiting > 0 ? (guint) waiting : 0;
  out_stats->connected = g_atomic_int_get (&self->connected);
}

/* Finishes queued work, then stops the threads and closes the connections. */
void
coffer_db_pool_close (CofferDbPool *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  for (guint i = 0; i < self->workers->len; i++)
    g_async_queue_push (self->queue, &stop_job);
  for (guint i = 0; i < self->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (self->workers, i);

      g_thread_join (worker->thread);
      worker->thread = NULL;
    }
}
