/* test-readiness.c: /readyz follows PostgreSQL going away and coming back.
 * Uses a cluster of its own, since it stops it. */
#include "config.h"

#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"

static guint
get_readyz (CofferTestServer  *server,
            char             **out_body)
{
  return coffer_test_http_get (server, "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n", NULL, out_body);
}

static void
test_readyz_follows_the_database (void)
{
  CofferTestPg *pg = coffer_test_pg_new_private ();
  g_autofree char *conninfo = coffer_test_pg_create_database (pg, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, NULL, &error);
  g_autofree char *ready = NULL, *down = NULL, *back = NULL, *health = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (get_readyz (server, &ready), ==, 200);

  coffer_test_pg_stop (pg);
  g_assert_cmpuint (get_readyz (server, &down), ==, 503);
  g_assert_nonnull (strstr (down, "\"type\":\"service_unavailable_error\""));
  g_assert_nonnull (strstr (down, "\"code\":\"database_unavailable\""));
  /* Alive all the same: liveness must not depend on the database. */
  g_assert_cmpuint (coffer_test_http_get (server, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
                                          NULL, &health),
                    ==, 200);

  coffer_test_pg_start (pg);
  g_assert_cmpuint (get_readyz (server, &back), ==, 200);

  g_clear_pointer (&server, coffer_test_server_free);
  coffer_test_pg_free (pg);
}

static void
test_readyz_reports_a_missing_migration (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, NULL, &error);
  g_autofree char *body = NULL;

  g_assert_no_error (error);
  /* Someone rolled the schema back under a running server. */
  coffer_test_pg_exec (conninfo, "DELETE FROM schema_migrations WHERE version = 1");
  g_assert_cmpuint (get_readyz (server, &body), ==, 503);
  g_assert_nonnull (strstr (body, "\"code\":\"schema_outdated\""));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/readiness/readyz-follows-the-database", test_readyz_follows_the_database);
  g_test_add_func ("/readiness/readyz-reports-a-missing-migration",
                   test_readyz_reports_a_missing_migration);

  return g_test_run ();
}
