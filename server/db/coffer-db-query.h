/* coffer-db-query.h: one parameterised SQL statement and its values. */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

typedef struct _CofferDbQuery CofferDbQuery;

CofferDbQuery *coffer_db_query_new           (const char    *sql);
CofferDbQuery *coffer_db_query_new_prepared  (const char    *statement_name,
                                              const char    *sql);
CofferDbQuery *coffer_db_query_ref           (CofferDbQuery *self);
void           coffer_db_query_unref         (CofferDbQuery *self);
CofferDbQuery *coffer_db_query_text          (CofferDbQuery *self,
                                              const char    *value);
CofferDbQuery *coffer_db_query_int64         (CofferDbQuery *self,
                                              gint64         value);
CofferDbQuery *coffer_db_query_boolean       (CofferDbQuery *self,
                                              gboolean       value);
CofferDbQuery *coffer_db_query_null          (CofferDbQuery *self);
CofferDbQuery *coffer_db_query_set_retryable (CofferDbQuery *self,
                                              gboolean       retryable);
const char    *coffer_db_query_get_sql       (CofferDbQuery *self);
const char    *coffer_db_query_get_name      (CofferDbQuery *self);
gboolean       coffer_db_query_is_retryable  (CofferDbQuery *self);
PGresult      *coffer_db_query_exec          (CofferDbQuery *self,
                                              PGconn        *conn,
                                              GHashTable    *prepared_names,
                                              GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CofferDbQuery, coffer_db_query_unref)

G_END_DECLS
