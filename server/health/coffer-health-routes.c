/* coffer-health-routes.c: liveness, readiness and the Prometheus exposition.
 *
 * /healthz answers as long as the main loop runs. /readyz asks PostgreSQL,
 * through the pool like any request, whether it is reachable and holds every
 * migration this build needs; a load balancer stops sending traffic on 503. */
#include "config.h"

#include "coffer-health-routes.h"
#include "http/coffer-http-error.h"

#include <string.h>

static void
on_healthz (CofferRequest *request,
            gpointer       user_data)
{
  static const char body[] = "{\"status\":\"ok\"}";

  coffer_request_respond (request, SOUP_STATUS_OK, "application/json; charset=utf-8", body,
                          strlen (body));
}

static char *
versions_array_literal (CofferMigrator *migrator)
{
  GPtrArray *migrations = coffer_migrator_get_migrations (migrator);
  GString *literal = g_string_new ("{");

  for (guint i = 0; i < migrations->len; i++)
    {
      CofferMigration *migration = g_ptr_array_index (migrations, i);

      g_string_append_printf (literal, "%s%u", i ? "," : "", migration->version);
    }
  g_string_append_c (literal, '}');
  return g_string_free (literal, FALSE);
}

static void
on_readyz_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (CofferRequest) request = user_data;
  CofferServerContext *context = g_object_get_data (G_OBJECT (request), "coffer-context");
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) rows = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  guint needed = coffer_migrator_get_migrations (context->migrator)->len;
  guint applied;

  rows = coffer_db_pool_query_finish (COFFER_DB_POOL (source), result, &error);
  if (rows == NULL)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                        "REQUEST_ID", coffer_request_get_id (request),
                        "MESSAGE", "Not ready: %s", error->message);
      coffer_request_respond_error (request, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                    COFFER_ERROR_TYPE_UNAVAILABLE, "database_unavailable", NULL,
                                    "The database is not reachable: %s", error->message);
      return;
    }

  applied = (guint) g_ascii_strtoull (PQgetvalue (rows, 0, 0), NULL, 10);
  if (applied < needed)
    {
      coffer_request_respond_error (request, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                    COFFER_ERROR_TYPE_UNAVAILABLE, "schema_outdated", NULL,
                                    "The database schema lacks %u of the %u migrations this "
                                    "server needs. Run “coffer-server migrate”",
                                    needed - applied, needed);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ready");
  json_builder_set_member_name (builder, "schema_version");
  json_builder_add_int_value (builder, coffer_migrator_get_latest (context->migrator));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  coffer_request_respond_json (request, SOUP_STATUS_OK, root);
}

static void
on_readyz (CofferRequest *request,
           gpointer       user_data)
{
  CofferServerContext *context = user_data;
  g_autofree char *versions = versions_array_literal (context->migrator);
  g_autoptr (CofferDbQuery) query = NULL;

  /* schema_migrations may not exist yet: to_regclass keeps that a plain 0. */
  query = coffer_db_query_new ("SELECT CASE WHEN to_regclass ('schema_migrations') IS NULL "
                               "THEN 0 ELSE (SELECT count(*) FROM schema_migrations "
                               "WHERE version = ANY ($1::int[])) END");
  coffer_db_query_text (query, versions);
  coffer_db_query_set_retryable (query, TRUE);

  g_object_set_data (G_OBJECT (request), "coffer-context", context);
  coffer_db_pool_query_async (context->pool, query, coffer_request_get_cancellable (request),
                              on_readyz_done, g_object_ref (request));
}

static void
on_metrics (CofferRequest *request,
            gpointer       user_data)
{
  CofferServerContext *context = user_data;
  g_autofree char *text = coffer_metrics_render (context->metrics);

  coffer_request_respond (request, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                          text, strlen (text));
}

static void
collect_process (GString  *out,
                 gpointer  user_data)
{
  CofferServerContext *context = user_data;
  CofferDbPoolStats stats;

  coffer_db_pool_get_stats (context->pool, &stats);
  g_string_append_printf (out,
                          "# HELP coffer_build_info Version of this coffer-server.\n"
                          "# TYPE coffer_build_info gauge\n"
                          "coffer_build_info{version=\"%s\",schema=\"%u\"} 1\n"
                          "# HELP coffer_start_time_seconds When this server started.\n"
                          "# TYPE coffer_start_time_seconds gauge\n"
                          "coffer_start_time_seconds %" G_GINT64_FORMAT "\n"
                          "# HELP coffer_db_pool_connections Pool connections by state.\n"
                          "# TYPE coffer_db_pool_connections gauge\n"
                          "coffer_db_pool_connections{state=\"in_use\"} %u\n"
                          "coffer_db_pool_connections{state=\"idle\"} %u\n"
                          "coffer_db_pool_connections{state=\"connected\"} %u\n"
                          "# HELP coffer_db_pool_waiting Database jobs waiting for a connection.\n"
                          "# TYPE coffer_db_pool_waiting gauge\n"
                          "coffer_db_pool_waiting %u\n"
                          "# HELP coffer_db_pool_size Connections the pool may hold.\n"
                          "# TYPE coffer_db_pool_size gauge\n"
                          "coffer_db_pool_size %u\n",
                          PACKAGE_VERSION, coffer_migrator_get_latest (context->migrator),
                          context->started_usec / G_USEC_PER_SEC, stats.in_use, stats.idle,
                          stats.connected, stats.waiting, stats.size);
}

void
coffer_health_routes_register (CofferRouter        *router,
                               CofferServerContext *context)
{
  coffer_router_add (router, "GET", "/healthz", 0, on_healthz, context);
  coffer_router_add (router, "GET", "/readyz", 0, on_readyz, context);
  coffer_router_add (router, "GET", "/metrics", 0, on_metrics, context);
  coffer_metrics_add_collector (context->metrics, collect_process, context);
}
