/* coffer-db-query.c: a statement plus its parameters, always sent with
 * PQexecParams/PQexecPrepared so that no value is ever pasted into SQL text. */
#include "config.h"

#include "coffer-db-query.h"
#include "coffer-db-error.h"

struct _CofferDbQuery
{
  gatomicrefcount  ref_count;
  char            *name;  /* prepared statement name, or NULL */
  char            *sql;
  GPtrArray       *values; /* char *, NULL entries are SQL NULL */
  gboolean         retryable;
};

CofferDbQuery *
coffer_db_query_new (const char *sql)
{
  CofferDbQuery *self = g_new0 (CofferDbQuery, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->sql = g_strdup (sql);
  self->values = g_ptr_array_new_with_free_func (g_free);
  return self;
}

/* A statement prepared once per pool connection under @statement_name. */
CofferDbQuery *
coffer_db_query_new_prepared (const char *statement_name,
                              const char *sql)
{
  CofferDbQuery *self = coffer_db_query_new (sql);

  self->name = g_strdup (statement_name);
  return self;
}

CofferDbQuery *
coffer_db_query_ref (CofferDbQuery *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
coffer_db_query_unref (CofferDbQuery *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->name);
  g_free (self->sql);
  g_ptr_array_unref (self->values);
  g_free (self);
}

CofferDbQuery *
coffer_db_query_text (CofferDbQuery *self,
                      const char    *value)
{
  g_ptr_array_add (self->values, g_strdup (value));
  return self;
}

CofferDbQuery *
coffer_db_query_int64 (CofferDbQuery *self,
                       gint64         value)
{
  g_ptr_array_add (self->values, g_strdup_printf ("%" G_GINT64_FORMAT, value));
  return self;
}

CofferDbQuery *
coffer_db_query_boolean (CofferDbQuery *self,
                         gboolean       value)
{
  g_ptr_array_add (self->values, g_strdup (value ? "t" : "f"));
  return self;
}

CofferDbQuery *
coffer_db_query_null (CofferDbQuery *self)
{
  g_ptr_array_add (self->values, NULL);
  return self;
}

/* A retryable query (a read, or an idempotent write) is sent again once on a
 * fresh connection when the first attempt lost its connection. */
CofferDbQuery *
coffer_db_query_set_retryable (CofferDbQuery *self,
                               gboolean       retryable)
{
  self->retryable = retryable;
  return self;
}

const char *
coffer_db_query_get_sql (CofferDbQuery *self)
{
  return self->sql;
}

const char *
coffer_db_query_get_name (CofferDbQuery *self)
{
  return self->name;
}

gboolean
coffer_db_query_is_retryable (CofferDbQuery *self)
{
  return self->retryable;
}

/* Runs on a worker thread with that worker's connection. @prepared_names is
 * the set of statement names already prepared on @conn. */
PGresult *
coffer_db_query_exec (CofferDbQuery *self,
                      PGconn        *conn,
                      GHashTable    *prepared_names,
                      GError       **error)
{
  const char * const *values = (const char * const *) self->values->pdata;
  int n_values = (int) self->values->len;
  PGresult *result;

  if (self->name && prepared_names && !g_hash_table_contains (prepared_names, self->name))
    {
      g_autoptr (PGresult) prepared = PQprepare (conn, self->name, self->sql, 0, NULL);

      if (!coffer_db_check_result (conn, prepared, "Could not prepare statement", error))
        return NULL;
      g_hash_table_add (prepared_names, g_strdup (self->name));
    }

  if (self->name && prepared_names)
    result = PQexecPrepared (conn, self->name, n_values, values, NULL, NULL, 0);
  else
    result = PQexecParams (conn, self->sql, n_values, NULL, values, NULL, NULL, 0);

  if (!coffer_db_check_result (conn, result, "Query failed", error))
    {
      PQclear (result);
      return NULL;
    }
  return result;
}
