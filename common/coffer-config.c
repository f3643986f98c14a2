/* coffer-config.c: CofferConfig, the server's settings: defaults, then a key file, then
 * COFFER_<SECTION>_<KEY> environment variables, each value checked as it is loaded. */
#include "config.h"

#include "coffer-config.h"

#include <string.h>

/*
 * Thread safety: a CofferConfig is filled in once at start-up and only read
 * afterwards, so worker threads read it without locking. Do not load or set
 * values once other threads may be reading.
 *
 * A source (file, environment) is applied all or nothing: a first pass
 * checks every value, a second stores them.
 *
 * Secrets: no message and no printout contains the value of a SECRET key
 * or the password in a URL_PASSWORD key. Values reach text only through
 * coffer_config_key_mask_value() or quote_value(), which never show them.
 */

#define DEFAULT_PATH SYSCONFDIR "/coffer/coffer.conf"

typedef struct
{
  char     *text;     /* canonical form (see coffer_config_key_normalize_value()) */
  gint64    number;
  gboolean  boolean;
  GStrv     list;
  char     *origin;
} CofferConfigValue;

struct _CofferConfig
{
  GObject            parent_instance;

  CofferConfigValue *values;    /* one per registry key, in registry order */
};

G_DEFINE_FINAL_TYPE (CofferConfig, coffer_config, G_TYPE_OBJECT)
G_DEFINE_QUARK (coffer-config-error-quark, coffer_config_error)

enum { CHECK, STORE };

/* For "return set_error (…);": always FALSE. */
static gboolean G_GNUC_PRINTF (3, 4)
set_error (GError            **error,
           CofferConfigError   code,
           const char         *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (COFFER_CONFIG_ERROR, code, format, args));
  va_end (args);

  return FALSE;
}

static void
config_value_clear (CofferConfigValue *value)
{
  g_clear_pointer (&value->text, g_free);
  g_clear_pointer (&value->list, g_strfreev);
  g_clear_pointer (&value->origin, g_free);
}

static gsize
key_index (const CofferConfigKey *key)
{
  gsize n_keys;

  return key - coffer_config_get_keys (&n_keys);
}

/* A value as a message may quote it: secrets never, URL passwords masked,
 * anything but printable ASCII escaped. */
static char *
quote_value (const CofferConfigKey *key,
             const char            *value)
{
  g_autofree char *masked = NULL;
  g_autofree char *escaped = NULL;

  if (key->flags & COFFER_CONFIG_KEY_SECRET)
    return g_strdup ("(secret, not shown)");

  masked = coffer_config_key_mask_value (key, value);
  escaped = g_strescape (masked, NULL);
  return g_strdup_printf ("\"%s\"", escaped);
}

/* Checks @text for @key and, with STORE, makes it the key's value. Errors
 * read "[server] max_connections = "lots" in /etc/coffer/coffer.conf: not an
 * integer; expected 1..1000000" for files, "log.level = "loud" (environment
 * COFFER_LOG_LEVEL): expected one of …" for other origins. */
static gboolean
take_value (CofferConfig           *self,
            const CofferConfigKey  *key,
            const char             *text,
            const char             *origin,
            gboolean                is_file,
            int                     mode,
            GError                **error)
{
  g_autoptr(GError) problem = NULL;
  g_autofree char *canonical = coffer_config_key_normalize_value (key, text, &problem);
  g_autofree char *quoted = NULL;
  CofferConfigValue *slot;

  if (canonical == NULL)
    {
      quoted = quote_value (key, text);
      if (is_file)
        return set_error (error, COFFER_CONFIG_ERROR_INVALID_VALUE, "[%s] %s = %s in %s: %s",
                          key->section, key->name, quoted, origin, problem->message);
      return set_error (error, COFFER_CONFIG_ERROR_INVALID_VALUE, "%s.%s = %s (%s): %s",
                        key->section, key->name, quoted, origin, problem->message);
    }
  if (mode == CHECK)
    return TRUE;

  slot = &self->values[key_index (key)];
  config_value_clear (slot);
  slot->number = key->type == COFFER_CONFIG_KEY_INT ? g_ascii_strtoll (canonical, NULL, 10) : 0;
  slot->boolean = key->type == COFFER_CONFIG_KEY_BOOLEAN && strcmp (canonical, "true") == 0;
  if (key->type == COFFER_CONFIG_KEY_STRING_LIST)
    slot->list = g_strsplit (canonical, ",", -1);
  slot->text = g_steal_pointer (&canonical);
  slot->origin = g_strdup (origin);

  return TRUE;
}

static void
coffer_config_finalize (GObject *object)
{
  CofferConfig *self = COFFER_CONFIG (object);
  gsize n_keys;

  coffer_config_get_keys (&n_keys);
  for (gsize i = 0; i < n_keys; i++)
    config_value_clear (&self->values[i]);
  g_clear_pointer (&self->values, g_free);

  G_OBJECT_CLASS (coffer_config_parent_class)->finalize (object);
}

static void
coffer_config_class_init (CofferConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = coffer_config_finalize;
}

static void
coffer_config_init (CofferConfig *self)
{
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);
  g_autoptr(GError) error = NULL;

  self->values = g_new0 (CofferConfigValue, n_keys);
  for (gsize i = 0; i < n_keys; i++)
    {
      if (!take_value (self, &keys[i], keys[i].default_value, "default", FALSE, STORE, &error))
        g_error ("The registry's default is invalid: %s", error->message);
    }
}

/**
 * coffer_config_new:
 *
 * Returns: (transfer full): a configuration holding every key's default
 */
CofferConfig *
coffer_config_new (void)
{
  return g_object_new (COFFER_TYPE_CONFIG, NULL);
}

/* Names are echoed only when they look like a key: a secret pasted on a
 * line of its own must not come back in an "unknown key" message. */
static const char *
printable_name (const char *name)
{
  gsize length = strlen (name);

  if (length > 0 && length <= 32
      && strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
         == length)
    return name;

  return "(not shown)";
}

static const char *
lookup_section (const char *section)
{
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  for (gsize i = 0; i < n_keys; i++)
    {
      if (strcmp (keys[i].section, section) == 0)
        return keys[i].section;
    }

  return NULL;
}

/* "expected one of [server], [database], …": with five sections, better than a guess. */
static char *
list_sections (void)
{
  g_autoptr(GString) known = g_string_new ("expected one of ");
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  for (gsize i = 0; i < n_keys; i++)
    {
      if (i == 0 || strcmp (keys[i - 1].section, keys[i].section) != 0)
        g_string_append_printf (known, "%s[%s]", i > 0 ? ", " : "", keys[i].section);
    }

  return g_string_free (g_steal_pointer (&known), FALSE);
}

/* "did you mean max_connections?" or "expected one of listen, max_connections, …";
 * with @as_variable, names are environment variables. */
static char *
hint_for_unknown_key (const char *section,
                      const char *name,
                      gboolean    as_variable)
{
  const CofferConfigKey *hint = coffer_config_suggest_key (section, name);
  g_autoptr(GString) known = g_string_new ("expected one of ");
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  if (hint != NULL && as_variable)
    {
      g_autofree char *variable = coffer_config_key_get_env_name (hint);

      return g_strdup_printf ("did you mean %s?", variable);
    }
  if (hint != NULL && strcmp (hint->section, section) == 0)
    return g_strdup_printf ("did you mean %s?", hint->name);
  if (hint != NULL)
    return g_strdup_printf ("did you mean [%s] %s?", hint->section, hint->name);

  for (gsize i = 0; i < n_keys; i++)
    {
      g_autofree char *variable = coffer_config_key_get_env_name (&keys[i]);

      if (strcmp (keys[i].section, section) == 0)
        g_string_append_printf (known, "%s%s", g_str_has_suffix (known->str, " ") ? "" : ", ",
                                as_variable ? variable : keys[i].name);
    }

  return g_string_free (g_steal_pointer (&known), FALSE);
}

/**
 * coffer_config_set:
 * @value: the value as it would appear in the file
 * @origin: (nullable): where @value comes from, e.g. "command line"; %NULL for "override"
 *
 * Checks @value and makes it the value of @section.@name.
 *
 * Returns: %TRUE if the key exists and @value is valid for it
 */
gboolean
coffer_config_set (CofferConfig  *self,
                   const char    *section,
                   const char    *name,
                   const char    *value,
                   const char    *origin,
                   GError       **error)
{
  const CofferConfigKey *key;
  g_autofree char *hint = NULL;

  g_return_val_if_fail (COFFER_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (section != NULL && name != NULL && value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (lookup_section (section) == NULL)
    return set_error (error, COFFER_CONFIG_ERROR_UNKNOWN_SECTION, "Unknown section [%s]; %s",
                      printable_name (section), (hint = list_sections ()));

  key = coffer_config_lookup_key (section, name);
  if (key == NULL)
    return set_error (error, COFFER_CONFIG_ERROR_UNKNOWN_KEY, "Unknown key [%s] %s; %s",
                      section, printable_name (name),
                      (hint = hint_for_unknown_key (section, name, FALSE)));

  return take_value (self, key, value, origin != NULL ? origin : "override", FALSE, STORE, error);
}

/* The key COFFER_<SECTION>_<KEY> sets; NULL with @out_section set when only
 * the section is known; NULL and NULL when it is not a configuration variable. */
static const CofferConfigKey *
lookup_variable (const char  *variable,
                 const char **out_section)
{
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  *out_section = NULL;
  for (gsize i = 0; i < n_keys; i++)
    {
      g_autofree char *key_variable = coffer_config_key_get_env_name (&keys[i]);
      gsize prefix_length = strlen ("COFFER__") + strlen (keys[i].section);

      if (strncmp (variable, key_variable, prefix_length) != 0)
        continue;
      *out_section = keys[i].section;
      if (strcmp (variable, key_variable) == 0)
        return &keys[i];
    }

  return NULL;
}

/**
 * coffer_config_apply_environment:
 * @envp: (nullable) (array zero-terminated=1): "NAME=value" strings, or %NULL
 *   for the process environment
 *
 * Applies every COFFER_<SECTION>_<KEY> variable; lists are separated by
 * commas. A variable of a known section with an unknown key is an error (a
 * typo would go unnoticed); other COFFER_ variables, like COFFER_CONFIG,
 * are left alone. Nothing is applied unless every variable is valid.
 *
 * Returns: %TRUE if every variable was valid
 */
gboolean
coffer_config_apply_environment (CofferConfig        *self,
                                 const char * const  *envp,
                                 GError             **error)
{
  g_auto(GStrv) process_environment = NULL;

  g_return_val_if_fail (COFFER_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (envp == NULL)
    envp = (const char * const *) (process_environment = g_get_environ ());

  for (int mode = CHECK; mode <= STORE; mode++)
    {
      for (guint i = 0; envp[i] != NULL; i++)
        {
          const char *equals = strchr (envp[i], '=');
          g_autofree char *variable = NULL;
          g_autofree char *origin = NULL;
          const CofferConfigKey *key;
          const char *section;

          if (!g_str_has_prefix (envp[i], "COFFER_") || equals == NULL)
            continue;
          variable = g_strndup (envp[i], equals - envp[i]);
          key = lookup_variable (variable, &section);

          if (key == NULL && section != NULL)
            {
              const char *rest = variable + strlen ("COFFER__") + strlen (section);
              g_autofree char *name = g_ascii_strdown (rest, -1);
              g_autofree char *hint = hint_for_unknown_key (section, name, TRUE);

              return set_error (error, COFFER_CONFIG_ERROR_UNKNOWN_KEY,
                                "Unknown environment variable %s: [%s] has no key \"%s\"; %s",
                                variable, section, printable_name (name), hint);
            }
          if (key == NULL)
            continue;

          origin = g_strdup_printf ("environment %s", variable);
          if (!take_value (self, key, equals + 1, origin, FALSE, mode, error))
            return FALSE;
        }
    }

  return TRUE;
}

/* GKeyFile accepts any group and key, and quotes bad lines in its messages;
 * this pass finds malformed lines, unknown names and keys set twice first,
 * with line numbers and without echoing a line. @lines_of_keys gets, per
 * registry key, the line that sets it (0: none). */
static gboolean
scan_key_file (char        *text,
               const char  *origin,
               guint       *lines_of_keys,
               GError     **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  const char *section = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strchug (lines[i]);
      const CofferConfigKey *key;
      char *end;
      guint *seen;

      if (!g_utf8_validate (line, -1, NULL))
        return set_error (error, COFFER_CONFIG_ERROR_PARSE,
                          "Line %u of %s is not valid UTF-8", i + 1, origin);
      if (line[0] == '\0' || line[0] == '#')
        continue;

      if (line[0] == '[')
        {
          g_autofree char *hint = NULL;

          if ((end = strrchr (line, ']')) == NULL)
            return set_error (error, COFFER_CONFIG_ERROR_PARSE,
                              "Line %u of %s opens a [section] header but does not close it",
                              i + 1, origin);
          *end = '\0';
          if ((section = lookup_section (line + 1)) == NULL)
            return set_error (error, COFFER_CONFIG_ERROR_UNKNOWN_SECTION,
                              "Unknown section [%s] in %s, line %u; %s",
                              printable_name (line + 1), origin, i + 1,
                              (hint = list_sections ()));
          continue;
        }

      if ((end = strchr (line, '=')) == NULL)
        return set_error (error, COFFER_CONFIG_ERROR_PARSE,
                          "Line %u of %s is neither a [section] header, a key = value pair "
                          "nor a # comment", i + 1, origin);
      *end = '\0';
      g_strchomp (line);
      if (section == NULL)
        return set_error (error, COFFER_CONFIG_ERROR_PARSE,
                          "Line %u of %s sets %s before any [section] header",
                          i + 1, origin, printable_name (line));

      if ((key = coffer_config_lookup_key (section, line)) == NULL)
        {
          g_autofree char *hint = hint_for_unknown_key (section, line, FALSE);

          return set_error (error, COFFER_CONFIG_ERROR_UNKNOWN_KEY,
                            "Unknown key [%s] %s in %s, line %u; %s",
                            section, printable_name (line), origin, i + 1, hint);
        }

      seen = &lines_of_keys[key_index (key)];
      if (*seen != 0)
        return set_error (error, COFFER_CONFIG_ERROR_PARSE,
                          "[%s] %s is set twice in %s, on lines %u and %u",
                          key->section, key->name, origin, *seen, i + 1);
      *seen = i + 1;
    }

  return TRUE;
}

/**
 * coffer_config_load_data:
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @origin: (nullable): where @data comes from (usually a path), for messages
 *   and coffer_config_get_origin()
 *
 * Applies the keys a key file sets. Unknown sections and keys, keys set
 * twice and invalid values are errors; nothing is applied unless all is valid.
 *
 * Returns: %TRUE if @data was valid
 */
gboolean
coffer_config_load_data (CofferConfig  *self,
                         const char    *data,
                         gssize         length,
                         const char    *origin,
                         GError       **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *text = NULL;
  g_autofree guint *lines_of_keys = NULL;
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  g_return_val_if_fail (COFFER_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (origin == NULL)
    origin = "configuration data";
  if (length < 0)
    length = strlen (data);
  if (memchr (data, '\0', length) != NULL)
    return set_error (error, COFFER_CONFIG_ERROR_PARSE,
                      "%s contains a NUL byte; expected a text file", origin);

  text = g_strndup (data, length);
  lines_of_keys = g_new0 (guint, n_keys);
  if (!scan_key_file (text, origin, lines_of_keys, error))
    return FALSE;
  /* After the scan little is left for GKeyFile to object to; its message
   * may quote a line, and so a secret, so it is not passed on. */
  if (!g_key_file_load_from_data (key_file, data, length, G_KEY_FILE_NONE, NULL))
    return set_error (error, COFFER_CONFIG_ERROR_PARSE, "%s is not a valid key file", origin);

  for (int mode = CHECK; mode <= STORE; mode++)
    {
      for (gsize i = 0; i < n_keys; i++)
        {
          g_autoptr(GError) escape_error = NULL;
          g_autofree char *value = NULL;

          if (lines_of_keys[i] == 0)
            continue;
          /* On a bad escape GKeyFile sets an error but still returns a value. */
          value = g_key_file_get_string (key_file, keys[i].section, keys[i].name, &escape_error);
          if (value == NULL || escape_error != NULL)
            return set_error (error, COFFER_CONFIG_ERROR_INVALID_VALUE,
                              "[%s] %s in %s, line %u: invalid escape sequence; expected only "
                              "\\s, \\n, \\t, \\r and \\\\", keys[i].section, keys[i].name,
                              origin, lines_of_keys[i]);
          if (!take_value (self, &keys[i], value, origin, TRUE, mode, error))
            return FALSE;
        }
    }

  return TRUE;
}

/**
 * coffer_config_load_file:
 *
 * Like coffer_config_load_data() with the contents of @path, which must exist.
 *
 * Returns: %TRUE if @path could be read and was valid
 */
gboolean
coffer_config_load_file (CofferConfig  *self,
                         const char    *path,
                         GError       **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  g_return_val_if_fail (COFFER_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_get_contents (path, &data, &length, &local_error))
    return set_error (error, COFFER_CONFIG_ERROR_FILE,
                      "Could not read the configuration file: %s", local_error->message);

  return coffer_config_load_data (self, data, length, path, error);
}

/**
 * coffer_config_load:
 * @path: (nullable): the key file, or %NULL for the usual places
 * @envp: (nullable): as for coffer_config_apply_environment()
 *
 * Defaults, then the file, then the environment. With @path %NULL the file
 * is the one $COFFER_CONFIG names (it must exist), else
 * SYSCONFDIR/coffer/coffer.conf if that exists.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set
 */
CofferConfig *
coffer_config_load (const char          *path,
                    const char * const  *envp,
                    GError             **error)
{
  g_autoptr(CofferConfig) self = coffer_config_new ();
  g_auto(GStrv) process_environment = NULL;
  const char *named;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (envp == NULL)
    envp = (const char * const *) (process_environment = g_get_environ ());
  named = g_environ_getenv ((char **) envp, "COFFER_CONFIG");

  if (path == NULL && named != NULL && named[0] != '\0')
    {
      if (!coffer_config_load_file (self, named, error))
        {
          g_prefix_error (error, "COFFER_CONFIG=%s: ", named);
          return NULL;
        }
    }
  else if (path == NULL && g_file_test (DEFAULT_PATH, G_FILE_TEST_EXISTS))
    path = DEFAULT_PATH;

  if (path != NULL && !coffer_config_load_file (self, path, error))
    return NULL;
  if (!coffer_config_apply_environment (self, envp, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* Unknown keys and wrong types are programmer errors: critical, and NULL. */
static const CofferConfigValue *
lookup_value (CofferConfig *self,
              const char   *section,
              const char   *name,
              guint         type_mask,
              const char   *getter)
{
  const CofferConfigKey *key;

  g_return_val_if_fail (COFFER_IS_CONFIG (self), NULL);
  g_return_val_if_fail (section != NULL && name != NULL, NULL);

  if ((key = coffer_config_lookup_key (section, name)) == NULL)
    g_critical ("%s: there is no configuration key %s.%s", getter, section, name);
  else if ((type_mask & (1u << key->type)) == 0)
    g_critical ("%s: configuration key %s.%s has another type", getter, section, name);
  else
    return &self->values[key_index (key)];

  return NULL;
}

#define TYPE_BIT(type) (1u << COFFER_CONFIG_KEY_ ## type)

/*
 * The getters: coffer_config_get_string() reads STRING and ENUM keys,
 * get_string_list() gives a NULL-terminated array, empty (not NULL) for "".
 * Values are owned by the configuration. An unknown key or a getter of the
 * wrong type is a programmer error: a critical, and 0 or NULL.
 */

const char *
coffer_config_get_string (CofferConfig *self,
                          const char   *section,
                          const char   *name)
{
  const CofferConfigValue *value =
    lookup_value (self, section, name, TYPE_BIT (STRING) | TYPE_BIT (ENUM), G_STRFUNC);

  return value != NULL ? value->text : NULL;
}

gint64
coffer_config_get_int (CofferConfig *self,
                       const char   *section,
                       const char   *name)
{
  const CofferConfigValue *value = lookup_value (self, section, name, TYPE_BIT (INT), G_STRFUNC);

  return value != NULL ? value->number : 0;
}

gboolean
coffer_config_get_boolean (CofferConfig *self,
                           const char   *section,
                           const char   *name)
{
  const CofferConfigValue *value =
    lookup_value (self, section, name, TYPE_BIT (BOOLEAN), G_STRFUNC);

  return value != NULL ? value->boolean : FALSE;
}

const char * const *
coffer_config_get_string_list (CofferConfig *self,
                               const char   *section,
                               const char   *name)
{
  const CofferConfigValue *value =
    lookup_value (self, section, name, TYPE_BIT (STRING_LIST), G_STRFUNC);

  return value != NULL ? (const char * const *) value->list : NULL;
}

/* Where a key's value comes from: "default", a path, "environment COFFER_…",
 * or the origin given to coffer_config_set(). */
const char *
coffer_config_get_origin (CofferConfig *self,
                          const char   *section,
                          const char   *name)
{
  const CofferConfigValue *value = lookup_value (self, section, name, G_MAXUINT, G_STRFUNC);

  return value != NULL ? value->origin : NULL;
}

/**
 * coffer_config_to_string:
 *
 * Prints the effective configuration as a key file: every key, after a
 * comment saying where its value comes from. Every value goes through
 * coffer_config_key_mask_value(): secrets are *** when set and empty when
 * not, URL passwords are ***.
 *
 * Returns: (transfer full): the key file text
 */
char *
coffer_config_to_string (CofferConfig *self)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  g_return_val_if_fail (COFFER_IS_CONFIG (self), NULL);

  for (gsize i = 0; i < n_keys; i++)
    {
      g_autofree char *masked = coffer_config_key_mask_value (&keys[i], self->values[i].text);
      g_autofree char *comment = g_strdup_printf (" %s %s",
                                                  (keys[i].flags & COFFER_CONFIG_KEY_SECRET)
                                                  ? "secret, from" : "from",
                                                  self->values[i].origin);

      g_key_file_set_string (key_file, keys[i].section, keys[i].name, masked);
      g_key_file_set_comment (key_file, keys[i].section, keys[i].name, comment, NULL);
    }

  return g_key_file_to_data (key_file, NULL, NULL);
}
