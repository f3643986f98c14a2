/* coffer-db-error.h: the database error domain shared by the pool and the migrator. */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define COFFER_DB_ERROR (coffer_db_error_quark ())

typedef enum
{
  COFFER_DB_ERROR_UNAVAILABLE,       /* could not connect, or the connection was lost */
  COFFER_DB_ERROR_QUERY,             /* the server rejected the statement */
  COFFER_DB_ERROR_TIMEOUT,           /* statement_timeout cancelled it */
  COFFER_DB_ERROR_UNIQUE_VIOLATION,  /* SQLSTATE 23505 */
  COFFER_DB_ERROR_SERIALIZATION,     /* SQLSTATE 40001 / 40P01: try the transaction again */
  COFFER_DB_ERROR_SHUTTING_DOWN,
} CofferDbError;

GQuark   coffer_db_error_quark       (void);
void     coffer_db_set_error_from_result (GError        **error,
                                          PGconn         *conn,
                                          const PGresult *result,
                                          const char     *what);
gboolean coffer_db_check_result      (PGconn         *conn,
                                      const PGresult *result,
                                      const char     *what,
                                      GError        **error);

G_END_DECLS
