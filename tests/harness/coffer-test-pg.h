/* coffer-test-pg.h: a throwaway PostgreSQL cluster and fresh databases for tests. */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

typedef struct _CofferTestPg CofferTestPg;

CofferTestPg *coffer_test_pg_get_shared      (void);
CofferTestPg *coffer_test_pg_new_private     (void);
void          coffer_test_pg_free            (CofferTestPg *self);
void          coffer_test_pg_stop            (CofferTestPg *self);
void          coffer_test_pg_start           (CofferTestPg *self);
char         *coffer_test_pg_create_database (CofferTestPg *self,
                                              gboolean      migrated);
PGconn       *coffer_test_pg_connect         (const char   *conninfo);
char         *coffer_test_pg_query_value     (const char   *conninfo,
                                              const char   *sql);
char         *coffer_test_pg_query_value_with (const char  *conninfo,
                                               const char  *sql,
                                               const char  *parameter);
void          coffer_test_pg_exec            (const char   *conninfo,
                                              const char   *sql);

G_END_DECLS
