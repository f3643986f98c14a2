/* coffer-migrator.c: the schema migrations compiled into coffer-server.
 *
 * Each data/sql/NNNN_what.sql runs once, in version order, in its own
 * transaction, with its SHA-256 recorded in schema_migrations. The whole run
 * holds a PostgreSQL advisory lock, so servers starting together queue up
 * instead of racing; a file changed after it was applied stops everything. */
#include "config.h"

#include "coffer-migrator.h"

#include <gio/gio.h>
#include "coffer-db-error.h"
#include "coffer-db-query.h"

#include <stdlib.h>
#include <string.h>

#define MIGRATIONS_PATH "/org/coffer/sql"
/* "Coffer" in ASCII: the advisory lock every migrate run takes. */
#define MIGRATE_LOCK_KEY "73999149122418"

struct _CofferMigrator
{
  GObject    parent_instance;
  GPtrArray *migrations; /* CofferMigration*, by version */
};

G_DEFINE_FINAL_TYPE (CofferMigrator, coffer_migrator, G_TYPE_OBJECT)
G_DEFINE_QUARK (coffer-migrator-error-quark, coffer_migrator_error)

static void
migration_free (gpointer data)
{
  CofferMigration *migration = data;

  g_free (migration->name);
  g_free (migration->file_name);
  g_free (migration->sha256);
  g_free (migration->sql);
  g_free (migration->applied_sha256);
  g_free (migration->applied_at);
  g_free (migration);
}

static void
coffer_migrator_finalize (GObject *object)
{
  CofferMigrator *self = COFFER_MIGRATOR (object);

  g_ptr_array_unref (self->migrations);
  G_OBJECT_CLASS (coffer_migrator_parent_class)->finalize (object);
}

static void
coffer_migrator_class_init (CofferMigratorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = coffer_migrator_finalize;
}

static void
coffer_migrator_init (CofferMigrator *self)
{
  self->migrations = g_ptr_array_new_with_free_func (migration_free);
}

static gint
compare_versions (gconstpointer a,
                  gconstpointer b)
{
  const CofferMigration *ma = *(CofferMigration * const *) a;
  const CofferMigration *mb = *(CofferMigration * const *) b;

  return (ma->version > mb->version) - (ma->version < mb->version);
}

/* "0001_baseline.sql" → version 1, name "baseline". */
static gboolean
parse_file_name (const char  *file_name,
                 guint       *out_version,
                 char       **out_name)
{
  const char *underscore = strchr (file_name, '_');
  guint64 version;

  if (!g_str_has_suffix (file_name, ".sql") || underscore == NULL ||
      underscore - file_name != 4)
    return FALSE;
  for (const char *p = file_name; p < underscore; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  version = g_ascii_strtoull (file_name, NULL, 10);
  if (version == 0)
    return FALSE;
  *out_version = (guint) version;
  *out_name = g_strndup (underscore + 1, strlen (underscore + 1) - strlen (".sql"));
  return TRUE;
}

CofferMigrator *
coffer_migrator_new (GError **error)
{
  g_autoptr (CofferMigrator) self = g_object_new (COFFER_TYPE_MIGRATOR, NULL);
  g_auto (GStrv) children = NULL;

  children = g_resources_enumerate_children (MIGRATIONS_PATH, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                             error);
  if (children == NULL)
    return NULL;

  for (guint i = 0; children[i]; i++)
    {
      g_autofree char *path = g_strconcat (MIGRATIONS_PATH "/", children[i], NULL);
      g_autoptr (GBytes) bytes = NULL;
      CofferMigration *migration;
      gsize size;
      const char *data;

      migration = g_new0 (CofferMigration, 1);
      g_ptr_array_add (self->migrations, migration);
      migration->file_name = g_strdup (children[i]);
      if (!parse_file_name (children[i], &migration->version, &migration->name))
        {
          g_set_error (error, COFFER_MIGRATOR_ERROR, COFFER_MIGRATOR_ERROR_BAD_RESOURCE,
                       "Migration file name “%s” is not of the form NNNN_what.sql",
                       children[i]);
          return NULL;
        }
      bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (bytes == NULL)
        return NULL;
      data = g_bytes_get_data (bytes, &size);
      migration->sql = g_strndup (data, size);
      migration->sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                       (const guchar *) data, size);
    }

  g_ptr_array_sort (self->migrations, compare_versions);
  for (guint i = 1; i < self->migrations->len; i++)
    {
      CofferMigration *previous = g_ptr_array_index (self->migrations, i - 1);
      CofferMigration *migration = g_ptr_array_index (self->migrations, i);

      if (previous->version == migration->version)
        {
          g_set_error (error, COFFER_MIGRATOR_ERROR, COFFER_MIGRATOR_ERROR_BAD_RESOURCE,
                       "Migrations “%s” and “%s” share version %u", previous->file_name,
                       migration->file_name, migration->version);
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

guint
coffer_migrator_get_latest (CofferMigrator *self)
{
  if (self->migrations->len == 0)
    return 0;
  return ((CofferMigration *) g_ptr_array_index (self->migrations,
                                                 self->migrations->len - 1))->version;
}

/* Owned by the migrator; elements are CofferMigration*. */
GPtrArray *
coffer_migrator_get_migrations (CofferMigrator *self)
{
  return self->migrations;
}

static CofferMigration *
find_migration (CofferMigrator *self,
                guint           version)
{
  for (guint i = 0; i < self->migrations->len; i++)
    {
      CofferMigration *migration = g_ptr_array_index (self->migrations, i);

      if (migration->version == version)
        return migration;
    }
  return NULL;
}

static gboolean
exec_simple (PGconn      *conn,
             const char  *sql,
             const char  *what,
             GError     **error)
{
  g_autoptr (PGresult) result = PQexec (conn, sql);

  return coffer_db_check_result (conn, result, what, error);
}

/* Reads schema_migrations into each migration's applied fields. A database
 * without the table has nothing applied. */
gboolean
coffer_migrator_read_status (CofferMigrator *self,
                             PGconn         *conn,
                             GError        **error)
{
  g_autoptr (PGresult) exists = NULL;
  g_autoptr (PGresult) rows = NULL;

  for (guint i = 0; i < self->migrations->len; i++)
    {
      CofferMigration *migration = g_ptr_array_index (self->migrations, i);

      migration->applied = FALSE;
      g_clear_pointer (&migration->applied_sha256, g_free);
      g_clear_pointer (&migration->applied_at, g_free);
    }

  exists = PQexecParams (conn, "SELECT to_regclass ('schema_migrations') IS NOT NULL", 0, NULL,
                         NULL, NULL, NULL, 0);
  if (!coffer_db_check_result (conn, exists, "Could not read the schema version", error))
    return FALSE;
  if (strcmp (PQgetvalue (exists, 0, 0), "t") != 0)
    return TRUE;

  rows = PQexecParams (conn,
                       "SELECT version, sha256, "
                       "       to_char (applied_at AT TIME ZONE 'UTC', "
                       "                'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                       "FROM schema_migrations ORDER BY version",
                       0, NULL, NULL, NULL, NULL, 0);
  if (!coffer_db_check_result (conn, rows, "Could not read schema_migrations", error))
    return FALSE;

  for (int row = 0; row < PQntuples (rows); row++)
    {
      guint version = (guint) strtoul (PQgetvalue (rows, row, 0), NULL, 10);
      CofferMigration *migration = find_migration (self, version);

      /* A version this build does not know was applied by a newer release;
       * that is how expand/contract rollouts look, so it is not an error. */
      if (migration == NULL)
        continue;
      migration->applied = TRUE;
      migration->applied_sha256 = g_strdup (PQgetvalue (rows, row, 1));
      migration->applied_at = g_strdup (PQgetvalue (rows, row, 2));
    }
  return TRUE;
}

static gboolean
verify_checksums (CofferMigrator *self,
                  GError        **error)
{
  for (guint i = 0; i < self->migrations->len; i++)
    {
      CofferMigration *migration = g_ptr_array_index (self->migrations, i);

      if (migration->applied && strcmp (migration->applied_sha256, migration->sha256) != 0)
        {
          g_set_error (error, COFFER_MIGRATOR_ERROR, COFFER_MIGRATOR_ERROR_CHECKSUM_MISMATCH,
                       "Migration %s was changed after it was applied: the database recorded "
                       "SHA-256 %.12s…, this build has %.12s…. Never edit an applied "
                       "migration; restore the file and add a new migration instead",
                       migration->file_name, migration->applied_sha256, migration->sha256);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
apply_one (CofferMigration *migration,
           PGconn          *conn,
           GError         **error)
{
  g_autoptr (CofferDbQuery) record = NULL;
  g_autoptr (PGresult) recorded = NULL;
  g_autoptr (GError) local_error = NULL;
  gint64 started = g_get_monotonic_time ();
  g_autoptr (PGresult) applied = NULL;

  if (!exec_simple (conn, "BEGIN", "Could not start a transaction", error))
    return FALSE;

  /* The file may hold many statements, so it goes through PQexec; it is our
   * own SQL from the build, never anything a user typed. */
  applied = PQexec (conn, migration->sql);
  if (!coffer_db_check_result (conn, applied, migration->file_name, &local_error))
    {
      PQclear (PQexec (conn, "ROLLBACK"));
      g_set_error (error, COFFER_MIGRATOR_ERROR, COFFER_MIGRATOR_ERROR_FAILED,
                   "Migration %s failed and was rolled back: %s", migration->file_name,
                   local_error->message);
      return FALSE;
    }

  record = coffer_db_query_new ("INSERT INTO schema_migrations (version, name, sha256, "
                                "execution_ms) VALUES ($1, $2, $3, $4)");
  coffer_db_query_int64 (record, migration->version);
  coffer_db_query_text (record, migration->name);
  coffer_db_query_text (record, migration->sha256);
  coffer_db_query_int64 (record, (g_get_monotonic_time () - started) / 1000);
  recorded = coffer_db_query_exec (record, conn, NULL, error);
  if (recorded == NULL)
    {
      PQclear (PQexec (conn, "ROLLBACK"));
      return FALSE;
    }
  return exec_simple (conn, "COMMIT", "Could not commit the migration", error);
}

static gboolean
migrate_locked (CofferMigrator *self,
                PGconn         *conn,
                guint          *out_applied,
                GError        **error)
{
  /* Created under the lock: CREATE TABLE IF NOT EXISTS is not safe when two
   * sessions run it at the same moment. */
  if (!exec_simple (conn,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "  version      integer PRIMARY KEY,"
                    "  name         text NOT NULL,"
                    "  sha256       text NOT NULL,"
                    "  applied_at   timestamptz NOT NULL DEFAULT now (),"
                    "  execution_ms integer NOT NULL DEFAULT 0)",
                    "Could not create schema_migrations", error))
    return FALSE;
  if (!coffer_migrator_read_status (self, conn, error) || !verify_checksums (self, error))
    return FALSE;

  for (guint i = 0; i < self->migrations->len; i++)
    {
      CofferMigration *migration = g_ptr_array_index (self->migrations, i);

      if (migration->applied)
        continue;
      g_info ("Applying migration %s", migration->file_name);
      if (!apply_one (migration, conn, error))
        return FALSE;
      migration->applied = TRUE;
      migration->applied_sha256 = g_strdup (migration->sha256);
      (*out_applied)++;
    }
  return TRUE;
}

gboolean
coffer_migrator_migrate (CofferMigrator *self,
                         PGconn         *conn,
                         guint          *out_applied,
                         GError        **error)
{
  guint applied = 0;
  gboolean ok;

  if (!exec_simple (conn, "SELECT pg_advisory_lock (" MIGRATE_LOCK_KEY ")",
                    "Could not take the migration lock", error))
    return FALSE;
  ok = migrate_locked (self, conn, &applied, error);
  PQclear (PQexec (conn, "SELECT pg_advisory_unlock (" MIGRATE_LOCK_KEY ")"));
  if (out_applied)
    *out_applied = applied;
  return ok;
}

/* Whether the database holds every migration of this build, unchanged. */
gboolean
coffer_migrator_check_current (CofferMigrator *self,
                               PGconn         *conn,
                               GError        **error)
{
  guint applied_latest = 0;
  guint pending = 0;

  if (!coffer_migrator_read_status (self, conn, error) || !verify_checksums (self, error))
    return FALSE;
  for (guint i = 0; i < self->migrations->len; i++)
    {
      CofferMigration *migration = g_ptr_array_index (self->migrations, i);

      if (migration->applied)
        applied_latest = migration->version;
      else
        pending++;
    }
  if (pending > 0)
    {
      g_set_error (error, COFFER_MIGRATOR_ERROR, COFFER_MIGRATOR_ERROR_SCHEMA_OUTDATED,
                   "The database schema is at version %u but this coffer-server needs %u "
                   "(%u migration%s pending). Run “coffer-server migrate” first",
                   applied_latest, coffer_migrator_get_latest (self), pending,
                   pending == 1 ? "" : "s");
      return FALSE;
    }
  return TRUE;
}
