/* coffer-command-serve.c: `coffer-server serve`, the long-running server.
 *
 * Start-up order: configuration, logging, a check that the database holds
 * every migration this build needs, the pool, the routes, the listeners,
 * then READY=1 to systemd. SIGTERM/SIGINT stop the listeners, let requests
 * in flight finish (up to [server] shutdown_timeout), stop the pool and exit 0. */
#include "config.h"

#include "coffer-commands.h"
#include "coffer-config.h"
#include "coffer-server-context.h"
#include "coffer-system-clock.h"
#include "health/coffer-health-routes.h"
#include "http/coffer-http-server.h"
#include "log/coffer-log.h"
#include "webhook/coffer-inbox.h"
#include "webhook/coffer-webhook-routes.h"
#include "webhook/coffer-webhook-worker.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

typedef struct
{
  GMainLoop        *loop;
  CofferHttpServer *http;
  gint64            deadline_usec;
  guint             drain_source;
  gboolean          stopping;
} ServeState;

static gboolean
check_schema (CofferConfig    *config,
              CofferMigrator  *migrator,
              GError         **error)
{
  PGconn *conn;
  gboolean ok;

  conn = coffer_db_connect (coffer_config_get_string (config, "database", "url"),
                            coffer_config_get_string (config, "database", "password"), 0,
                            (guint) coffer_config_get_int (config, "database", "connect_timeout"),
                            "coffer-server startup", error);
  if (conn == NULL)
    return FALSE;
  ok = coffer_migrator_check_current (migrator, conn, error);
  PQfinish (conn);
  return ok;
}

static gboolean
on_drain_tick (gpointer user_data)
{
  ServeState *state = user_data;
  guint in_flight = coffer_http_server_get_in_flight (state->http);

  if (in_flight > 0 && g_get_monotonic_time () < state->deadline_usec)
    return G_SOURCE_CONTINUE;
  if (in_flight > 0)
    g_warning ("Shutdown deadline reached with %u request%s still in flight", in_flight,
               in_flight == 1 ? "" : "s");
  state->drain_source = 0;
  g_main_loop_quit (state->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal (gpointer user_data)
{
  ServeState *state = user_data;
  guint in_flight = coffer_http_server_get_in_flight (state->http);

  if (state->stopping)
    {
      g_message ("Second stop signal: exiting now");
      g_main_loop_quit (state->loop);
      return G_SOURCE_CONTINUE;
    }
  state->stopping = TRUE;
  sd_notify (0, "STOPPING=1\nSTATUS=Finishing requests in flight");
  g_message ("Stopping: no new connections; %u request%s in flight", in_flight,
             in_flight == 1 ? "" : "s");
  coffer_http_server_stop_accepting (state->http);
  state->drain_source = g_timeout_add (10, on_drain_tick, state);
  return G_SOURCE_CONTINUE;
}

static gboolean
setup_logging (CofferConfig *config)
{
  GLogLevelFlags level = G_LOG_LEVEL_INFO;

  coffer_log_parse_level (coffer_config_get_string (config, "log", "level"), &level);
  coffer_log_init (level, coffer_log_parse_format (coffer_config_get_string (config, "log",
                                                                             "format")));
  return TRUE;
}

int
coffer_command_serve (int    argc,
                      char **argv)
{
  g_autofree char *config_path = NULL;
  g_autoptr (GOptionContext) option_context = g_option_context_new (NULL);
  g_autoptr (CofferConfig) config = NULL;
  g_autoptr (CofferMigrator) migrator = NULL;
  g_autoptr (CofferMetrics) metrics = NULL;
  g_autoptr (CofferDbPool) pool = NULL;
  g_autoptr (CofferRouter) router = NULL;
  g_autoptr (CofferHttpServer) http = NULL;
  g_autoptr (CofferClock) clock = NULL;
  g_autoptr (CofferInbox) inbox = NULL;
  g_autoptr (CofferWebhookWorker) worker = NULL;
  CofferWebhookRoutes *webhook_routes;
  CofferWebhookWorkerOptions worker_options = { 0 };
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) addresses = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *notify = NULL;
  CofferServerContext context = { 0 };
  CofferHttpServerOptions options = { 0 };
  ServeState state = { 0 };
  guint sigterm_id, sigint_id;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read the configuration from FILE (default: $COFFER_CONFIG or " SYSCONFDIR
      "/coffer/coffer.conf)", "FILE" },
    { NULL }
  };

  g_option_context_set_summary (option_context,
                                "Run the server: Stripe webhooks, the portal and admin APIs, "
                                "/healthz, /readyz\nand /metrics. Refuses to start on a "
                                "database schema older than this build needs.\nSIGTERM or "
                                "SIGINT stop it gracefully.");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!coffer_command_parse (option_context, &argc, &argv))
    return 2;

  config = coffer_command_load_config (config_path);
  if (config == NULL)
    return 1;
  setup_logging (config);

  migrator = coffer_migrator_new (&error);
  if (migrator == NULL || !check_schema (config, migrator, &error))
    {
      g_critical ("Cannot start: %s", error->message);
      return 1;
    }

  clock = coffer_system_clock_new ();
  metrics = coffer_metrics_new ();
  pool = coffer_db_pool_new (coffer_config_get_string (config, "database", "url"),
                             coffer_config_get_string (config, "database", "password"),
                             (guint) coffer_config_get_int (config, "database", "pool_size"),
                             (guint) coffer_config_get_int (config, "database",
                                                            "statement_timeout"),
                             (guint) coffer_config_get_int (config, "database",
                                                            "connect_timeout"));
  context.config = config;
  context.clock = clock;
  context.pool = pool;
  context.metrics = metrics;
  context.migrator = migrator;
  context.started_usec = coffer_clock_now_usec (clock);

  inbox = coffer_inbox_new (coffer_config_get_string (config, "database", "url"),
                            coffer_config_get_string (config, "database", "password"), 2,
                            coffer_inbox_mode_for_key (coffer_config_get_string (config, "stripe",
                                                                                 "secret_key")));

  router = coffer_router_new ();
  coffer_health_routes_register (router, &context);
  webhook_routes = coffer_webhook_routes_register (router, &context, inbox);

  worker_options.conninfo = coffer_config_get_string (config, "database", "url");
  worker_options.password = coffer_config_get_string (config, "database", "password");
  worker_options.n_threads = (guint) coffer_config_get_int (config, "webhook", "workers");
  worker_options.max_attempts = (guint) coffer_config_get_int (config, "webhook", "max_attempts");
  worker_options.retry_base_s = (guint) coffer_config_get_int (config, "webhook", "retry_base");
  worker_options.retry_max_s = (guint) coffer_config_get_int (config, "webhook", "retry_max");
  worker_options.statement_timeout_ms = (guint) coffer_config_get_int (config, "database",
                                                                       "statement_timeout");

  options.listen = coffer_config_get_string_list (config, "server", "listen");
  options.max_connections = (guint) coffer_config_get_int (config, "server", "max_connections");
  options.idle_timeout_s = (guint) coffer_config_get_int (config, "server", "idle_timeout");
  options.header_timeout_s = (guint) coffer_config_get_int (config, "server", "header_timeout");
  options.max_body_size = (gsize) coffer_config_get_int (config, "server", "max_body_size");
  options.tls_certificate = coffer_config_get_string (config, "server", "tls_certificate");
  options.tls_key = coffer_config_get_string (config, "server", "tls_key");
  http = coffer_http_server_new (router, metrics, &options, &error);
  if (http == NULL || !coffer_http_server_start (http, &error))
    {
      g_critical ("Cannot start: %s", error->message);
      coffer_webhook_routes_free (webhook_routes);
      coffer_inbox_close (inbox);
      coffer_db_pool_close (pool);
      return 1;
    }

  worker = coffer_webhook_worker_new (&worker_options, clock, metrics);

  loop = g_main_loop_new (NULL, FALSE);
  state.loop = loop;
  state.http = http;
  state.deadline_usec = G_MAXINT64;
  sigterm_id = g_unix_signal_add (SIGTERM, on_stop_signal, &state);
  sigint_id = g_unix_signal_add (SIGINT, on_stop_signal, &state);

  addresses = coffer_http_server_get_addresses (http);
  joined = g_strjoinv (" ", addresses);
  g_message ("coffer-server %s listening on %s (schema version %u, %u database connections)",
             PACKAGE_VERSION, joined, coffer_migrator_get_latest (migrator),
             (guint) coffer_config_get_int (config, "database", "pool_size"));
  /* X_COFFER_LISTEN is ours: the test harness learns the ephemeral port from it. */
  notify = g_strdup_printf ("READY=1\nSTATUS=Listening on %s\nX_COFFER_LISTEN=%s", joined,
                            joined);
  sd_notify (0, notify);

  /* The deadline starts counting when the stop signal arrives. */
  while (!state.stopping)
    g_main_context_iteration (NULL, TRUE);
  state.deadline_usec = g_get_monotonic_time () +
                        coffer_config_get_int (config, "server", "shutdown_timeout") *
                          G_USEC_PER_SEC;
  g_main_loop_run (loop);

  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);
  g_clear_handle_id (&state.drain_source, g_source_remove);
  coffer_http_server_close (http);
  coffer_webhook_worker_stop (worker);
  coffer_inbox_close (inbox);
  coffer_db_pool_close (pool);
  /* Let libsoup finish closing connections before the objects go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  coffer_webhook_routes_free (webhook_routes);
  g_message ("Stopped");
  return 0;
}
