/* coffer-test-pg.c: PostgreSQL for tests.
 *
 * tools/test starts ONE cluster for the whole run (tests/harness/pg-cluster)
 * and exports COFFER_TEST_PGHOST/COFFER_TEST_PGPORT; each test gets a fresh
 * database cloned from a migrated template with CREATE DATABASE … TEMPLATE.
 * Without those variables (a bare `meson test`), the first test in a process
 * starts a private cluster of its own and removes it at exit. Tests that stop
 * PostgreSQL use coffer_test_pg_new_private() so nobody else is disturbed. */
#include "config.h"

#include "coffer-test-pg.h"

#include <stdlib.h>
#include <unistd.h>

struct _CofferTestPg
{
  char    *host;     /* socket directory */
  char    *port;
  char    *directory; /* NULL when the cluster belongs to someone else */
  gboolean running;
  gboolean template_migrated; /* by this process */
};

static CofferTestPg *shared;

static const char *
script_path (void)
{
  const char *root = g_getenv ("COFFER_SOURCE_ROOT");

  g_assert_nonnull (root);
  return g_build_filename (root, "tests", "harness", "pg-cluster", NULL);
}

static void
run_script (const char * const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *standard_error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                     &standard_error, &status, &error))
    g_error ("Could not run %s: %s", argv[0], error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s %s failed: %s\n%s", argv[0], argv[1], error->message, standard_error);
}

static CofferTestPg *
start_cluster (void)
{
  CofferTestPg *self = g_new0 (CofferTestPg, 1);
  g_autofree char *script = (char *) script_path ();
  g_autoptr (GError) error = NULL;
  const char *argv[] = { script, "start", NULL, NULL };
  g_autofree char *port = NULL;

  self->directory = g_dir_make_tmp ("coffer-test-pg-XXXXXX", &error);
  g_assert_no_error (error);
  argv[2] = self->directory;
  run_script (argv);

  self->host = g_build_filename (self->directory, "socket", NULL);
  g_autofree char *port_file = g_build_filename (self->directory, "port", NULL);
  g_file_get_contents (port_file, &port, NULL, &error);
  g_assert_no_error (error);
  self->port = g_strstrip (g_steal_pointer (&port));
  self->running = TRUE;
  return self;
}

static void
stop_shared_at_exit (void)
{
  g_clear_pointer (&shared, coffer_test_pg_free);
}

CofferTestPg *
coffer_test_pg_get_shared (void)
{
  const char *host = g_getenv ("COFFER_TEST_PGHOST");

  if (shared)
    return shared;
  if (host && *host)
    {
      shared = g_new0 (CofferTestPg, 1);
      shared->host = g_strdup (host);
      shared->port = g_strdup (g_getenv ("COFFER_TEST_PGPORT"));
      shared->running = TRUE;
      return shared;
    }
  shared = start_cluster ();
  atexit (stop_shared_at_exit);
  return shared;
}

CofferTestPg *
coffer_test_pg_new_private (void)
{
  return start_cluster ();
}

void
coffer_test_pg_stop (CofferTestPg *self)
{
  g_autofree char *script = (char *) script_path ();
  const char *argv[] = { script, "stop", self->directory, NULL };

  g_assert_nonnull (self->directory);
  run_script (argv);
  self->running = FALSE;
}

void
coffer_test_pg_start (CofferTestPg *self)
{
  g_autofree char *script = (char *) script_path ();
  const char *argv[] = { script, "restart", self->directory, NULL };

  g_assert_nonnull (self->directory);
  run_script (argv);
  self->running = TRUE;
}

void
coffer_test_pg_free (CofferTestPg *self)
{
  if (self->directory)
    {
      g_autofree char *script = (char *) script_path ();
      const char *argv[] = { script, "destroy", self->directory, NULL };

      run_script (argv);
      g_free (self->directory);
    }
  g_free (self->host);
  g_free (self->port);
  g_free (self);
}

static char *
conninfo_for (CofferTestPg *self,
              const char   *database)
{
  return g_strdup_printf ("host=%s port=%s user=postgres dbname=%s", self->host, self->port,
                          database);
}

PGconn *
coffer_test_pg_connect (const char *conninfo)
{
  PGconn *conn = PQconnectdb (conninfo);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("Test could not connect to %s: %s", conninfo, PQerrorMessage (conn));
  return conn;
}

void
coffer_test_pg_exec (const char *conninfo,
                     const char *sql)
{
  PGconn *conn = coffer_test_pg_connect (conninfo);
  PGresult *result = PQexec (conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s failed: %s", sql, PQerrorMessage (conn));
  PQclear (result);
  PQfinish (conn);
}

/* The first column of the first row, or NULL for SQL NULL / no row. */
char *
coffer_test_pg_query_value (const char *conninfo,
                            const char *sql)
{
  return coffer_test_pg_query_value_with (conninfo, sql, NULL);
}

/* The same, with one $1 parameter (or none when @parameter is NULL). */
char *
coffer_test_pg_query_value_with (const char *conninfo,
                                 const char *sql,
                                 const char *parameter)
{
  PGconn *conn = coffer_test_pg_connect (conninfo);
  const char *values[] = { parameter };
  PGresult *result = PQexecParams (conn, sql, parameter ? 1 : 0, NULL, values, NULL, NULL, 0);
  char *value = NULL;

  if (PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s failed: %s", sql, PQerrorMessage (conn));
  if (PQntuples (result) > 0 && !PQgetisnull (result, 0, 0))
    value = g_strdup (PQgetvalue (result, 0, 0));
  PQclear (result);
  PQfinish (conn);
  return value;
}

/* Brings coffer_template up to date with this build (once per test process:
 * a cluster kept from an older build gets the newer migrations), then clones
 * it. Both under an advisory lock: CREATE DATABASE … TEMPLATE fails while
 * anyone else is connected to the template. */
static void
clone_template (CofferTestPg *self,
                const char   *name)
{
  g_autofree char *admin = conninfo_for (self, "postgres");
  g_autofree char *template = conninfo_for (self, "coffer_template");
  g_autofree char *sql = NULL;
  PGconn *conn = coffer_test_pg_connect (admin);
  PGresult *result;

  PQclear (PQexec (conn, "SELECT pg_advisory_lock (4242)"));
  result = PQexec (conn, "SELECT 1 FROM pg_database WHERE datname = 'coffer_template'");
  if (PQntuples (result) == 0)
    PQclear (PQexec (conn, "CREATE DATABASE coffer_template"));
  PQclear (result);
  if (!self->template_migrated)
    {
      const char *server = g_getenv ("COFFER_TEST_SERVER_BINARY");
      g_autofree char *env_url = g_strdup_printf ("COFFER_DATABASE_URL=%s", template);
      const char *argv[] = { server, "migrate", NULL };
      char *envp[] = { env_url, "COFFER_CONFIG=/dev/null", NULL };
      g_autoptr (GError) error = NULL;
      g_autofree char *out = NULL, *err = NULL;
      int status;

      g_assert_nonnull (server);
      if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                         &status, &error) ||
          !g_spawn_check_wait_status (status, &error))
        g_error ("Could not migrate the template database: %s\n%s", error->message, err);
      self->template_migrated = TRUE;
    }
  /* The name is ours, made of digits and letters: safe as an identifier. */
  sql = g_strdup_printf ("CREATE DATABASE %s TEMPLATE coffer_template", name);
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("%s failed: %s", sql, PQerrorMessage (conn));
  PQclear (result);
  PQclear (PQexec (conn, "SELECT pg_advisory_unlock (4242)"));
  PQfinish (conn);
}

/* A new, empty or fully migrated database; returns its libpq conninfo. */
char *
coffer_test_pg_create_database (CofferTestPg *self,
                                gboolean      migrated)
{
  static guint counter;
  g_autofree char *admin = conninfo_for (self, "postgres");
  g_autofree char *name = g_strdup_printf ("test_%d_%u_%" G_GINT64_FORMAT, getpid (),
                                           ++counter, g_get_real_time () % 1000000);
  g_autofree char *sql = NULL;

  if (migrated)
    clone_template (self, name);
  else
    {
      /* The name is ours, made of digits and letters: safe as an identifier. */
      sql = g_strdup_printf ("CREATE DATABASE %s", name);
      coffer_test_pg_exec (admin, sql);
    }
  return conninfo_for (self, name);
}
