/* test-cli.c: coffer-server's commands as a person meets them. */
#include "config.h"

#include <string.h>

#include "coffer-test-server.h"

static void
test_every_command_has_help (void)
{
  const char *commands[] = { "serve", "migrate", "config", "version" };
  g_autofree char *top = NULL;
  const char * const top_args[] = { "--help", NULL };

  g_assert_cmpint (coffer_test_run_server_command (top_args, NULL, &top, NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const char * const args[] = { commands[i], "--help", NULL };
      g_autofree char *out = NULL;
      g_autofree char *usage = g_strdup_printf ("coffer-server %s", commands[i]);

      g_assert_nonnull (strstr (top, commands[i]));
      g_assert_cmpint (coffer_test_run_server_command (args, NULL, &out, NULL), ==, 0);
      g_assert_nonnull (strstr (out, usage));
    }
}

static void
test_unknown_command_and_option_are_refused (void)
{
  const char * const command[] = { "frobnicate", NULL };
  const char * const option[] = { "migrate", "--frobnicate", NULL };
  g_autofree char *err1 = NULL, *err2 = NULL;

  g_assert_cmpint (coffer_test_run_server_command (command, NULL, NULL, &err1), ==, 2);
  g_assert_nonnull (strstr (err1, "unknown command “frobnicate”"));
  g_assert_cmpint (coffer_test_run_server_command (option, NULL, NULL, &err2), ==, 2);
  g_assert_nonnull (strstr (err2, "--frobnicate"));
}

static void
test_config_prints_effective_values_and_hides_secrets (void)
{
  const char * const args[] = { "config", NULL };
  const char * const env[] = {
    "COFFER_DATABASE_URL=postgresql://coffer:hunter2-db-url@db.example/coffer",
    "COFFER_DATABASE_PASSWORD=s3cret-db-password",
    "COFFER_STRIPE_SECRET_KEY=sk_test_distinctive_secret_value",
    "COFFER_STRIPE_WEBHOOK_SECRETS=whsec_one_distinctive,whsec_two_distinctive",
    "COFFER_SMTP_PASSWORD=smtp-distinctive-password",
    "COFFER_SERVER_MAX_CONNECTIONS=77",
    NULL,
  };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (coffer_test_run_server_command (args, env, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "max_connections=77"));
  g_assert_nonnull (strstr (out, "***"));
  g_assert_null (strstr (out, "hunter2-db-url"));
  g_assert_null (strstr (out, "s3cret-db-password"));
  g_assert_null (strstr (out, "sk_test_distinctive_secret_value"));
  g_assert_null (strstr (out, "distinctive,"));
  g_assert_null (strstr (out, "whsec_one_distinctive"));
  g_assert_null (strstr (out, "smtp-distinctive-password"));
}

static void
test_config_names_a_bad_value (void)
{
  const char * const args[] = { "config", NULL };
  const char * const env[] = { "COFFER_SERVER_MAX_CONNECTIONS=lots", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (coffer_test_run_server_command (args, env, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "max_connections"));
  g_assert_nonnull (strstr (err, "lots"));
  g_assert_nonnull (strstr (err, "COFFER_SERVER_MAX_CONNECTIONS"));
}

static void
test_serve_reports_an_unreachable_database (void)
{
  const char * const args[] = { "serve", NULL };
  const char * const env[] = { "COFFER_DATABASE_URL=host=/nonexistent/socket/dir dbname=x", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (coffer_test_run_server_command (args, env, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "Could not connect to PostgreSQL"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/every-command-has-help", test_every_command_has_help);
  g_test_add_func ("/cli/unknown-command-and-option-are-refused",
                   test_unknown_command_and_option_are_refused);
  g_test_add_func ("/cli/config-prints-effective-values-and-hides-secrets",
                   test_config_prints_effective_values_and_hides_secrets);
  g_test_add_func ("/cli/config-names-a-bad-value", test_config_names_a_bad_value);
  g_test_add_func ("/cli/serve-reports-an-unreachable-database",
                   test_serve_reports_an_unreachable_database);

  return g_test_run ();
}
