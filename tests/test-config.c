/* test-config.c: CofferConfig: defaults, file, environment, validation, secrets, documentation. */
#include "config.h"

#include "coffer-config.h"

#include <glib/gstdio.h>
#include <string.h>

#define ORIGIN "/etc/coffer/coffer.conf"

static const char * const no_environment[] = { NULL };

static CofferConfig *
load_text (const char  *text,
           GError     **error)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();

  if (!coffer_config_load_data (config, text, -1, ORIGIN, error))
    return NULL;

  return g_steal_pointer (&config);
}

/* Loads @text, expects @code, and returns the message. */
static char *
load_text_error (const char        *text,
                 CofferConfigError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config = load_text (text, &error);

  g_assert_null (config);
  g_assert_error (error, COFFER_CONFIG_ERROR, (int) code);
  return g_strdup (error->message);
}

static char *
apply_environment_error (const char * const *envp,
                         CofferConfigError   code)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (coffer_config_apply_environment (config, envp, &error));
  g_assert_error (error, COFFER_CONFIG_ERROR, (int) code);
  g_assert_finalize_object (g_steal_pointer (&config));
  return g_strdup (error->message);
}

static char *
write_temporary_file (const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("test-config-XXXXXX.conf", &path, &error);

  g_assert_no_error (error);
  g_close (fd, NULL);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_defaults_every_key_has_its_default (void)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  g_assert_cmpuint (n_keys, >, 0);
  /* Every key once; each section's keys together (the printed file groups them). */
  for (gsize i = 0; i < n_keys; i++)
    for (gsize j = i + 1; j < n_keys; j++)
      {
        g_assert_false (g_str_equal (keys[i].section, keys[j].section) &&
                        g_str_equal (keys[i].name, keys[j].name));
        if (j > i + 1 && g_str_equal (keys[i].section, keys[j].section))
          g_assert_cmpstr (keys[j - 1].section, ==, keys[i].section);
      }
  for (gsize i = 0; i < n_keys; i++)
    {
      const CofferConfigKey *key = &keys[i];
      g_autofree char *joined = NULL;

      g_assert_cmpstr (coffer_config_get_origin (config, key->section, key->name), ==, "default");
      switch (key->type)
        {
        case COFFER_CONFIG_KEY_STRING:
        case COFFER_CONFIG_KEY_ENUM:
          g_assert_cmpstr (coffer_config_get_string (config, key->section, key->name), ==,
                           key->default_value);
          break;
        case COFFER_CONFIG_KEY_INT:
          g_assert_cmpint (coffer_config_get_int (config, key->section, key->name), ==,
                           g_ascii_strtoll (key->default_value, NULL, 10));
          g_assert_cmpint (coffer_config_get_int (config, key->section, key->name), >=, key->min);
          g_assert_cmpint (coffer_config_get_int (config, key->section, key->name), <=, key->max);
          break;
        case COFFER_CONFIG_KEY_STRING_LIST:
          joined = g_strjoinv (",", (char **) coffer_config_get_string_list (config, key->section,
                                                                             key->name));
          g_assert_cmpstr (joined, ==, key->default_value);
          break;
        case COFFER_CONFIG_KEY_BOOLEAN:
        default:
          g_assert_not_reached ();
        }
    }

  g_assert_cmpstrv (coffer_config_get_string_list (config, "server", "listen"),
                    ((const char * const[]) { "127.0.0.1:8080", NULL }));
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_connections"), ==, 1024);
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_body_size"), ==, 1048576);
  g_assert_cmpstr (coffer_config_get_string (config, "database", "url"), ==,
                   "postgresql:///coffer");
  g_assert_cmpint (coffer_config_get_int (config, "database", "statement_timeout"), ==, 15000);
  g_assert_cmpstr (coffer_config_get_string (config, "log", "level"), ==, "info");
  g_assert_cmpstr (coffer_config_get_string (config, "log", "format"), ==, "auto");
  g_assert_cmpstr (coffer_config_get_string (config, "stripe", "api_version"), ==,
                   "2026-07-29.dahlia");
  g_assert_cmpstr (coffer_config_get_string (config, "stripe", "secret_key"), ==, "");
  g_assert_nonnull (coffer_config_get_string_list (config, "stripe", "webhook_secrets"));
  g_assert_null (coffer_config_get_string_list (config, "stripe", "webhook_secrets")[0]);

  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_registry_lookup_finds_every_key_and_nothing_else (void)
{
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);
  g_autofree char *variable = NULL;

  for (gsize i = 0; i < n_keys; i++)
    {
      g_autofree char *canonical = NULL;

      g_assert_true (coffer_config_lookup_key (keys[i].section, keys[i].name) == &keys[i]);
      g_assert_nonnull (keys[i].description);
      canonical = coffer_config_key_normalize_value (&keys[i], keys[i].default_value, NULL);
      g_assert_cmpstr (canonical, ==, keys[i].default_value);
      g_assert_true ((keys[i].type == COFFER_CONFIG_KEY_ENUM) == (keys[i].choices != NULL));
    }

  g_assert_null (coffer_config_lookup_key ("server", "Listen"));
  g_assert_null (coffer_config_lookup_key ("server", "pool_size"));
  g_assert_null (coffer_config_lookup_key ("nope", "listen"));

  variable = coffer_config_key_get_env_name (coffer_config_lookup_key ("server",
                                                                       "max_connections"));
  g_assert_cmpstr (variable, ==, "COFFER_SERVER_MAX_CONNECTIONS");
}

static void
test_environment_overrides_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_temporary_file ("# comment\n\n[server]\nmax_connections = 10\n"
                                                "[log]\nlevel = debug\n");
  const char * const envp[] = {
    "COFFER_SERVER_MAX_CONNECTIONS=20", "COFFER_DATABASE_POOL_SIZE=8", "HOME=/root", NULL
  };
  g_autoptr(CofferConfig) config = coffer_config_load (path, envp, &error);

  g_assert_no_error (error);
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_connections"), ==, 20);
  g_assert_cmpstr (coffer_config_get_origin (config, "server", "max_connections"), ==,
                   "environment COFFER_SERVER_MAX_CONNECTIONS");
  g_assert_cmpint (coffer_config_get_int (config, "database", "pool_size"), ==, 8);
  g_assert_cmpstr (coffer_config_get_string (config, "log", "level"), ==, "debug");
  g_assert_cmpstr (coffer_config_get_origin (config, "log", "level"), ==, path);
  g_assert_cmpstr (coffer_config_get_origin (config, "log", "format"), ==, "default");

  g_unlink (path);
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_environment_reads_the_process_environment_by_default (void)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;

  g_setenv ("COFFER_LOG_FORMAT", "json", TRUE);
  g_assert_true (coffer_config_apply_environment (config, NULL, &error));
  g_unsetenv ("COFFER_LOG_FORMAT");

  g_assert_no_error (error);
  g_assert_cmpstr (coffer_config_get_string (config, "log", "format"), ==, "json");
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_environment_ignores_other_variables (void)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;
  const char * const envp[] = {
    "COFFER_CONFIG=/nonexistent", "COFFER_SOURCE_ROOT=/src", "COFFER_DEMO_DIR=x", "COFFER_=1",
    "COFFER_SERVERLESS=1", "NOT_COFFER_LOG_LEVEL=x", "PATH=/usr/bin", "COFFER_LOG_LEVEL", NULL
  };

  g_assert_true (coffer_config_apply_environment (config, envp, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (coffer_config_get_string (config, "log", "level"), ==, "info");
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_environment_rejects_unknown_key_with_hint (void)
{
  const char * const typo[] = { "COFFER_DATABASE_PASWORD=hunter2", NULL };
  const char * const unknown[] = { "COFFER_LOG_COLOUR=red", NULL };
  g_autofree char *message = apply_environment_error (typo, COFFER_CONFIG_ERROR_UNKNOWN_KEY);
  g_autofree char *listing = apply_environment_error (unknown, COFFER_CONFIG_ERROR_UNKNOWN_KEY);

  g_assert_cmpstr (message, ==, "Unknown environment variable COFFER_DATABASE_PASWORD: "
                   "[database] has no key \"pasword\"; did you mean COFFER_DATABASE_PASSWORD?");
  g_assert_null (strstr (message, "hunter2"));
  g_assert_cmpstr (listing, ==, "Unknown environment variable COFFER_LOG_COLOUR: [log] has no "
                   "key \"colour\"; expected one of COFFER_LOG_LEVEL, COFFER_LOG_FORMAT");
}

static void
test_environment_applies_nothing_when_one_variable_is_invalid (void)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;
  const char * const envp[] = {
    "COFFER_SERVER_MAX_CONNECTIONS=20", "COFFER_SERVER_IDLE_TIMEOUT=forever", NULL
  };

  g_assert_false (coffer_config_apply_environment (config, envp, &error));
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_INVALID_VALUE);
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_connections"), ==, 1024);
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_lists_come_from_file_and_environment (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config =
    load_text ("[server]\nlisten = 127.0.0.1:0, [::1]:0\n"
               "[stripe]\nwebhook_secrets = whsec_old;whsec_new;\n", &error);
  const char * const envp[] = { "COFFER_STRIPE_WEBHOOK_SECRETS=whsec_a,whsec_b , whsec_c", NULL };
  const char * const empty[] = { "COFFER_STRIPE_WEBHOOK_SECRETS=", NULL };

  g_assert_no_error (error);
  g_assert_cmpstrv (coffer_config_get_string_list (config, "server", "listen"),
                    ((const char * const[]) { "127.0.0.1:0", "[::1]:0", NULL }));
  g_assert_cmpstrv (coffer_config_get_string_list (config, "stripe", "webhook_secrets"),
                    ((const char * const[]) { "whsec_old", "whsec_new", NULL }));

  g_assert_true (coffer_config_apply_environment (config, envp, &error));
  g_assert_cmpstrv (coffer_config_get_string_list (config, "stripe", "webhook_secrets"),
                    ((const char * const[]) { "whsec_a", "whsec_b", "whsec_c", NULL }));

  g_assert_true (coffer_config_apply_environment (config, empty, &error));
  g_assert_cmpstrv (coffer_config_get_string_list (config, "stripe", "webhook_secrets"),
                    ((const char * const[]) { NULL }));

  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_validation_rejects_integer_junk (void)
{
  const char *junk[] = { "lots", "10abc", "", "0x10", "1e3", "1.5", "+5", "- 5", "５", "1 2" };

  for (gsize i = 0; i < G_N_ELEMENTS (junk); i++)
    {
      g_autofree char *text = g_strdup_printf ("[server]\nmax_connections = %s\n", junk[i]);
      g_autofree char *message = load_text_error (text, COFFER_CONFIG_ERROR_INVALID_VALUE);
      g_autofree char *expected = g_strdup_printf ("[server] max_connections = \"%s\" in "
                                                   ORIGIN ": not an integer; expected "
                                                   "1..1000000", junk[i]);

      if (strcmp (junk[i], "５") == 0)
        g_assert_true (g_str_has_suffix (message, ": not an integer; expected 1..1000000"));
      else
        g_assert_cmpstr (message, ==, expected);
    }
}

static void
test_validation_rejects_integers_out_of_range (void)
{
  const char *outside[] = {
    "0", "-1", "1000001", "99999999999999999999", "-99999999999999999999"
  };
  const char * const envp[] = { "COFFER_SERVER_IDLE_TIMEOUT=0", NULL };
  g_autofree char *with_unit = apply_environment_error (envp, COFFER_CONFIG_ERROR_INVALID_VALUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (outside); i++)
    {
      g_autofree char *text = g_strdup_printf ("[server]\nmax_connections = %s\n", outside[i]);
      g_autofree char *message = load_text_error (text, COFFER_CONFIG_ERROR_INVALID_VALUE);

      g_assert_true (g_str_has_suffix (message, ": out of range; expected 1..1000000"));
      g_assert_nonnull (strstr (message, outside[i]));
    }

  g_assert_cmpstr (with_unit, ==, "server.idle_timeout = \"0\" (environment "
                   "COFFER_SERVER_IDLE_TIMEOUT): out of range; expected 1..3600 seconds");

  config = load_text ("[server]\nmax_connections = 1000000\nidle_timeout = 1\n"
                      "shutdown_timeout = 0\nmax_body_size =  007 \n", &error);
  g_assert_no_error (error);
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_connections"), ==, 1000000);
  g_assert_cmpint (coffer_config_get_int (config, "server", "shutdown_timeout"), ==, 0);
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_body_size"), ==, 7);
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_validation_rejects_unknown_choices (void)
{
  const char * const envp[] = { "COFFER_LOG_LEVEL=loud", NULL };
  const char * const upper[] = { "COFFER_LOG_LEVEL=DEBUG", NULL };
  g_autofree char *message = apply_environment_error (envp, COFFER_CONFIG_ERROR_INVALID_VALUE);
  g_autofree char *in_file = load_text_error ("[log]\nformat = xml\n",
                                              COFFER_CONFIG_ERROR_INVALID_VALUE);
  g_autoptr(CofferConfig) config = coffer_config_new ();

  g_assert_cmpstr (message, ==, "log.level = \"loud\" (environment COFFER_LOG_LEVEL): expected "
                   "one of error, critical, warning, message, info, debug");
  g_assert_cmpstr (in_file, ==, "[log] format = \"xml\" in " ORIGIN ": expected one of auto, "
                   "journal, text, json");

  g_assert_true (coffer_config_apply_environment (config, upper, NULL));
  g_assert_cmpstr (coffer_config_get_string (config, "log", "level"), ==, "debug");
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_validation_parses_booleans (void)
{
  /* No key is a boolean yet; the rules are checked on a key of our own. */
  const CofferConfigKey flag = {
    "test", "flag", COFFER_CONFIG_KEY_BOOLEAN, COFFER_CONFIG_KEY_FLAGS_NONE, "false",
    0, 0, NULL, NULL, "a flag"
  };
  const char *truths[] = { "true", "TRUE", "yes", "Yes", "1", " true " };
  const char *falsehoods[] = { "false", "False", "no", "NO", "0" };
  const char *junk[] = { "", "maybe", "2", "on", "off", "t" };

  for (gsize i = 0; i < G_N_ELEMENTS (truths); i++)
    {
      g_autofree char *canonical = coffer_config_key_normalize_value (&flag, truths[i], NULL);

      g_assert_cmpstr (canonical, ==, "true");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (falsehoods); i++)
    {
      g_autofree char *canonical = coffer_config_key_normalize_value (&flag, falsehoods[i], NULL);

      g_assert_cmpstr (canonical, ==, "false");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (junk); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *canonical = coffer_config_key_normalize_value (&flag, junk[i], &error);

      g_assert_null (canonical);
      g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_INVALID_VALUE);
      g_assert_cmpstr (error->message, ==, "not a boolean; expected true, false, yes, no, 1 or 0");
    }
}

static void
test_validation_checks_listen_addresses_and_urls (void)
{
  const char *bad[] = {
    "[server]\nlisten = localhost\n", "[server]\nlisten = [::1]\n", "[server]\nlisten = ::1:80\n",
    "[server]\nlisten = 127.0.0.1:65536\n", "[server]\nlisten = :80\n", "[server]\nlisten =\n",
    "[server]\nlisten = 127.0.0.1:http\n", "[smtp]\nurl = mail.example.com:25\n",
    "[stripe]\napi_base = api.stripe.com\n",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config =
    load_text ("[server]\nlisten = 0.0.0.0:0,[::]:8443,localhost:80\n"
               "[smtp]\nurl = smtps://mail.example.com:465\n"
               "[stripe]\napi_base = http://127.0.0.1:12111\n", &error);

  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&config));

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    g_free (load_text_error (bad[i], COFFER_CONFIG_ERROR_INVALID_VALUE));
}

static void
test_file_rejects_unknown_names_with_hint (void)
{
  g_autofree char *section = load_text_error ("[databse]\nurl = x\n",
                                              COFFER_CONFIG_ERROR_UNKNOWN_SECTION);
  g_autofree char *typo = load_text_error ("[server]\n\nmax_conections = 5\n",
                                           COFFER_CONFIG_ERROR_UNKNOWN_KEY);
  g_autofree char *elsewhere = load_text_error ("[server]\npool_size = 5\n",
                                                COFFER_CONFIG_ERROR_UNKNOWN_KEY);
  g_autofree char *unknown = load_text_error ("[log]\ncolour = red\n",
                                              COFFER_CONFIG_ERROR_UNKNOWN_KEY);
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (section, ==, "Unknown section [databse] in " ORIGIN ", line 1; expected "
                   "one of [server], [database], [log], [stripe], [webhook], [smtp]");
  g_assert_cmpstr (typo, ==, "Unknown key [server] max_conections in " ORIGIN ", line 3; "
                   "did you mean max_connections?");
  g_assert_cmpstr (elsewhere, ==, "Unknown key [server] pool_size in " ORIGIN ", line 2; "
                   "did you mean [database] pool_size?");
  g_assert_cmpstr (unknown, ==, "Unknown key [log] colour in " ORIGIN ", line 2; "
                   "expected one of level, format");

  g_assert_false (coffer_config_set (config, "log", "levle", "info", NULL, &error));
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_UNKNOWN_KEY);
  g_assert_cmpstr (error->message, ==, "Unknown key [log] levle; did you mean level?");
  g_clear_error (&error);
  g_assert_false (coffer_config_set (config, "logging", "level", "info", NULL, &error));
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_UNKNOWN_SECTION);
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_file_rejects_malformed_lines (void)
{
  struct { const char *text; CofferConfigError code; const char *message; } cases[] = {
    { "[server\n", COFFER_CONFIG_ERROR_PARSE,
      "Line 1 of " ORIGIN " opens a [section] header but does not close it" },
    { "[server]\nlisten 127.0.0.1:80\n", COFFER_CONFIG_ERROR_PARSE,
      "Line 2 of " ORIGIN " is neither a [section] header, a key = value pair nor a # comment" },
    { "max_connections = 5\n", COFFER_CONFIG_ERROR_PARSE,
      "Line 1 of " ORIGIN " sets max_connections before any [section] header" },
    { "[server]\nidle_timeout = 5\n[log]\n[server]\nidle_timeout = 6\n", COFFER_CONFIG_ERROR_PARSE,
      "[server] idle_timeout is set twice in " ORIGIN ", on lines 2 and 5" },
    { "[log]\nlevel = \\q\n", COFFER_CONFIG_ERROR_INVALID_VALUE,
      "[log] level in " ORIGIN ", line 2: invalid escape sequence; expected only \\s, \\n, "
      "\\t, \\r and \\\\" },
    { "[log]\nlevel = info\xff\n", COFFER_CONFIG_ERROR_PARSE,
      "Line 2 of " ORIGIN " is not valid UTF-8" },
  };
  static const char with_nul[] = "[log]\0\nlevel = info\n";
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message = load_text_error (cases[i].text, cases[i].code);

      g_assert_cmpstr (message, ==, cases[i].message);
    }

  g_assert_false (coffer_config_load_data (config, with_nul, sizeof with_nul - 1, NULL, &error));
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_PARSE);
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_file_applies_nothing_when_one_value_is_invalid (void)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (coffer_config_load_data (config, "[log]\nlevel = debug\n[server]\n"
                                           "idle_timeout = 0\n", -1, ORIGIN, &error));
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_INVALID_VALUE);
  g_assert_cmpstr (coffer_config_get_string (config, "log", "level"), ==, "info");
  g_assert_cmpstr (coffer_config_get_origin (config, "log", "level"), ==, "default");
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_set_checks_and_records_origin (void)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (coffer_config_set (config, "server", "max_connections", "77", "command line",
                                    &error));
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_connections"), ==, 77);
  g_assert_cmpstr (coffer_config_get_origin (config, "server", "max_connections"), ==,
                   "command line");
  g_assert_true (coffer_config_set (config, "log", "level", "warning", NULL, &error));
  g_assert_cmpstr (coffer_config_get_origin (config, "log", "level"), ==, "override");

  g_assert_false (coffer_config_set (config, "server", "max_connections", "many", "command line",
                                     &error));
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_INVALID_VALUE);
  g_assert_cmpstr (error->message, ==, "server.max_connections = \"many\" (command line): "
                   "not an integer; expected 1..1000000");
  g_assert_cmpint (coffer_config_get_int (config, "server", "max_connections"), ==, 77);
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_load_reads_the_file_coffer_config_names (void)
{
  g_autofree char *path = write_temporary_file ("[log]\nlevel = warning\n");
  g_autofree char *variable = g_strdup_printf ("COFFER_CONFIG=%s", path);
  g_autofree char *other = write_temporary_file ("[log]\nlevel = error\n");
  const char * const envp[] = { variable, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config = coffer_config_load (NULL, envp, &error);
  g_autoptr(CofferConfig) explicit = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (coffer_config_get_string (config, "log", "level"), ==, "warning");
  g_assert_cmpstr (coffer_config_get_origin (config, "log", "level"), ==, path);

  /* A path given explicitly wins over COFFER_CONFIG. */
  explicit = coffer_config_load (other, envp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (coffer_config_get_string (explicit, "log", "level"), ==, "error");

  g_unlink (path);
  g_unlink (other);
  g_assert_finalize_object (g_steal_pointer (&config));
  g_assert_finalize_object (g_steal_pointer (&explicit));
}

static void
test_load_requires_the_file_coffer_config_names (void)
{
  const char * const envp[] = { "COFFER_CONFIG=/nonexistent/coffer.conf", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config = coffer_config_load (NULL, envp, &error);

  g_assert_null (config);
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_FILE);
  g_assert_true (g_str_has_prefix (error->message, "COFFER_CONFIG=/nonexistent/coffer.conf: "));
  g_assert_nonnull (strstr (error->message, "No such file"));
}

static void
test_load_requires_an_explicit_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config = coffer_config_load ("/nonexistent/coffer.conf",
                                                       no_environment, &error);

  g_assert_null (config);
  g_assert_error (error, COFFER_CONFIG_ERROR, COFFER_CONFIG_ERROR_FILE);
  g_assert_nonnull (strstr (error->message, "/nonexistent/coffer.conf"));
}

static void
test_load_runs_without_the_default_file (void)
{
  const char * const envp[] = { "COFFER_CONFIG=", "COFFER_LOG_LEVEL=debug", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) config = NULL;

  if (g_file_test (SYSCONFDIR "/coffer/coffer.conf", G_FILE_TEST_EXISTS))
    {
      g_test_skip (SYSCONFDIR "/coffer/coffer.conf exists on this machine");
      return;
    }

  config = coffer_config_load (NULL, envp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (coffer_config_get_string (config, "log", "level"), ==, "debug");
  g_assert_cmpstr (coffer_config_get_origin (config, "server", "listen"), ==, "default");
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_to_string_masks_url_passwords (void)
{
  const struct { const char *url; const char *masked; } cases[] = {
    { "postgresql://coffer:hunter2@db/coffer", "postgresql://coffer:***@db/coffer" },
    { "postgres://coffer:hunter2@db:5432/coffer?sslmode=require",
      "postgres://coffer:***@db:5432/coffer?sslmode=require" },
    { "postgresql://coffer:p%40ss@db/coffer", "postgresql://coffer:***@db/coffer" },
    { "postgresql://coffer:p@ss/w?rd@db/coffer", "postgresql://coffer:***@db/coffer" },
    { "postgresql://coffer:@db/coffer", "postgresql://coffer:***@db/coffer" },
    { "postgresql://db/coffer?user=coffer&password=hunter2&sslmode=require",
      "postgresql://db/coffer?user=coffer&password=***&sslmode=require" },
    { "postgresql://coffer@db/coffer?sslpassword=hunter2",
      "postgresql://coffer@db/coffer?sslpassword=***" },
    { "postgresql://coffer@db:5432/coffer", "postgresql://coffer@db:5432/coffer" },
    { "postgresql:///coffer", "postgresql:///coffer" },
    { "host=db password=hunter2 dbname=x", "host=db password=*** dbname=x" },
    { "host=db password = 'hunter 2\\'s' dbname=x", "host=db password = *** dbname=x" },
    { "password=hunter2", "password=***" },
    { "host=db sslpassword=hunter2", "host=db sslpassword=***" },
    { "host=db dbname='my db'", "host=db dbname='my db'" },
    { "host=db password='hunter2", "***" },
    { "hunter2", "***" },
    { "", "" },
  };
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autofree char *text = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *masked = coffer_config_mask_url_password (cases[i].url);

      g_assert_cmpstr (masked, ==, cases[i].masked);
    }

  g_assert_true (coffer_config_set (config, "database", "url",
                                    "postgresql://coffer:hunter2@db/coffer", NULL, NULL));
  text = coffer_config_to_string (config);
  g_assert_nonnull (strstr (text, "\nurl=postgresql://coffer:***@db/coffer\n"));
  g_assert_null (strstr (text, "hunter2"));
  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
assert_printed (GKeyFile   *printed,
                const char *section,
                const char *name,
                const char *expected)
{
  g_autofree char *value = g_key_file_get_value (printed, section, name, NULL);

  g_assert_cmpstr (value, ==, expected);
}

/* Each call fails with a message that must not contain a secret. */
static void
collect_error (GString   *messages,
               gboolean   succeeded,
               GError   **error)
{
  g_assert_false (succeeded);
  g_assert_nonnull (*error);
  g_string_append_printf (messages, "%s\n", (*error)->message);
  g_clear_error (error);
}

static void
test_to_string_never_prints_secrets (void)
{
  g_autoptr(CofferConfig) config = coffer_config_new ();
  g_autoptr(CofferConfig) scratch = coffer_config_new ();
  g_autoptr(GString) messages = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) printed = g_key_file_new ();
  g_autofree char *text = NULL;
  const char * const envp[] = {
    "COFFER_STRIPE_WEBHOOK_SECRETS=whsec_SENTINEL_b2,whsec_SENTINEL_c3",
    "COFFER_DATABASE_PASSWORD=SENTINEL_d4",
    "COFFER_DATABASE_URL=host=db password='SENTINEL e5' dbname=coffer",
    NULL
  };
  const char * const typo[] = { "COFFER_STRIPE_SECRET_KYE=sk_test_SENTINEL_f6", NULL };
  const char * const bad_utf8[] = { "COFFER_SMTP_PASSWORD=SENTINEL_g7\xff", NULL };
  GError *local = NULL;

  g_assert_true (coffer_config_load_data (config, "[stripe]\nsecret_key = sk_test_SENTINEL_a1\n",
                                          -1, ORIGIN, &error));
  g_assert_true (coffer_config_apply_environment (config, envp, &error));
  g_assert_true (coffer_config_set (config, "smtp", "password", "SENTINEL_h8", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (coffer_config_get_string (config, "stripe", "secret_key"), ==,
                   "sk_test_SENTINEL_a1");

  text = coffer_config_to_string (config);
  g_assert_null (strstr (text, "SENTINEL"));
  g_assert_true (g_key_file_load_from_data (printed, text, -1, G_KEY_FILE_KEEP_COMMENTS, NULL));
  assert_printed (printed, "stripe", "secret_key", "***");
  assert_printed (printed, "stripe", "webhook_secrets", "***");
  assert_printed (printed, "database", "password", "***");
  assert_printed (printed, "smtp", "password", "***");
  assert_printed (printed, "database", "url", "host=db password=*** dbname=coffer");

  collect_error (messages, coffer_config_load_data (scratch, "[stripe]\nsecret_key = "
                                                    "sk_SENTINEL_1\nwebhook_secrets = whsec_"
                                                    "SENTINEL_2\n[server]\nidle_timeout = x\n",
                                                    -1, ORIGIN, &local), &local);
  collect_error (messages, coffer_config_load_data (scratch, "[stripe]\nsk_live_SENTINEL_3"
                                                    "abcdefghijklmnopqrstuvwxyz0123456789\n",
                                                    -1, ORIGIN, &local), &local);
  collect_error (messages, coffer_config_load_data (scratch, "[stripe]\nwhsec_SENTINEL_4abcd"
                                                    "efghijklmnopqrstuvwxyz = 1\n",
                                                    -1, ORIGIN, &local), &local);
  collect_error (messages, coffer_config_load_data (scratch, "[stripe]\nsecret_key = "
                                                    "sk_\\qSENTINEL_5\n", -1, ORIGIN, &local),
                 &local);
  collect_error (messages, coffer_config_load_data (scratch, "[smtp]\npassword = SENTINEL_6\n"
                                                    "password = SENTINEL_7\n", -1, ORIGIN,
                                                    &local), &local);
  collect_error (messages, coffer_config_apply_environment (scratch, typo, &local), &local);
  collect_error (messages, coffer_config_apply_environment (scratch, bad_utf8, &local), &local);
  collect_error (messages, coffer_config_set (scratch, "stripe", "secret_key", "SENTINEL_8\xfe",
                                              "test", &local), &local);
  collect_error (messages, coffer_config_set (scratch, "database", "url",
                                              "postgresql://coffer:SENTINEL_9@db/x\xff", "test",
                                              &local), &local);

  g_test_message ("Errors:\n%s", messages->str);
  g_assert_null (strstr (messages->str, "SENTINEL"));
  g_assert_nonnull (strstr (messages->str, "stripe.secret_key = (secret, not shown) (test)"));
  g_assert_nonnull (strstr (messages->str, "postgresql://coffer:***@db/x"));

  g_assert_finalize_object (g_steal_pointer (&config));
  g_assert_finalize_object (g_steal_pointer (&scratch));
}

static void
test_to_string_prints_every_key_with_its_origin (void)
{
  g_autoptr(CofferConfig) config = load_text ("[server]\nlisten = 127.0.0.1:0,[::1]:0\n"
                                              "[smtp]\nfrom =  Billing <b@example.com>\n", NULL);
  g_autoptr(CofferConfig) reloaded = coffer_config_new ();
  g_autoptr(GKeyFile) printed = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = coffer_config_to_string (config);
  g_autofree char *text_again = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GRegex) origins = g_regex_new ("^# (secret, )?from .*$", G_REGEX_MULTILINE, 0, NULL);
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  g_assert_true (g_key_file_load_from_data (printed, text, -1, G_KEY_FILE_KEEP_COMMENTS, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n_keys; i++)
    {
      g_autofree char *comment = g_key_file_get_comment (printed, keys[i].section, keys[i].name,
                                                         &error);
      const char *origin = coffer_config_get_origin (config, keys[i].section, keys[i].name);

      g_assert_no_error (error);
      g_assert_nonnull (strstr (comment, origin));
    }
  g_assert_nonnull (strstr (text, "# from " ORIGIN "\nlisten=127.0.0.1:0,[::1]:0\n"));
  g_assert_nonnull (strstr (text, "# from default\nmax_connections=1024\n"));

  /* What is printed reads back as the same configuration: only the origins change. */
  g_assert_true (coffer_config_load_data (reloaded, text, -1, "printed", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (coffer_config_get_string (reloaded, "smtp", "from"), ==,
                   "Billing <b@example.com>");
  text_again = coffer_config_to_string (reloaded);
  expected = g_regex_replace (origins, text, -1, 0, "# \\1from printed", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text_again, ==, expected);

  g_assert_finalize_object (g_steal_pointer (&config));
  g_assert_finalize_object (g_steal_pointer (&reloaded));
}

/* Criticals are fatal under G_DEBUG=fatal-warnings: these run in a subprocess. */
static void
test_getters_refuse_unknown_keys (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(CofferConfig) config = coffer_config_new ();

      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
      coffer_config_get_int (config, "server", "max_connection");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*no configuration key server.max_connection*");
}

static void
test_getters_refuse_the_wrong_type (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(CofferConfig) config = coffer_config_new ();

      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
      coffer_config_get_string (config, "server", "max_connections");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*server.max_connections has another type*");
}

/* What docs/configuration.md says about @key: from its "### `section.name`"
 * heading to the next heading. */
static char *
documentation_of_key (const char            *document,
                      const CofferConfigKey *key)
{
  g_autofree char *heading = g_strdup_printf ("\n### `%s.%s`\n", key->section, key->name);
  const char *start = strstr (document, heading);
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen (heading);
  end = strstr (start, "\n#");
  return end != NULL ? g_strndup (start, end - start) : g_strdup (start);
}

/* Every key has a "### `section.name`" heading, and under it, before the next
 * heading, its variable, its default, its range or choices and its unit. */
static void
test_docs_document_every_key (void)
{
  const char *source_root = g_getenv ("COFFER_SOURCE_ROOT");
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autofree char *path = NULL;
  g_autofree char *document = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CofferConfig) example_config = NULL;
  const char *example;
  gsize n_keys;
  const CofferConfigKey *keys = coffer_config_get_keys (&n_keys);

  if (source_root == NULL)
    {
      g_test_skip ("COFFER_SOURCE_ROOT is not set");
      return;
    }

  path = g_build_filename (source_root, "docs", "configuration.md", NULL);
  g_file_get_contents (path, &document, NULL, &error);
  g_assert_no_error (error);

  for (gsize i = 0; i < n_keys; i++)
    {
      const CofferConfigKey *key = &keys[i];
      g_autofree char *variable = coffer_config_key_get_env_name (key);
      g_autoptr(GPtrArray) needed = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *text = documentation_of_key (document, key);

      if (text == NULL)
        {
          g_string_append_printf (missing, "\n  %s.%s: no heading", key->section, key->name);
          continue;
        }

      g_ptr_array_add (needed, g_strdup_printf ("`%s`", variable));
      g_ptr_array_add (needed, g_strdup ("- Default: "));
      if (key->default_value[0] != '\0')
        g_ptr_array_add (needed, g_strdup_printf ("`%s`", key->default_value));
      if (key->type == COFFER_CONFIG_KEY_INT)
        g_ptr_array_add (needed, g_strdup_printf ("`%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT "`",
                                                  key->min, key->max));
      if (key->unit != NULL)
        g_ptr_array_add (needed, g_strdup (key->unit));
      for (guint j = 0; key->choices != NULL && key->choices[j] != NULL; j++)
        g_ptr_array_add (needed, g_strdup_printf ("`%s`", key->choices[j]));
      if (key->flags & COFFER_CONFIG_KEY_SECRET)
        g_ptr_array_add (needed, g_strdup ("**secret**"));

      for (guint j = 0; j < needed->len; j++)
        {
          if (strstr (text, g_ptr_array_index (needed, j)) == NULL)
            g_string_append_printf (missing, "\n  %s.%s: no %s", key->section, key->name,
                                    (char *) g_ptr_array_index (needed, j));
        }
    }

  if (missing->len > 0)
    g_test_fail_printf ("%s is out of date:%s", path, missing->str);

  /* The example file is a valid configuration. */
  example = strstr (document, "```ini\n");
  g_assert_nonnull (example);
  example += strlen ("```ini\n");
  example_config = coffer_config_new ();
  coffer_config_load_data (example_config, example, strstr (example, "```") - example,
                           "the example", &error);
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&example_config));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/defaults/every-key-has-its-default",
                   test_defaults_every_key_has_its_default);
  g_test_add_func ("/config/registry/lookup-finds-every-key-and-nothing-else",
                   test_registry_lookup_finds_every_key_and_nothing_else);
  g_test_add_func ("/config/environment/overrides-file", test_environment_overrides_file);
  g_test_add_func ("/config/environment/reads-the-process-environment-by-default",
                   test_environment_reads_the_process_environment_by_default);
  g_test_add_func ("/config/environment/ignores-other-variables",
                   test_environment_ignores_other_variables);
  g_test_add_func ("/config/environment/rejects-unknown-key-with-hint",
                   test_environment_rejects_unknown_key_with_hint);
  g_test_add_func ("/config/environment/applies-nothing-when-one-variable-is-invalid",
                   test_environment_applies_nothing_when_one_variable_is_invalid);
  g_test_add_func ("/config/lists/come-from-file-and-environment",
                   test_lists_come_from_file_and_environment);
  g_test_add_func ("/config/validation/rejects-integer-junk",
                   test_validation_rejects_integer_junk);
  g_test_add_func ("/config/validation/rejects-integers-out-of-range",
                   test_validation_rejects_integers_out_of_range);
  g_test_add_func ("/config/validation/rejects-unknown-choices",
                   test_validation_rejects_unknown_choices);
  g_test_add_func ("/config/validation/parses-booleans", test_validation_parses_booleans);
  g_test_add_func ("/config/validation/checks-listen-addresses-and-urls",
                   test_validation_checks_listen_addresses_and_urls);
  g_test_add_func ("/config/file/rejects-unknown-names-with-hint",
                   test_file_rejects_unknown_names_with_hint);
  g_test_add_func ("/config/file/rejects-malformed-lines", test_file_rejects_malformed_lines);
  g_test_add_func ("/config/file/applies-nothing-when-one-value-is-invalid",
                   test_file_applies_nothing_when_one_value_is_invalid);
  g_test_add_func ("/config/set/checks-and-records-origin", test_set_checks_and_records_origin);
  g_test_add_func ("/config/load/reads-the-file-coffer-config-names",
                   test_load_reads_the_file_coffer_config_names);
  g_test_add_func ("/config/load/requires-the-file-coffer-config-names",
                   test_load_requires_the_file_coffer_config_names);
  g_test_add_func ("/config/load/requires-an-explicit-file", test_load_requires_an_explicit_file);
  g_test_add_func ("/config/load/runs-without-the-default-file",
                   test_load_runs_without_the_default_file);
  g_test_add_func ("/config/to-string/masks-url-passwords", test_to_string_masks_url_passwords);
  g_test_add_func ("/config/to-string/never-prints-secrets",
                   test_to_string_never_prints_secrets);
  g_test_add_func ("/config/to-string/prints-every-key-with-its-origin",
                   test_to_string_prints_every_key_with_its_origin);
  g_test_add_func ("/config/getters/refuse-unknown-keys", test_getters_refuse_unknown_keys);
  g_test_add_func ("/config/getters/refuse-the-wrong-type", test_getters_refuse_the_wrong_type);
  g_test_add_func ("/config/docs/document-every-key", test_docs_document_every_key);

  return g_test_run ();
}
