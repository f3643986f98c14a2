/* coffer-config.h: CofferConfig, the server's settings, and the registry of every key. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define COFFER_CONFIG_ERROR (coffer_config_error_quark ())

typedef enum
{
  COFFER_CONFIG_ERROR_FILE,
  COFFER_CONFIG_ERROR_PARSE,
  COFFER_CONFIG_ERROR_UNKNOWN_SECTION,
  COFFER_CONFIG_ERROR_UNKNOWN_KEY,
  COFFER_CONFIG_ERROR_INVALID_VALUE,
} CofferConfigError;

GQuark coffer_config_error_quark (void);

typedef enum
{
  COFFER_CONFIG_KEY_STRING,
  COFFER_CONFIG_KEY_INT,
  COFFER_CONFIG_KEY_BOOLEAN,
  COFFER_CONFIG_KEY_ENUM,
  COFFER_CONFIG_KEY_STRING_LIST,
} CofferConfigKeyType;

typedef enum
{
  COFFER_CONFIG_KEY_FLAGS_NONE = 0,
  /* The whole value is a secret: printed as *** when set, never echoed. */
  COFFER_CONFIG_KEY_SECRET = 1 << 0,
  /* A libpq URI or conninfo that may embed a password: only that part is masked. */
  COFFER_CONFIG_KEY_URL_PASSWORD = 1 << 1,
} CofferConfigKeyFlags;

/**
 * CofferConfigKey:
 * @section: the key file group, e.g. "server"
 * @name: the key within @section, e.g. "max_connections"
 * @type: how the value is parsed and which getter reads it
 * @flags: how the value may be printed
 * @default_value: the value before any file or environment, in text form
 * @min: for %COFFER_CONFIG_KEY_INT, the smallest value allowed
 * @max: for %COFFER_CONFIG_KEY_INT, the largest value allowed
 * @choices: for %COFFER_CONFIG_KEY_ENUM, the allowed values, %NULL-terminated
 * @unit: what an integer counts ("seconds", "bytes"), or %NULL
 * @description: one line for people: what the key does
 *
 * One entry of the registry of every configuration key. The registry is
 * static and read-only.
 */
typedef struct
{
  const char           *section;
  const char           *name;
  CofferConfigKeyType   type;
  CofferConfigKeyFlags  flags;
  const char           *default_value;
  gint64                min;
  gint64                max;
  const char * const   *choices;
  const char           *unit;
  const char           *description;
} CofferConfigKey;

const CofferConfigKey *coffer_config_get_keys            (gsize                 *n_keys);
const CofferConfigKey *coffer_config_lookup_key          (const char            *section,
                                                          const char            *name);
const CofferConfigKey *coffer_config_suggest_key         (const char            *section,
                                                          const char            *name);
char                  *coffer_config_key_get_env_name    (const CofferConfigKey *key);
char                  *coffer_config_key_normalize_value (const CofferConfigKey *key,
                                                          const char            *value,
                                                          GError               **error);
char                  *coffer_config_key_mask_value      (const CofferConfigKey *key,
                                                          const char            *value);
char                  *coffer_config_mask_url_password   (const char            *url);

/* Defaults, then a key file, then COFFER_<SECTION>_<KEY> variables. Loaded once at
 * start-up and never changed after: any thread may read it without locking. */
#define COFFER_TYPE_CONFIG (coffer_config_get_type ())
G_DECLARE_FINAL_TYPE (CofferConfig, coffer_config, COFFER, CONFIG, GObject)

CofferConfig        *coffer_config_new                  (void);
CofferConfig        *coffer_config_load                 (const char         *path,
                                                         const char * const *envp,
                                                         GError            **error);
gboolean             coffer_config_load_file            (CofferConfig       *self,
                                                         const char         *path,
                                                         GError            **error);
gboolean             coffer_config_load_data            (CofferConfig       *self,
                                                         const char         *data,
                                                         gssize              length,
                                                         const char         *origin,
                                                         GError            **error);
gboolean             coffer_config_apply_environment    (CofferConfig       *self,
                                                         const char * const *envp,
                                                         GError            **error);
gboolean             coffer_config_set                  (CofferConfig       *self,
                                                         const char         *section,
                                                         const char         *name,
                                                         const char         *value,
                                                         const char         *origin,
                                                         GError            **error);

const char          *coffer_config_get_string           (CofferConfig       *self,
                                                         const char         *section,
                                                         const char         *name);
gint64               coffer_config_get_int              (CofferConfig       *self,
                                                         const char         *section,
                                                         const char         *name);
gboolean             coffer_config_get_boolean          (CofferConfig       *self,
                                                         const char         *section,
                                                         const char         *name);
const char * const  *coffer_config_get_string_list      (CofferConfig       *self,
                                                         const char         *section,
                                                         const char         *name);
const char          *coffer_config_get_origin           (CofferConfig       *self,
                                                         const char         *section,
                                                         const char         *name);
char                *coffer_config_to_string            (CofferConfig       *self);

G_END_DECLS
