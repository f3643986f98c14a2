/* coffer-db-pool.h: libpq connections on worker threads, results on the caller's main context. */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

#include "coffer-db-error.h"
#include "coffer-db-query.h"

G_BEGIN_DECLS

#define COFFER_TYPE_DB_POOL (coffer_db_pool_get_type ())
G_DECLARE_FINAL_TYPE (CofferDbPool, coffer_db_pool, COFFER, DB_POOL, GObject)

/* Work run on a pool thread with its connection. Return a result (freed with
 * the destroy given to coffer_db_pool_run_async if never collected) or NULL
 * with @error set. A function that opens a transaction must close it. */
typedef gpointer (*CofferDbWorkFunc) (PGconn        *conn,
                                      GHashTable    *prepared_names,
                                      gpointer       work_data,
                                      GCancellable  *cancellable,
                                      GError       **error);

typedef struct
{
  guint size;
  guint in_use;
  guint idle;
  guint waiting;
  guint connected;
} CofferDbPoolStats;

CofferDbPool *coffer_db_pool_new          (const char          *conninfo,
                                           const char          *password,
                                           guint                size,
                                           guint                statement_timeout_ms,
                                           guint                connect_timeout_s);
void          coffer_db_pool_query_async  (CofferDbPool        *self,
                                           CofferDbQuery       *query,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
PGresult     *coffer_db_pool_query_finish (CofferDbPool        *self,
                                           GAsyncResult        *result,
                                           GError             **error);
void          coffer_db_pool_run_async    (CofferDbPool        *self,
                                           CofferDbWorkFunc     func,
                                           gpointer             work_data,
                                           GDestroyNotify       work_data_destroy,
                                           GDestroyNotify       result_destroy,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gpointer      coffer_db_pool_run_finish   (CofferDbPool        *self,
                                           GAsyncResult        *result,
                                           GError             **error);
void          coffer_db_pool_get_stats    (CofferDbPool        *self,
                                           CofferDbPoolStats   *out_stats);
void          coffer_db_pool_close        (CofferDbPool        *self);
PGconn       *coffer_db_connect           (const char          *conninfo,
                                           const char          *password,
                                           guint                statement_timeout_ms,
                                           guint                connect_timeout_s,
                                           const char          *application_name,
                                           GError             **error);

G_END_DECLS
