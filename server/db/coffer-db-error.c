/* coffer-db-error.c: turns libpq outcomes into GErrors of COFFER_DB_ERROR. */
#include "config.h"

#include "coffer-db-error.h"

#include <string.h>

G_DEFINE_QUARK (coffer-db-error-quark, coffer_db_error)

void
coffer_db_set_error_from_result (GError        **error,
                                 PGconn         *conn,
                                 const PGresult *result,
                                 const char     *what)
{
  const char *sqlstate = result ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = result ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *detail = result ? PQresultErrorField (result, PG_DIAG_MESSAGE_DETAIL) : NULL;
  g_autofree char *message = NULL;
  CofferDbError code = COFFER_DB_ERROR_QUERY;

  if (primary == NULL)
    primary = conn ? PQerrorMessage (conn) : "no connection";
  message = g_strstrip (g_strdup (primary));

  if (conn == NULL || PQstatus (conn) != CONNECTION_OK ||
      (sqlstate && g_str_has_prefix (sqlstate, "08")) ||
      (sqlstate && (strcmp (sqlstate, "57P01") == 0 || strcmp (sqlstate, "57P02") == 0 ||
                    strcmp (sqlstate, "57P03") == 0)))
    code = COFFER_DB_ERROR_UNAVAILABLE;
  else if (sqlstate && strcmp (sqlstate, "57014") == 0)
    code = COFFER_DB_ERROR_TIMEOUT;
  else if (sqlstate && strcmp (sqlstate, "23505") == 0)
    code = COFFER_DB_ERROR_UNIQUE_VIOLATION;
  else if (sqlstate && (strcmp (sqlstate, "40001") == 0 || strcmp (sqlstate, "40P01") == 0))
    code = COFFER_DB_ERROR_SERIALIZATION;

  if (sqlstate && detail)
    g_set_error (error, COFFER_DB_ERROR, code, "%s: %s (SQLSTATE %s). %s", what, message,
                 sqlstate, detail);
  else if (sqlstate)
    g_set_error (error, COFFER_DB_ERROR, code, "%s: %s (SQLSTATE %s)", what, message, sqlstate);
  else
    g_set_error (error, COFFER_DB_ERROR, code, "%s: %s", what, message);
}

gboolean
coffer_db_check_result (PGconn         *conn,
                        const PGresult *result,
                        const char     *what,
                        GError        **error)
{
  ExecStatusType status = result ? PQresultStatus (result) : PGRES_FATAL_ERROR;

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return TRUE;
  coffer_db_set_error_from_result (error, conn, result, what);
  return FALSE;
}
