/* coffer-config-keys.c: the registry of every configuration key, and what is known about a key
 * without a configuration: lookup, suggestions, variable name, valid values, masking. */
#include "coffer-config.h"

#include <string.h>

/*
 * Adding a key: add a row here, document it in docs/configuration.md (a test
 * fails otherwise), and read it with the getter for its type. Secrets carry
 * COFFER_CONFIG_KEY_SECRET so that no printing path can show them.
 */

static const char * const log_level_choices[] = {
  "error", "critical", "warning", "message", "info", "debug", NULL
};

static const char * const log_format_choices[] = {
  "auto", "journal", "text", "json", NULL
};

#define STRING(sec, nam, flg, def, desc) \
  { sec, nam, COFFER_CONFIG_KEY_STRING, flg, def, 0, 0, NULL, NULL, desc }
#define STRING_LIST(sec, nam, flg, def, desc) \
  { sec, nam, COFFER_CONFIG_KEY_STRING_LIST, flg, def, 0, 0, NULL, NULL, desc }
#define INT(sec, nam, def, lo, hi, unt, desc) \
  { sec, nam, COFFER_CONFIG_KEY_INT, COFFER_CONFIG_KEY_FLAGS_NONE, def, lo, hi, NULL, unt, desc }
#define ENUM(sec, nam, def, chc, desc) \
  { sec, nam, COFFER_CONFIG_KEY_ENUM, COFFER_CONFIG_KEY_FLAGS_NONE, def, 0, 0, chc, NULL, desc }

static const CofferConfigKey keys[] = {
  STRING_LIST ("server", "listen", COFFER_CONFIG_KEY_FLAGS_NONE, "127.0.0.1:8080",
               "Addresses to listen on, host:port; IPv6 as [::1]:8080; port 0 picks a free port"),
  INT ("server", "max_connections", "1024", 1, 1000000, NULL,
       "Open client connections at most; further connections wait in the kernel backlog"),
  INT ("server", "idle_timeout", "60", 1, 3600, "seconds",
       "A connection with no traffic for this long is closed"),
  INT ("server", "header_timeout", "15", 1, 600, "seconds",
       "A request whose headers have not fully arrived after this long is dropped"),
  INT ("server", "shutdown_timeout", "30", 0, 3600, "seconds",
       "On SIGTERM, how long in-flight requests may take before exit"),
  INT ("server", "max_body_size", "1048576", 0, 67108864, "bytes",
       "The default body limit for routes that accept a body (routes may set a lower one)"),
  STRING ("server", "tls_certificate", COFFER_CONFIG_KEY_FLAGS_NONE, "",
          "PEM certificate (chain) file; with tls_key enables HTTPS on every listen address"),
  STRING ("server", "tls_key", COFFER_CONFIG_KEY_FLAGS_NONE, "",
          "PEM private key file"),

  STRING ("database", "url", COFFER_CONFIG_KEY_URL_PASSWORD, "postgresql:///coffer",
          "libpq connection URI or conninfo"),
  STRING ("database", "password", COFFER_CONFIG_KEY_SECRET, "",
          "Overrides a password in the URL, so the URL can stay in the file"),
  INT ("database", "pool_size", "4", 1, 64, NULL,
       "Database connections held by each server"),
  INT ("database", "statement_timeout", "15000", 0, 3600000, "milliseconds",
       "PostgreSQL statement_timeout for every pool connection; 0 means none"),
  INT ("database", "connect_timeout", "5", 1, 300, "seconds",
       "How long to wait for a database connection to open"),

  ENUM ("log", "level", "info", log_level_choices,
        "The least severe messages logged"),
  ENUM ("log", "format", "auto", log_format_choices,
        "auto: journald when stderr is connected to the journal, else text"),

  STRING ("stripe", "secret_key", COFFER_CONFIG_KEY_SECRET, "",
          "Stripe secret API key (sk_live_... or sk_test_...)"),
  STRING_LIST ("stripe", "webhook_secrets", COFFER_CONFIG_KEY_SECRET, "",
               "One or more whsec_ webhook signing secrets; several while rolling a secret"),
  STRING ("stripe", "api_version", COFFER_CONFIG_KEY_FLAGS_NONE, "2026-07-29.dahlia",
          "The Stripe-Version every request pins"),
  STRING ("stripe", "api_base", COFFER_CONFIG_KEY_FLAGS_NONE, "https://api.stripe.com",
          "Base URL of the Stripe API; tests point it at the simulator"),

  INT ("webhook", "max_body_size", "1048576", 1024, 67108864, "bytes",
       "Largest Stripe webhook body accepted; larger ones get 413 and are not stored"),
  INT ("webhook", "tolerance", "300", 1, 86400, "seconds",
       "How far a Stripe-Signature timestamp may be from now before the event is refused"),
  INT ("webhook", "workers", "4", 0, 32, NULL,
       "Threads applying stored events to the mirror; 0 receives without applying"),
  INT ("webhook", "max_attempts", "8", 1, 1000, NULL,
       "Attempts to apply an event before it is parked for a person"),
  INT ("webhook", "retry_base", "10", 1, 86400, "seconds",
       "Wait before the second attempt; doubles each time, with jitter"),
  INT ("webhook", "retry_max", "3600", 1, 604800, "seconds",
       "Longest wait between two attempts"),

  STRING ("smtp", "url", COFFER_CONFIG_KEY_FLAGS_NONE, "",
          "SMTP server, e.g. smtp://127.0.0.1:25 or smtps://mail.example.com:465"),
  STRING ("smtp", "username", COFFER_CONFIG_KEY_FLAGS_NONE, "",
          "SMTP user name; empty for no authentication"),
  STRING ("smtp", "password", COFFER_CONFIG_KEY_SECRET, "",
          "SMTP password"),
  STRING ("smtp", "from", COFFER_CONFIG_KEY_FLAGS_NONE, "",
          "The From: address of customer notices"),
};

#undef STRING
#undef STRING_LIST
#undef INT
#undef ENUM

/**
 * coffer_config_get_keys:
 * @n_keys: (out): the number of keys
 *
 * Returns: (array length=n_keys): every configuration key, grouped by section
 */
const CofferConfigKey *
coffer_config_get_keys (gsize *n_keys)
{
  g_return_val_if_fail (n_keys != NULL, NULL);

  *n_keys = G_N_ELEMENTS (keys);
  return keys;
}

/**
 * coffer_config_lookup_key:
 * @section: a section, e.g. "server"
 * @name: a key name, e.g. "max_connections"
 *
 * Returns: (nullable): the key, or %NULL if there is no such key
 */
const CofferConfigKey *
coffer_config_lookup_key (const char *section,
                          const char *name)
{
  g_return_val_if_fail (section != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if (strcmp (keys[i].section, section) == 0 && strcmp (keys[i].name, name) == 0)
        return &keys[i];
    }

  return NULL;
}

/* Optimal string alignment distance, ASCII case-insensitive: a swap of two
 * neighbouring letters ("pasword", "passwrod") costs one edit. */
static gsize
edit_distance (const char *a,
               const char *b)
{
  gsize len_a = strlen (a);
  gsize len_b = strlen (b);
  g_autofree gsize *d = g_new0 (gsize, (len_a + 1) * (len_b + 1));
  gsize width = len_b + 1;

  for (gsize i = 0; i <= len_a; i++)
    d[i * width] = i;
  for (gsize j = 0; j <= len_b; j++)
    d[j] = j;

  for (gsize i = 1; i <= len_a; i++)
    {
      for (gsize j = 1; j <= len_b; j++)
        {
          gsize cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;
          gsize best = MIN (d[(i - 1) * width + j] + 1, d[i * width + j - 1] + 1);

          best = MIN (best, d[(i - 1) * width + j - 1] + cost);
          if (i > 1 && j > 1
              && g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 2])
              && g_ascii_tolower (a[i - 2]) == g_ascii_tolower (b[j - 1]))
            best = MIN (best, d[(i - 2) * width + j - 2] + 1);
          d[i * width + j] = best;
        }
    }

  return d[len_a * width + len_b];
}

typedef struct
{
  gsize    distance;
  gboolean is_tie;
} Closest;

/* Whether @candidate is within a few typing mistakes of @typed (a third of
 * its letters, one to three) and at least as close as the closest so far.
 * Two equally close candidates make a tie: no suggestion is better than a
 * coin toss. */
static gboolean
is_closer (const char *typed,
           const char *candidate,
           Closest    *closest)
{
  gsize distance = edit_distance (typed, candidate);

  if (distance > CLAMP (strlen (candidate) / 3, 1, 3) || distance > closest->distance)
    return FALSE;

  closest->is_tie = distance == closest->distance;
  closest->distance = distance;
  return TRUE;
}

/**
 * coffer_config_suggest_key:
 * @section: (nullable): the section @name was looked for in, or %NULL for any
 * @name: a key name that is not known in @section
 *
 * Returns: (nullable): the one key of @section that @name is a likely typo
 *   of, or else the one key called @name in another section
 *   ("[database] pool_size" for "[server] pool_size")
 */
const CofferConfigKey *
coffer_config_suggest_key (const char *section,
                           const char *name)
{
  Closest closest = { G_MAXSIZE, FALSE };
  const CofferConfigKey *best = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if ((section == NULL || strcmp (keys[i].section, section) == 0)
          && is_closer (name, keys[i].name, &closest))
        best = &keys[i];
    }
  if (best != NULL)
    return closest.is_tie ? NULL : best;

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if (g_ascii_strcasecmp (keys[i].name, name) != 0)
        continue;
      if (best != NULL)
        return NULL;
      best = &keys[i];
    }

  return best;
}

/**
 * coffer_config_key_get_env_name:
 * @key: a key from the registry
 *
 * Returns: (transfer full): the environment variable that sets @key, e.g.
 *   "COFFER_SERVER_MAX_CONNECTIONS"
 */
char *
coffer_config_key_get_env_name (const CofferConfigKey *key)
{
  g_autofree char *variable = NULL;

  g_return_val_if_fail (key != NULL, NULL);

  variable = g_strdup_printf ("COFFER_%s_%s", key->section, key->name);
  return g_ascii_strup (variable, -1);
}

/* libpq reads "password" and "sslpassword" (the client key's passphrase). */
static gboolean
is_password_parameter (const char *name,
                       gsize       length)
{
  return length >= 8 && g_ascii_strncasecmp (name + length - 8, "password", 8) == 0;
}

/* postgresql://user:password@host:port/dbname?password=...&sslpassword=...
 *
 * The userinfo ends at the last '@' anywhere in the URI: a password that
 * libpq would misread (a raw '/', '?' or '@' in it) is then still masked,
 * at worst with more of the URI than needed. */
static char *
mask_uri (const char *uri,
          const char *authority)
{
  g_autoptr(GString) masked = g_string_new (NULL);
  const char *at = strrchr (authority, '@');
  const char *rest = authority;
  const char *query;

  g_string_append_len (masked, uri, authority - uri);

  if (at != NULL)
    {
      const char *colon = memchr (authority, ':', at - authority);

      if (colon != NULL)
        {
          g_string_append_len (masked, authority, colon + 1 - authority);
          g_string_append (masked, "***");
        }
      else
        g_string_append_len (masked, authority, at - authority);
      rest = at;
    }

  query = strchr (rest, '?');
  if (query == NULL)
    {
      g_string_append (masked, rest);
      return g_string_free (g_steal_pointer (&masked), FALSE);
    }

  g_string_append_len (masked, rest, query + 1 - rest);
  rest = query + 1;

  while (*rest != '\0')
    {
      gsize length = strcspn (rest, "&");
      const char *equals = memchr (rest, '=', length);

      if (equals != NULL && is_password_parameter (rest, equals - rest))
        {
          g_string_append_len (masked, rest, equals + 1 - rest);
          g_string_append (masked, "***");
        }
      else
        g_string_append_len (masked, rest, length);

      rest += length;
      if (*rest == '&')
        g_string_append_c (masked, *rest++);
    }

  return g_string_free (g_steal_pointer (&masked), FALSE);
}

/* host=db password='it\'s' dbname=x: keyword = value pairs, values bare or
 * single-quoted, backslash escaping in both, as libpq's conninfo_parse(). */
static char *
mask_conninfo (const char *conninfo)
{
  g_autoptr(GString) masked = g_string_new (NULL);
  const char *copied_up_to = conninfo;
  const char *p = conninfo;

  while (TRUE)
    {
      const char *name;
      gsize name_length;
      const char *value;

      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        break;

      name = p;
      while (*p != '\0' && *p != '=' && !g_ascii_isspace (*p))
        p++;
      name_length = p - name;
      while (g_ascii_isspace (*p))
        p++;
      /* Not a conninfo libpq would accept; whatever it is, show none of it. */
      if (*p != '=' || name_length == 0)
        return g_strdup ("***");
      p++;
      while (g_ascii_isspace (*p))
        p++;

      value = p;
      if (*p == '\'')
        {
          p++;
          while (*p != '\0' && *p != '\'')
            p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
          if (*p != '\'')
            return g_strdup ("***");
          p++;
        }
      else
        {
          while (*p != '\0' && !g_ascii_isspace (*p))
            p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
        }

      if (is_password_parameter (name, name_length))
        {
          g_string_append_len (masked, copied_up_to, value - copied_up_to);
          g_string_append (masked, "***");
          copied_up_to = p;
        }
    }

  g_string_append (masked, copied_up_to);
  return g_string_free (g_steal_pointer (&masked), FALSE);
}

/**
 * coffer_config_mask_url_password:
 * @url: a libpq connection URI or conninfo string
 *
 * Masks the passwords a connection string may hold, keeping the rest
 * readable: "postgresql://coffer:***@db/coffer", "host=db password=*** dbname=x".
 * A string that is neither form is masked whole.
 *
 * Returns: (transfer full): @url, safe to print or log
 */
char *
coffer_config_mask_url_password (const char *url)
{
  g_return_val_if_fail (url != NULL, NULL);

  if (*url == '\0')
    return g_strdup ("");
  if (g_str_has_prefix (url, "postgresql://"))
    return mask_uri (url, url + strlen ("postgresql://"));
  if (g_str_has_prefix (url, "postgres://"))
    return mask_uri (url, url + strlen ("postgres://"));

  return mask_conninfo (url);
}

/**
 * coffer_config_key_mask_value:
 * @key: a key from the registry
 * @value: (nullable): a value of @key, in text form
 *
 * Returns: (transfer full): @value as it may be printed or logged: "" when
 *   unset, "***" for a set secret, the URL with its password masked for
 *   %COFFER_CONFIG_KEY_URL_PASSWORD keys, otherwise @value itself
 */
char *
coffer_config_key_mask_value (const CofferConfigKey *key,
                              const char            *value)
{
  g_return_val_if_fail (key != NULL, NULL);

  if (value == NULL || *value == '\0')
    return g_strdup ("");
  if (key->flags & COFFER_CONFIG_KEY_SECRET)
    return g_strdup ("***");
  if (key->flags & COFFER_CONFIG_KEY_URL_PASSWORD)
    return coffer_config_mask_url_password (value);

  return g_strdup (value);
}

/* For "return invalid (error, …);": always FALSE. */
static gboolean G_GNUC_PRINTF (2, 3)
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (COFFER_CONFIG_ERROR,
                                                COFFER_CONFIG_ERROR_INVALID_VALUE, format, args));
  va_end (args);

  return FALSE;
}

static char *
describe_range (const CofferConfigKey *key)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT "%s%s",
                          key->min, key->max,
                          key->unit != NULL ? " " : "", key->unit != NULL ? key->unit : "");
}

/* host:port, IPv6 in brackets, port 0..65535 (0: any free port). */
static gboolean
is_listen_address (const char *address)
{
  const char *colon = strrchr (address, ':');
  gsize host_length;

  if (colon == NULL || colon == address || !g_ascii_isdigit (colon[1])
      || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, NULL, NULL))
    return FALSE;

  host_length = colon - address;
  if (address[0] == '[')
    return host_length > 2 && address[host_length - 1] == ']';

  return memchr (address, ':', host_length) == NULL;
}

/* What a key needs beyond its type, given the value in canonical form. */
static gboolean
check_key_specific (const CofferConfigKey  *key,
                    const char             *canonical,
                    GError                **error)
{
  g_autofree char *id = g_strdup_printf ("%s.%s", key->section, key->name);

  if (strcmp (id, "server.listen") == 0)
    {
      g_auto(GStrv) addresses = g_strsplit (canonical, ",", -1);

      if (addresses[0] == NULL)
        return invalid (error, "no address; expected at least one host:port");
      for (guint i = 0; addresses[i] != NULL; i++)
        {
          if (!is_listen_address (addresses[i]))
            return invalid (error, "\"%s\" is not host:port; expected addresses such as "
                            "127.0.0.1:8080, [::1]:8080 or 0.0.0.0:0, separated by commas",
                            addresses[i]);
        }
    }
  else if (strcmp (id, "smtp.url") == 0 && canonical[0] != '\0'
           && !g_str_has_prefix (canonical, "smtp://")
           && !g_str_has_prefix (canonical, "smtps://"))
    return invalid (error, "expected an smtp:// or smtps:// URL, or nothing");
  else if (strcmp (id, "stripe.api_base") == 0
           && !g_str_has_prefix (canonical, "https://")
           && !g_str_has_prefix (canonical, "http://"))
    return invalid (error, "expected an https:// or http:// URL");

  return TRUE;
}

static char *
normalize_by_type (const CofferConfigKey  *key,
                   const char             *value,
                   GError                **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (value));

  switch (key->type)
    {
    case COFFER_CONFIG_KEY_STRING:
      return g_strdup (value);

    case COFFER_CONFIG_KEY_INT:
      {
        const char *digits = trimmed[0] == '-' ? trimmed + 1 : trimmed;
        g_autofree char *range = describe_range (key);
        gint64 number;

        if (digits[0] == '\0' || strspn (digits, "0123456789") != strlen (digits))
          invalid (error, "not an integer; expected %s", range);
        /* Only digits are left, so any failure is overflow or out of range. */
        else if (!g_ascii_string_to_signed (trimmed, 10, key->min, key->max, &number, NULL))
          invalid (error, "out of range; expected %s", range);
        else
          return g_strdup_printf ("%" G_GINT64_FORMAT, number);
        return NULL;
      }

    case COFFER_CONFIG_KEY_BOOLEAN:
      if (g_ascii_strcasecmp (trimmed, "true") == 0 || g_ascii_strcasecmp (trimmed, "yes") == 0
          || strcmp (trimmed, "1") == 0)
        return g_strdup ("true");
      if (g_ascii_strcasecmp (trimmed, "false") == 0 || g_ascii_strcasecmp (trimmed, "no") == 0
          || strcmp (trimmed, "0") == 0)
        return g_strdup ("false");
      invalid (error, "not a boolean; expected true, false, yes, no, 1 or 0");
      return NULL;

    case COFFER_CONFIG_KEY_ENUM:
      {
        g_autofree char *choices = g_strjoinv (", ", (char **) key->choices);

        for (guint i = 0; key->choices[i] != NULL; i++)
          {
            if (g_ascii_strcasecmp (trimmed, key->choices[i]) == 0)
              return g_strdup (key->choices[i]);
          }
        invalid (error, "expected one of %s", choices);
        return NULL;
      }

    case COFFER_CONFIG_KEY_STRING_LIST:
      {
        g_auto(GStrv) parts = g_strsplit_set (value, ",;", -1);
        g_autoptr(GString) joined = g_string_new (NULL);

        for (guint i = 0; parts[i] != NULL; i++)
          {
            if (g_strstrip (parts[i])[0] != '\0')
              g_string_append_printf (joined, "%s%s", joined->len > 0 ? "," : "", parts[i]);
          }
        return g_string_free (g_steal_pointer (&joined), FALSE);
      }

    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * coffer_config_key_normalize_value:
 * @key: a key from the registry
 * @value: a value for @key in text form, as in the file or the environment
 * @error: return location for a #GError
 *
 * Checks @value against @key's type, range, choices and rules, and returns it
 * in canonical form: integers in plain decimal, booleans as "true"/"false",
 * choices as the registry spells them, list elements trimmed and joined with
 * commas (the file and the environment may separate them with commas or
 * semicolons). Surrounding white space is ignored except in plain strings.
 *
 * The message of @error says what is wrong and what is allowed ("not an
 * integer; expected 1..1000000"); it names neither the key nor the value,
 * so callers prefix it with both, and it is safe for secret keys.
 *
 * Returns: (transfer full) (nullable): the canonical value, or %NULL
 */
char *
coffer_config_key_normalize_value (const CofferConfigKey  *key,
                                   const char             *value,
                                   GError                **error)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (value, -1, NULL))
    return (invalid (error, "not valid UTF-8; expected UTF-8 text"), NULL);

  canonical = normalize_by_type (key, value, error);
  if (canonical == NULL || !check_key_specific (key, canonical, error))
    return NULL;

  return g_steal_pointer (&canonical);
}
