/* coffer-command-events.c: `coffer-server events list|replay` for the inbox. */
#include "config.h"

#include "coffer-commands.h"
#include "coffer-config.h"
#include "db/coffer-db-pool.h"

#include <stdio.h>
#include <string.h>

static PGconn *
connect_from (CofferConfig  *config,
              GError       **error)
{
  return coffer_db_connect (coffer_config_get_string (config, "database", "url"),
                            coffer_config_get_string (config, "database", "password"), 30000,
                            (guint) coffer_config_get_int (config, "database", "connect_timeout"),
                            "coffer-server events", error);
}

static int
list_events (PGconn   *conn,
             gboolean  parked_only,
             gint64    limit)
{
  g_autoptr (CofferDbQuery) query = NULL;
  g_autoptr (PGresult) rows = NULL;
  g_autoptr (GError) error = NULL;

  query = coffer_db_query_new (
    "SELECT id, type, status, attempts, "
    "       to_char (received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "       coalesce (last_error, '') "
    "FROM stripe_event_inbox WHERE NOT $1 OR status = 'parked' "
    "ORDER BY received_at DESC, id LIMIT $2");
  coffer_db_query_boolean (query, parked_only);
  coffer_db_query_int64 (query, limit);
  rows = coffer_db_query_exec (query, conn, NULL, &error);
  if (rows == NULL)
    {
      fprintf (stderr, "coffer-server: %s\n", error->message);
      return 1;
    }
  if (PQntuples (rows) == 0)
    {
      printf (parked_only ? "No parked events.\n" : "The inbox is empty.\n");
      return 0;
    }
  printf ("%-32s %-40s %-9s %8s  %-19s  %s\n", "ID", "TYPE", "STATUS", "ATTEMPTS", "RECEIVED",
          "LAST ERROR");
  for (int i = 0; i < PQntuples (rows); i++)
    printf ("%-32s %-40s %-9s %8s  %-19s  %s\n", PQgetvalue (rows, i, 0), PQgetvalue (rows, i, 1),
            PQgetvalue (rows, i, 2), PQgetvalue (rows, i, 3), PQgetvalue (rows, i, 4),
            PQgetvalue (rows, i, 5));
  return 0;
}

/* Puts a parked (or failed) event back in line; the workers apply it within
 * moments. Its history of attempts is kept and gains a "replayed" line. */
static int
replay_event (PGconn     *conn,
              const char *id)
{
  g_autoptr (CofferDbQuery) query = NULL;
  g_autoptr (PGresult) rows = NULL;
  g_autoptr (GError) error = NULL;

  query = coffer_db_query_new (
    "WITH row AS ("
    "  UPDATE stripe_event_inbox SET status = 'pending', next_attempt_at = now (), parked_at = NULL "
    "  WHERE id = $1 AND status IN ('parked', 'pending') RETURNING id, attempts),"
    "history AS ("
    "  INSERT INTO stripe_event_attempts (event_id, attempt, started_at, duration_ms, outcome) "
    "  SELECT id, attempts, now (), 0, 'replayed' FROM row "
    "  ON CONFLICT DO NOTHING) "
    "SELECT (SELECT count(*) FROM row), "
    "       (SELECT status::text FROM stripe_event_inbox WHERE id = $1)");
  coffer_db_query_text (query, id);
  rows = coffer_db_query_exec (query, conn, NULL, &error);
  if (rows == NULL)
    {
      fprintf (stderr, "coffer-server: %s\n", error->message);
      return 1;
    }
  if (PQgetisnull (rows, 0, 1))
    {
      fprintf (stderr, "coffer-server: no event %s in the inbox\n", id);
      return 1;
    }
  if (strcmp (PQgetvalue (rows, 0, 0), "0") == 0)
    {
      fprintf (stderr, "coffer-server: event %s is %s, not parked: nothing to replay\n", id,
               PQgetvalue (rows, 0, 1));
      return 1;
    }
  printf ("Event %s is queued again; the workers will apply it shortly.\n", id);
  return 0;
}

int
coffer_command_events (int    argc,
                       char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean parked_only = FALSE;
  gint limit = 50;
  g_autoptr (CofferConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("list | replay EVENT_ID");
  PGconn *conn;
  int status;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read the configuration from FILE", "FILE" },
    { "parked", 'p', 0, G_OPTION_ARG_NONE, &parked_only,
      "list: only events parked for a person", NULL },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "list: at most N events (default 50)", "N" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                "The inbox of Stripe webhook events.\n\n"
                                "  list             the newest events with their status and "
                                "last error\n"
                                "  replay EVENT_ID  queue a parked event to be applied again");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "coffer-server: %s\nTry “%s --help”.\n", error->message,
               g_get_prgname ());
      return 2;
    }
  if (argc < 2 || (strcmp (argv[1], "list") == 0 && argc != 2) ||
      (strcmp (argv[1], "replay") == 0 && argc != 3) ||
      (strcmp (argv[1], "list") != 0 && strcmp (argv[1], "replay") != 0))
    {
      fprintf (stderr, "coffer-server: expected “list” or “replay EVENT_ID”\nTry “%s --help”.\n",
               g_get_prgname ());
      return 2;
    }
  if (limit < 1)
    {
      fprintf (stderr, "coffer-server: --limit must be at least 1, not %d\n", limit);
      return 2;
    }

  config = coffer_command_load_config (config_path);
  if (config == NULL)
    return 1;
  conn = connect_from (config, &error);
  if (conn == NULL)
    {
      fprintf (stderr, "coffer-server: %s\n", error->message);
      return 1;
    }
  if (strcmp (argv[1], "list") == 0)
    status = list_events (conn, parked_only, limit);
  else
    status = replay_event (conn, argv[2]);
  PQfinish (conn);
  return status;
}
