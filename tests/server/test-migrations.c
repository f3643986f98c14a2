/* test-migrations.c: `coffer-server migrate` against real PostgreSQL databases. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Migration files on disk, sorted: the source of truth for these tests. */
static GPtrArray *
sql_files (void)
{
  g_autofree char *directory = g_build_filename (g_getenv ("COFFER_SOURCE_ROOT"), "data", "sql",
                                                 NULL);
  g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".sql"))
      g_ptr_array_add (files, g_strdup (name));
  g_ptr_array_sort (files, compare_names);
  return files;
}

static int
run_migrate (const char  *conninfo,
             const char  *flag,
             char       **out_stdout,
             char       **out_stderr)
{
  g_autofree char *url = g_strdup_printf ("COFFER_DATABASE_URL=%s", conninfo);
  const char * const env[] = { url, NULL };
  const char * const args[] = { "migrate", flag, NULL };

  return coffer_test_run_server_command (args, env, out_stdout, out_stderr);
}

static void
test_fresh_database_gets_every_migration (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), FALSE);
  g_autoptr (GPtrArray) files = sql_files ();
  g_autofree char *out = NULL, *err = NULL, *count = NULL;

  g_assert_cmpint (run_migrate (conninfo, NULL, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Applied"));

  count = coffer_test_pg_query_value (conninfo, "SELECT count(*) FROM schema_migrations");
  g_assert_cmpint (atoi (count), ==, files->len);

  /* The recorded checksum is the file's own. */
  for (guint i = 0; i < files->len; i++)
    {
      const char *name = g_ptr_array_index (files, i);
      g_autofree char *path = g_build_filename (g_getenv ("COFFER_SOURCE_ROOT"), "data", "sql",
                                                name, NULL);
      g_autofree char *contents = NULL;
      gsize length;
      g_autofree char *expected = NULL, *version = NULL, *recorded = NULL;

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) contents, length);
      version = g_strdup_printf ("%d", atoi (name));
      recorded = coffer_test_pg_query_value_with (
        conninfo, "SELECT sha256 FROM schema_migrations WHERE version = $1", version);
      g_assert_cmpstr (recorded, ==, expected);
    }
}

static void
test_second_run_changes_nothing (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), FALSE);
  g_autofree char *out1 = NULL, *out2 = NULL, *before = NULL, *after = NULL;

  g_assert_cmpint (run_migrate (conninfo, NULL, &out1, NULL), ==, 0);
  before = coffer_test_pg_query_value (conninfo,
                                       "SELECT string_agg (version || ':' || applied_at, ',' "
                                       "ORDER BY version) FROM schema_migrations");
  g_assert_cmpint (run_migrate (conninfo, NULL, &out2, NULL), ==, 0);
  g_assert_nonnull (strstr (out2, "up to date"));
  after = coffer_test_pg_query_value (conninfo,
                                      "SELECT string_agg (version || ':' || applied_at, ',' "
                                      "ORDER BY version) FROM schema_migrations");
  g_assert_cmpstr (before, ==, after);
}

static void
test_refuses_when_an_applied_file_changed (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autofree char *err = NULL, *status_out = NULL;
  g_autofree char *url = g_strdup_printf ("COFFER_DATABASE_URL=%s", conninfo);
  const char * const env[] = { url, NULL };
  const char * const serve[] = { "serve", NULL };
  g_autofree char *serve_err = NULL;

  /* As if 0001 had been edited after it ran: the recorded sum differs. */
  coffer_test_pg_exec (conninfo, "UPDATE schema_migrations SET sha256 = repeat ('0', 64) "
                                 "WHERE version = 1");
  g_assert_cmpint (run_migrate (conninfo, NULL, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "0001_baseline.sql was changed after it was applied"));

  g_assert_cmpint (run_migrate (conninfo, "--status", &status_out, NULL), ==, 0);
  g_assert_nonnull (strstr (status_out, "CHANGED SINCE APPLIED"));

  g_assert_cmpint (coffer_test_run_server_command (serve, env, NULL, &serve_err), ==, 1);
  g_assert_nonnull (strstr (serve_err, "was changed after it was applied"));
}

static void
test_concurrent_runs_apply_each_migration_once (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), FALSE);
  g_autoptr (GPtrArray) files = sql_files ();
  const char *argv[] = { g_getenv ("COFFER_TEST_SERVER_BINARY"), "migrate", NULL };
  char **envp = g_environ_setenv (g_get_environ (), "COFFER_DATABASE_URL", conninfo, TRUE);
  g_autofree char *count = NULL;
  GPid pids[4];

  envp = g_environ_setenv (envp, "COFFER_CONFIG", "/dev/null", TRUE);
  /* Four servers migrating the same empty database at the same moment. */
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    g_assert_true (g_spawn_async (NULL, (char **) argv, envp,
                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                  NULL, &pids[i], NULL));
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    {
      int status;

      g_assert_cmpint (waitpid (pids[i], &status, 0), ==, pids[i]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
      g_spawn_close_pid (pids[i]);
    }
  g_strfreev (envp);

  count = coffer_test_pg_query_value (conninfo, "SELECT count(*) FROM schema_migrations");
  g_assert_cmpint (atoi (count), ==, files->len);
}

static void
test_status_lists_pending_then_applied (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), FALSE);
  g_autofree char *before = NULL, *after = NULL;

  g_assert_cmpint (run_migrate (conninfo, "--status", &before, NULL), ==, 0);
  g_assert_nonnull (strstr (before, "0001     baseline"));
  g_assert_nonnull (strstr (before, "pending"));
  g_assert_nonnull (strstr (before, "run “coffer-server migrate”"));

  g_assert_cmpint (run_migrate (conninfo, NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (run_migrate (conninfo, "--status", &after, NULL), ==, 0);
  g_assert_null (strstr (after, "pending"));
  g_assert_nonnull (strstr (after, "up to date"));
}

static void
test_serve_refuses_an_outdated_schema (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  g_autofree char *url = g_strdup_printf ("COFFER_DATABASE_URL=%s", conninfo);
  const char * const env[] = { url, NULL };
  const char * const serve[] = { "serve", NULL };
  g_autofree char *err = NULL;

  coffer_test_pg_exec (conninfo, "DELETE FROM schema_migrations "
                                 "WHERE version = (SELECT max(version) FROM schema_migrations)");
  g_assert_cmpint (coffer_test_run_server_command (serve, env, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "Run “coffer-server migrate” first"));
}

static void
test_a_failing_migration_leaves_nothing_behind (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), FALSE);
  g_autofree char *err = NULL, *count = NULL, *domain = NULL;

  /* The baseline creates the domain currency_code; with one already there
   * it fails, and its transaction must leave no partial trace. */
  coffer_test_pg_exec (conninfo, "CREATE DOMAIN currency_code AS text");
  g_assert_cmpint (run_migrate (conninfo, NULL, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "0001_baseline.sql failed and was rolled back"));
  count = coffer_test_pg_query_value (conninfo, "SELECT count(*) FROM schema_migrations");
  g_assert_cmpstr (count, ==, "0");
  domain = coffer_test_pg_query_value (conninfo, "SELECT to_regproc ('coffer_touch_updated_at')");
  g_assert_null (domain);
}

static void
test_every_sql_file_is_compiled_in (void)
{
  g_autoptr (GPtrArray) files = sql_files ();
  g_autofree char *xml_path = g_build_filename (g_getenv ("COFFER_SOURCE_ROOT"), "data", "sql",
                                                "migrations.gresource.xml", NULL);
  g_autofree char *xml = NULL;

  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, NULL));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *entry = g_strdup_printf ("<file>%s</file>",
                                                (char *) g_ptr_array_index (files, i));

      if (strstr (xml, entry) == NULL)
        g_error ("data/sql/%s is missing from migrations.gresource.xml",
                 (char *) g_ptr_array_index (files, i));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/migrations/fresh-database-gets-every-migration",
                   test_fresh_database_gets_every_migration);
  g_test_add_func ("/migrations/second-run-changes-nothing", test_second_run_changes_nothing);
  g_test_add_func ("/migrations/refuses-when-an-applied-file-changed",
                   test_refuses_when_an_applied_file_changed);
  g_test_add_func ("/migrations/concurrent-runs-apply-each-migration-once",
                   test_concurrent_runs_apply_each_migration_once);
  g_test_add_func ("/migrations/status-lists-pending-then-applied",
                   test_status_lists_pending_then_applied);
  g_test_add_func ("/migrations/serve-refuses-an-outdated-schema",
                   test_serve_refuses_an_outdated_schema);
  g_test_add_func ("/migrations/a-failing-migration-leaves-nothing-behind",
                   test_a_failing_migration_leaves_nothing_behind);
  g_test_add_func ("/migrations/every-sql-file-is-compiled-in",
                   test_every_sql_file_is_compiled_in);

  return g_test_run ();
}
