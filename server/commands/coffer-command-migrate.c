/* coffer-command-migrate.c: `coffer-server migrate [--status]`. */
#include "config.h"

#include "coffer-commands.h"
#include "coffer-config.h"
#include "db/coffer-db-pool.h"
#include "db/coffer-migrator.h"

#include <stdio.h>
#include <string.h>

static void
print_status (CofferMigrator *migrator)
{
  GPtrArray *migrations = coffer_migrator_get_migrations (migrator);
  guint pending = 0;

  printf ("%-8s %-32s %-22s %s\n", "VERSION", "NAME", "APPLIED", "SHA-256");
  for (guint i = 0; i < migrations->len; i++)
    {
      CofferMigration *migration = g_ptr_array_index (migrations, i);
      gboolean changed = migration->applied &&
                         strcmp (migration->applied_sha256, migration->sha256) != 0;

      if (!migration->applied)
        pending++;
      printf ("%04u     %-32s %-22s %.12s%s\n", migration->version, migration->name,
              migration->applied ? migration->applied_at : "pending", migration->sha256,
              changed ? "  CHANGED SINCE APPLIED" : "");
    }
  if (pending)
    printf ("\n%u migration%s pending: run “coffer-server migrate”.\n", pending,
            pending == 1 ? "" : "s");
  else
    printf ("\nThe schema is up to date (version %u).\n", coffer_migrator_get_latest (migrator));
}

int
coffer_command_migrate (int    argc,
                        char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean status_only = FALSE;
  g_autoptr (CofferConfig) config = NULL;
  g_autoptr (CofferMigrator) migrator = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  PGconn *conn;
  guint applied = 0;
  gboolean ok;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read the configuration from FILE", "FILE" },
    { "status", 's', 0, G_OPTION_ARG_NONE, &status_only,
      "List the migrations and whether each is applied; change nothing", NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                "Apply pending schema migrations, in order, each in its own "
                                "transaction.\nSeveral servers may run this at once: they take "
                                "turns on an advisory lock.\nRefuses to run if a migration was "
                                "changed after it was applied.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!coffer_command_parse (context, &argc, &argv))
    return 2;

  config = coffer_command_load_config (config_path);
  if (config == NULL)
    return 1;
  migrator = coffer_migrator_new (&error);
  if (migrator == NULL)
    {
      fprintf (stderr, "coffer-server: %s\n", error->message);
      return 1;
    }

  conn = coffer_db_connect (coffer_config_get_string (config, "database", "url"),
                            coffer_config_get_string (config, "database", "password"), 0,
                            (guint) coffer_config_get_int (config, "database", "connect_timeout"),
                            "coffer-server migrate", &error);
  if (conn == NULL)
    {
      fprintf (stderr, "coffer-server: %s\n", error->message);
      return 1;
    }

  if (status_only)
    {
      ok = coffer_migrator_read_status (migrator, conn, &error);
      if (ok)
        print_status (migrator);
    }
  else
    {
      ok = coffer_migrator_migrate (migrator, conn, &applied, &error);
      if (ok && applied)
        printf ("Applied %u migration%s; the schema is at version %u.\n", applied,
                applied == 1 ? "" : "s", coffer_migrator_get_latest (migrator));
      else if (ok)
        printf ("The schema is up to date (version %u).\n", coffer_migrator_get_latest (migrator));
    }
  PQfinish (conn);

  if (!ok)
    {
      fprintf (stderr, "coffer-server: %s\n", error->message);
      return 1;
    }
  return 0;
}
