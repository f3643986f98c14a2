/* coffer-migrator.h: applies data/sql migrations in order under an advisory lock. */
#pragma once

#include <glib-object.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define COFFER_MIGRATOR_ERROR (coffer_migrator_error_quark ())

typedef enum
{
  COFFER_MIGRATOR_ERROR_CHECKSUM_MISMATCH, /* an applied file was changed afterwards */
  COFFER_MIGRATOR_ERROR_SCHEMA_OUTDATED,   /* migrations are pending */
  COFFER_MIGRATOR_ERROR_FAILED,            /* a migration's SQL failed */
  COFFER_MIGRATOR_ERROR_BAD_RESOURCE,
} CofferMigratorError;

typedef struct
{
  guint    version;
  char    *name;        /* "baseline" for 0001_baseline.sql */
  char    *file_name;
  char    *sha256;      /* of the file in this build */
  char    *sql;
  gboolean applied;
  char    *applied_sha256;  /* what was recorded when it was applied */
  char    *applied_at;
} CofferMigration;

#define COFFER_TYPE_MIGRATOR (coffer_migrator_get_type ())
G_DECLARE_FINAL_TYPE (CofferMigrator, coffer_migrator, COFFER, MIGRATOR, GObject)

GQuark          coffer_migrator_error_quark      (void);
CofferMigrator *coffer_migrator_new              (GError          **error);
CofferMigrator *coffer_migrator_new_from_dir     (const char       *directory,
                                                  GError          **error);
guint           coffer_migrator_get_latest       (CofferMigrator   *self);
GPtrArray      *coffer_migrator_get_migrations   (CofferMigrator   *self);
gboolean        coffer_migrator_read_status      (CofferMigrator   *self,
                                                  PGconn           *conn,
                                                  GError          **error);
gboolean        coffer_migrator_migrate          (CofferMigrator   *self,
                                                  PGconn           *conn,
                                                  guint            *out_applied,
                                                  GError          **error);
gboolean        coffer_migrator_check_current    (CofferMigrator   *self,
                                                  PGconn           *conn,
                                                  GError          **error);

G_END_DECLS
