/* test-webhook-apply.c: Stripe's test events applied to the mirror tables of a
 * real PostgreSQL database, one at a time, in every order, and twice. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "coffer-test-pg.h"
#include "db/coffer-db-error.h"
#include "db/coffer-db-query.h"
#include "webhook/coffer-webhook-apply.h"

#define N_SHUFFLES 64

/* Every mirror table, in the order dumps list them. */
static const char * const mirror_tables[] = {
  "customers", "products", "prices", "subscriptions", "subscription_items", "invoices",
  "invoice_lines", "upcoming_invoices", "payment_methods", "payment_attempts", "refunds",
  "invoice_payments", "checkout_sessions", "setup_intents", NULL
};

#define NO_STRIPE_FILES \
  "Stripe's test events are not available: set COFFER_SOURCE_ROOT to a source tree " \
  "with ../shared/stripe/events beside it"

typedef struct
{
  char       *conninfo;
  PGconn     *conn;
  GHashTable *prepared_names;
  GHashTable *dump_sql; /* table → SELECT producing its rows as text */
} Fixture;

/* --- Stripe's files --------------------------------------------------------- */

static char *
stripe_path (const char *relative)
{
  const char *root = g_getenv ("COFFER_SOURCE_ROOT");
  g_autofree char *path = NULL;

  if (root == NULL)
    return NULL;
  path = g_build_filename (root, "..", "shared", "stripe", relative, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return g_steal_pointer (&path);
}

static JsonNode *
load_json (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* json_node_copy() shares objects; events are changed by copying them whole. */
static JsonObject *
copy_event (JsonObject *event)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), event);
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr (JsonNode) copy = json_from_string (text, NULL);

  return json_object_ref (json_node_get_object (copy));
}

static JsonObject *
load_event (const char *name)
{
  g_autofree char *relative = g_strdup_printf ("events/%s.json", name);
  g_autofree char *path = stripe_path (relative);
  g_autoptr (JsonNode) root = NULL;

  g_assert_nonnull (path);
  root = load_json (path);
  return json_object_ref (json_node_get_object (root));
}

/* The events of a sequence file, in Stripe's order (JsonObject*). */
static GPtrArray *
load_sequence (const char *file_name)
{
  g_autofree char *relative = g_build_filename ("events", "sequences", file_name, NULL);
  g_autofree char *path = stripe_path (relative);
  g_autoptr (JsonNode) root = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonArray *array;

  g_assert_nonnull (path);
  root = load_json (path);
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (events, json_object_ref (json_array_get_object_element (array, i)));
  return events;
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* File names in a folder of Stripe's files, sorted. */
static GPtrArray *
list_json_files (const char *relative)
{
  g_autofree char *path = stripe_path (relative);
  g_autoptr (GDir) dir = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (path == NULL)
    return names;
  dir = g_dir_open (path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  return names;
}

static const char *
event_id (JsonObject *event)
{
  return json_object_get_string_member (event, "id");
}

static const char *
event_type (JsonObject *event)
{
  return json_object_get_string_member (event, "type");
}

static JsonObject *
object_of (JsonObject *event)
{
  return json_object_get_object_member (json_object_get_object_member (event, "data"),
                                        "object");
}

static gboolean
is_handled (const char *type)
{
  return g_strv_contains ((const char * const *) coffer_webhook_get_handled_types (), type);
}

/* --- The database ----------------------------------------------------------- */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *events = stripe_path ("events");

  /* Without Stripe's files the tests skip; no database is needed then. */
  if (events == NULL)
    return;
  fixture->conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  fixture->conn = coffer_test_pg_connect (fixture->conninfo);
  fixture->prepared_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fixture->dump_sql = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  PQclear (PQexec (fixture->conn, "SET TimeZone = 'UTC'"));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->conn, PQfinish);
  g_clear_pointer (&fixture->prepared_names, g_hash_table_unref);
  g_clear_pointer (&fixture->dump_sql, g_hash_table_unref);
  g_clear_pointer (&fixture->conninfo, g_free);
}

static gboolean
skip_without_stripe_files (Fixture *fixture)
{
  if (fixture->conn != NULL)
    return FALSE;
  g_test_skip (NO_STRIPE_FILES);
  return TRUE;
}

static void
exec_sql (Fixture    *fixture,
          const char *sql)
{
  g_autoptr (PGresult) result = PQexec (fixture->conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s failed: %s", sql, PQerrorMessage (fixture->conn));
}

/* Every row of @sql, columns joined by "|", rows by "\n", NULL as "NULL". */
static char *
query_rows (Fixture    *fixture,
            const char *sql)
{
  g_autoptr (PGresult) result = PQexec (fixture->conn, sql);
  GString *text = g_string_new (NULL);

  if (PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s failed: %s", sql, PQerrorMessage (fixture->conn));
  for (int row = 0; row < PQntuples (result); row++)
    {
      if (row > 0)
        g_string_append_c (text, '\n');
      for (int column = 0; column < PQnfields (result); column++)
        {
          if (column > 0)
            g_string_append_c (text, '|');
          g_string_append (text, PQgetisnull (result, row, column)
                                   ? "NULL" : PQgetvalue (result, row, column));
        }
    }
  return g_string_free (text, FALSE);
}

static void
assert_rows (Fixture    *fixture,
             const char *sql,
             const char *expected)
{
  g_autofree char *rows = query_rows (fixture, sql);

  if (g_strcmp0 (rows, expected) != 0)
    g_error ("%s\n  gave     “%s”\n  expected “%s”", sql, rows, expected);
}

/* One event in a transaction of its own, as the inbox worker applies it. A
 * failed apply is followed by COMMIT too, which proves it wrote nothing. */
static gboolean
apply_event (Fixture               *fixture,
             JsonObject            *event,
             CofferWebhookOutcome  *out_outcome,
             GError               **error)
{
  gboolean applied;

  exec_sql (fixture, "BEGIN");
  applied = coffer_webhook_apply (fixture->conn, fixture->prepared_names, event, out_outcome,
                                  error);
  exec_sql (fixture, "COMMIT");
  return applied;
}

static CofferWebhookOutcome
apply_ok (Fixture    *fixture,
          JsonObject *event)
{
  CofferWebhookOutcome outcome = COFFER_WEBHOOK_OUTCOME_IGNORED;
  g_autoptr (GError) error = NULL;

  if (!apply_event (fixture, event, &outcome, &error))
    g_error ("Applying %s (%s) failed: %s", event_id (event), event_type (event),
             error->message);
  return outcome;
}

/* The whole mirror as text, every table ordered, without updated_at (the only
 * column that records when Coffer wrote a row rather than what Stripe said). */
static char *
dump_mirror (Fixture *fixture)
{
  GString *dump = g_string_new (NULL);

  for (guint i = 0; mirror_tables[i]; i++)
    {
      const char *table = mirror_tables[i];
      const char *sql = g_hash_table_lookup (fixture->dump_sql, table);
      g_autofree char *rows = NULL;

      if (sql == NULL)
        {
          g_autofree char *columns_sql = g_strdup_printf (
            "SELECT string_agg (quote_ident (column_name), ', ' ORDER BY ordinal_position) "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = '%s' AND column_name <> 'updated_at'", table);
          g_autofree char *columns = query_rows (fixture, columns_sql);

          g_assert_cmpstr (columns, !=, "NULL");
          sql = g_strdup_printf ("SELECT r FROM (SELECT ROW (%s)::text AS r FROM %s) AS t "
                                 "ORDER BY r COLLATE \"C\"", columns, table);
          g_hash_table_insert (fixture->dump_sql, (gpointer) table, (gpointer) sql);
        }
      rows = query_rows (fixture, sql);
      g_string_append_printf (dump, "-- %s\n%s\n", table, rows);
    }
  return g_string_free (dump, FALSE);
}

static gboolean
mirror_is_empty (Fixture *fixture)
{
  for (guint i = 0; mirror_tables[i]; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", mirror_tables[i]);
      g_autofree char *count = query_rows (fixture, sql);

      if (strcmp (count, "0") != 0)
        return FALSE;
    }
  return TRUE;
}

static void
clear_mirror (Fixture *fixture)
{
  g_autofree char *tables = g_strjoinv (", ", (char **) mirror_tables);
  g_autofree char *sql = g_strdup_printf ("TRUNCATE %s", tables);

  exec_sql (fixture, sql);
}

static void
shuffle (GPtrArray *events,
         guint32    seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (guint i = events->len; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i);
      gpointer swap = events->pdata[i - 1];

      events->pdata[i - 1] = events->pdata[j];
      events->pdata[j] = swap;
    }
}

static GPtrArray *
copy_list (GPtrArray *events)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < events->len; i++)
    g_ptr_array_add (copy, json_object_ref (g_ptr_array_index (events, i)));
  return copy;
}

static char *
apply_all_and_dump (Fixture   *fixture,
                    GPtrArray *events)
{
  clear_mirror (fixture);
  for (guint i = 0; i < events->len; i++)
    apply_ok (fixture, g_ptr_array_index (events, i));
  return dump_mirror (fixture);
}

static void
assert_same_mirror (const char *expected,
                    const char *dump,
                    const char *how)
{
  if (strcmp (expected, dump) != 0)
    g_error ("Applied %s, the mirror differs from Stripe's order.\nStripe's order:\n%s\n"
             "This order:\n%s", how, expected, dump);
}

/* Applies @events in Stripe's order, then reversed, shuffled with fixed seeds,
 * and with every event delivered twice; every mirror must equal the first.
 * Returns the mirror of Stripe's order. */
static char *
assert_any_order_gives_the_same_mirror (Fixture   *fixture,
                                        GPtrArray *events)
{
  g_autofree char *expected = NULL;

  clear_mirror (fixture);
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);
      CofferWebhookOutcome outcome = apply_ok (fixture, event);

      /* In Stripe's order every event carries the newest state. */
      g_assert_cmpint (outcome, ==, is_handled (event_type (event))
                                      ? COFFER_WEBHOOK_OUTCOME_APPLIED
                                      : COFFER_WEBHOOK_OUTCOME_IGNORED);
    }
  expected = dump_mirror (fixture);

  {
    g_autoptr (GPtrArray) reversed = copy_list (events);
    g_autofree char *dump = NULL;

    for (guint i = 0; i < reversed->len / 2; i++)
      {
        gpointer swap = reversed->pdata[i];

        reversed->pdata[i] = reversed->pdata[reversed->len - 1 - i];
        reversed->pdata[reversed->len - 1 - i] = swap;
      }
    dump = apply_all_and_dump (fixture, reversed);
    assert_same_mirror (expected, dump, "in reverse order");
  }

  for (guint32 seed = 1; seed <= N_SHUFFLES; seed++)
    {
      g_autoptr (GPtrArray) shuffled = copy_list (events);
      g_autofree char *dump = NULL, *how = g_strdup_printf ("shuffled with seed %u", seed);

      shuffle (shuffled, seed);
      dump = apply_all_and_dump (fixture, shuffled);
      assert_same_mirror (expected, dump, how);
    }

  for (guint32 seed = 1; seed <= N_SHUFFLES / 4; seed++)
    {
      g_autoptr (GPtrArray) twice = copy_list (events);
      g_autofree char *dump = NULL;
      g_autofree char *how = g_strdup_printf ("twice each, shuffled with seed %u", seed);

      for (guint i = 0; i < events->len; i++)
        g_ptr_array_add (twice, json_object_ref (g_ptr_array_index (events, i)));
      shuffle (twice, 1000 + seed);
      dump = apply_all_and_dump (fixture, twice);
      assert_same_mirror (expected, dump, how);
    }

  {
    g_autoptr (GPtrArray) again = g_ptr_array_new_with_free_func (
      (GDestroyNotify) json_object_unref);
    g_autofree char *dump = NULL;

    for (guint i = 0; i < events->len; i++)
      {
        g_ptr_array_add (again, json_object_ref (g_ptr_array_index (events, i)));
        g_ptr_array_add (again, json_object_ref (g_ptr_array_index (events, i)));
      }
    dump = apply_all_and_dump (fixture, again);
    assert_same_mirror (expected, dump, "with every event delivered twice in a row");
  }
  return g_steal_pointer (&expected);
}

/* --- Every event file ---------------------------------------------------------- */

/* What each of Stripe's event files leaves in an empty mirror. */
static const struct
{
  const char *file;
  const char *sql;
  const char *expected;
} file_checks[] = {
  { "customer.created",
    "SELECT id, email, name, preferred_locale, address_country, currency, balance, delinquent, "
    "default_payment_method_id, is_deleted, deleted_at, stripe_created_at, stripe_state_at, "
    "stripe_state_event, stripe_api_version FROM customers",
    "cus_i1syzNeT1u5Lr4|jenny.rosen@example.com|Jenny Rosen|en-US|US|NULL|0|f|NULL|f|NULL|"
    "2026-08-03 09:16:40+00|2026-08-03 09:16:40+00|evt_1rAv6WQk7RzB2mXeOFYHIUy9|"
    "2026-07-29.dahlia" },
  { "customer.updated",
    "SELECT currency, default_payment_method_id, stripe_state_at FROM customers",
    "USD|pm_1rOlgVQk7RzB2mXeYAqwzZ9L|2026-09-10 14:03:07+00" },
  { "customer.deleted",
    "SELECT id, is_deleted, deleted_at, currency, stripe_state_rank FROM customers",
    "cus_i1syzNeT1u5Lr4|t|2026-11-30 17:20:08+00|USD|1" },
  { "customer.subscription.created",
    "SELECT id, status, customer_id, currency, current_period_start, current_period_end, "
    "default_payment_method_id, latest_invoice_id, metadata->>'workspace_id', "
    "cancel_at_period_end, start_date FROM subscriptions",
    "sub_1rAv6YQk7RzB2mXeZurtROva|incomplete|cus_i1syzNeT1u5Lr4|USD|2026-08-03 09:16:42+00|"
    "2026-09-03 09:16:42+00|pm_1rAv6WQk7RzB2mXeo4xVSZft|in_1rAv6YQk7RzB2mXepNHmaHJD|ws_8842|f|"
    "2026-08-03 09:16:42+00" },
  { "customer.subscription.created",
    "SELECT id, subscription_id, price_id, product_id, quantity, current_period_start, "
    "current_period_end FROM current_subscription_items",
    "si_p1ENqHecFEsN7Q|sub_1rAv6YQk7RzB2mXeZurtROva|price_1qtDaCQk7RzB2mXedudr1yhT|"
    "prod_PqDy1n5hpNsDPB|1|2026-08-03 09:16:42+00|2026-09-03 09:16:42+00" },
  { "customer.subscription.created",
    "SELECT id, product_id, currency, unit_amount, type, recurring_interval, "
    "recurring_interval_count, stripe_created_at, lookup_key, active, stripe_state_at "
    "FROM prices",
    "price_1qtDaCQk7RzB2mXedudr1yhT|prod_PqDy1n5hpNsDPB|USD|2000|recurring|month|1|"
    "2026-06-15 13:22:08+00|NULL|NULL|NULL" },
  { "customer.subscription.created", "SELECT id, name FROM products",
    "prod_PqDy1n5hpNsDPB|NULL" },
  { "customer.subscription.deleted",
    "SELECT status, cancel_at_period_end, cancel_at, canceled_at, ended_at, "
    "cancellation_reason FROM subscriptions",
    "canceled|t|2026-10-03 09:16:42+00|2026-09-25 08:05:31+00|2026-10-03 09:16:42+00|"
    "cancellation_requested" },
  { "customer.subscription.paused",
    "SELECT status, trial_start, trial_end, trial_missing_payment_method, "
    "default_payment_method_id FROM subscriptions",
    "paused|2026-10-05 11:00:00+00|2026-10-19 11:00:00+00|pause|NULL" },
  { "customer.subscription.resumed",
    "SELECT status, current_period_start, current_period_end, default_payment_method_id "
    "FROM subscriptions",
    "active|2026-10-22 16:45:31+00|2026-11-22 16:45:31+00|pm_1re2EYQk7RzB2mXeUOaVxA0A" },
  { "customer.subscription.trial_will_end",
    "SELECT status, trial_end, current_period_end FROM subscriptions",
    "trialing|2026-10-19 11:00:00+00|2026-10-19 11:00:00+00" },
  { "customer.subscription.updated--cancel_at_period_end",
    "SELECT status, cancel_at_period_end, cancel_at, canceled_at, ended_at, "
    "cancellation_reason FROM subscriptions",
    "active|t|2026-10-03 09:16:42+00|2026-09-25 08:05:31+00|NULL|cancellation_requested" },
  { "customer.subscription.updated--default_payment_method",
    "SELECT status, default_payment_method_id FROM subscriptions",
    "active|pm_1rOlgVQk7RzB2mXeYAqwzZ9L" },
  { "customer.subscription.updated--incomplete_to_active",
    "SELECT status, stripe_state_rank FROM subscriptions", "active|2" },
  { "customer.subscription.updated--past_due",
    "SELECT status, latest_invoice_id FROM subscriptions",
    "past_due|in_1rM9scQk7RzB2mXeyMRLBGSE" },
  { "customer.subscription.updated--past_due_to_active",
    "SELECT status, current_period_start, current_period_end FROM subscriptions",
    "active|2026-09-03 09:16:42+00|2026-10-03 09:16:42+00" },
  { "customer.subscription.updated",
    "SELECT s.status, i.price_id, i.product_id, p.currency, p.unit_amount, "
    "p.recurring_interval FROM subscriptions s "
    "JOIN subscription_items i ON i.subscription_id = s.id JOIN prices p ON p.id = i.price_id",
    "active|price_1qtDarQk7RzB2mXe4aLO029o|prod_NbGCXVvGpMxit6|USD|5000|month" },
  { "invoice.finalized",
    "SELECT id, status, number, currency, amount_due, amount_paid, amount_remaining, "
    "attempt_count, customer_id, subscription_id, billing_reason, collection_method, "
    "finalized_at, period_start, period_end, charge_id FROM invoices",
    "in_1rM9scQk7RzB2mXeyMRLBGSE|open|9C2E41A7-0002|USD|2000|0|2000|0|cus_i1syzNeT1u5Lr4|"
    "sub_1rAv6YQk7RzB2mXeZurtROva|subscription_cycle|charge_automatically|"
    "2026-09-03 10:17:48+00|2026-08-03 09:16:42+00|2026-09-03 09:16:42+00|NULL" },
  { "invoice.finalized",
    "SELECT id, amount, currency, description, price_id, product_id, subscription_id, "
    "subscription_item_id, is_proration, period_start, period_end "
    "FROM current_invoice_lines",
    "il_1rM9sdQk7RzB2mXez7qfoKbV|2000|USD|1 × Starter (at $20.00 / month)|"
    "price_1qtDaCQk7RzB2mXedudr1yhT|prod_PqDy1n5hpNsDPB|sub_1rAv6YQk7RzB2mXeZurtROva|"
    "si_p1ENqHecFEsN7Q|f|2026-09-03 09:16:42+00|2026-10-03 09:16:42+00" },
  /* A price named by a line is known by id, without a state. */
  { "invoice.finalized",
    "SELECT id, product_id, currency, unit_amount, stripe_state_at FROM prices",
    "price_1qtDaCQk7RzB2mXedudr1yhT|prod_PqDy1n5hpNsDPB|NULL|NULL|NULL" },
  { "invoice.marked_uncollectible",
    "SELECT status, amount_due, marked_uncollectible_at, due_date, collection_method, "
    "subscription_id FROM invoices",
    "uncollectible|6000|2026-10-12 09:30:05+00|2026-09-26 10:05:40+00|send_invoice|NULL" },
  { "invoice.marked_uncollectible",
    "SELECT quantity, invoice_item_id, amount, subscription_item_id FROM invoice_lines",
    "3|ii_1rPQqYQk7RzB2mXetyy4Zcdu|6000|NULL" },
  { "invoice.paid",
    "SELECT status, amount_paid, amount_remaining, attempt_count, paid_at, "
    "next_payment_attempt, stripe_state_rank FROM invoices",
    "paid|2000|0|2|2026-09-06 10:17:52+00|NULL|3002" },
  { "invoice.payment_failed",
    "SELECT status, attempt_count, attempted, next_payment_attempt, amount_remaining "
    "FROM invoices",
    "open|1|t|2026-09-06 10:17:52+00|2000" },
  { "invoice.payment_succeeded",
    "SELECT id, status, amount_paid, billing_reason, number FROM invoices",
    "in_1rAv6YQk7RzB2mXepNHmaHJD|paid|2000|subscription_create|9C2E41A7-0001" },
  { "invoice.upcoming",
    "SELECT subscription_id, customer_id, currency, amount_due, total, renews_at, "
    "next_payment_attempt FROM upcoming_invoices",
    "sub_1rAv6YQk7RzB2mXeZurtROva|cus_i1syzNeT1u5Lr4|USD|2000|2000|2026-09-03 09:16:42+00|"
    "2026-09-03 10:16:42+00" },
  { "invoice.upcoming",
    "SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM invoice_lines)", "0|0" },
  { "invoice.voided",
    "SELECT status, voided_at, amount_due, currency FROM invoices",
    "void|2026-09-11 08:45:19+00|30000|USD" },
  { "payment_method.attached",
    "SELECT id, customer_id, type, card_brand, card_last4, card_exp_month, card_exp_year, "
    "detached_at FROM payment_methods",
    "pm_1rAv6WQk7RzB2mXeo4xVSZft|cus_i1syzNeT1u5Lr4|card|visa|4242|12|2030|NULL" },
  { "payment_method.detached",
    "SELECT customer_id, detached_at, card_brand, card_last4 FROM payment_methods",
    "NULL|2026-09-10 14:03:09+00|visa|4242" },
  { "charge.failed",
    "SELECT charge_id, payment_intent_id, invoice_id, customer_id, payment_method_id, status, "
    "currency, amount, failure_code, decline_code, network_decline_code, outcome_type, "
    "card_brand, card_last4, attempted_at FROM payment_attempts",
    "ch_1rMAphQk7RzB2mXejeKQoVNs|pi_1rMAphQk7RzB2mXeONUY4sVl|NULL|cus_i1syzNeT1u5Lr4|"
    "pm_1rAv6WQk7RzB2mXeo4xVSZft|failed|USD|2000|card_declined|insufficient_funds|51|"
    "issuer_declined|visa|4242|2026-09-03 10:17:49+00" },
  { "charge.refunded",
    "SELECT status, amount, amount_captured, amount_refunded, is_refunded, card_brand, "
    "card_last4, decline_code, stripe_state_rank FROM payment_attempts",
    "succeeded|1474|1474|1474|t|mastercard|4444|NULL|4" },
  { "checkout.session.completed",
    "SELECT id, customer_id, subscription_id, invoice_id, client_reference_id, mode, status, "
    "payment_status, currency, amount_total FROM checkout_sessions",
    "cs_test_b1f7UsoSAQSSbWDg54MNXQ8Sa8cUMZADjqN99UcRkgMYlDYM4Ak2xrqC2S|cus_i1syzNeT1u5Lr4|"
    "sub_1rAv6YQk7RzB2mXeZurtROva|in_1rAv6YQk7RzB2mXepNHmaHJD|ws_8842|subscription|complete|"
    "paid|USD|2000" },
  { "setup_intent.succeeded",
    "SELECT id, customer_id, payment_method_id, status, usage FROM setup_intents",
    "seti_1rOlffQk7RzB2mXe5y6yjHqb|cus_i1syzNeT1u5Lr4|pm_1rOlgVQk7RzB2mXeYAqwzZ9L|succeeded|"
    "off_session" },
};

static void
test_every_event_file_applies_with_its_expected_rows (Fixture       *fixture,
                                                      gconstpointer  data)
{
  g_autoptr (GPtrArray) files = NULL;
  guint n_checked = 0;

  if (skip_without_stripe_files (fixture))
    return;

  files = list_json_files ("events");
  g_assert_cmpuint (files->len, >, 0);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *name = g_strndup (file, strlen (file) - strlen (".json"));
      g_autoptr (JsonObject) event = load_event (name);
      g_autofree char *after_once = NULL, *after_twice = NULL;
      gboolean handled = is_handled (event_type (event));
      guint n_file_checks = 0;

      clear_mirror (fixture);
      g_assert_cmpint (apply_ok (fixture, event), ==,
                       handled ? COFFER_WEBHOOK_OUTCOME_APPLIED : COFFER_WEBHOOK_OUTCOME_IGNORED);
      after_once = dump_mirror (fixture);
      if (handled)
        g_assert_nonnull (strstr (after_once, event_id (event)));
      else
        g_assert_true (mirror_is_empty (fixture));

      /* Delivered again: nothing changes. */
      g_assert_cmpint (apply_ok (fixture, event), ==,
                       handled ? COFFER_WEBHOOK_OUTCOME_STALE : COFFER_WEBHOOK_OUTCOME_IGNORED);
      after_twice = dump_mirror (fixture);
      g_assert_cmpstr (after_once, ==, after_twice);

      for (guint c = 0; c < G_N_ELEMENTS (file_checks); c++)
        if (strcmp (file_checks[c].file, name) == 0)
          {
            assert_rows (fixture, file_checks[c].sql, file_checks[c].expected);
            n_file_checks++;
          }
      if (handled && n_file_checks == 0)
        g_error ("events/%s has no expected rows in file_checks", file);
      n_checked += n_file_checks;
    }
  g_assert_cmpuint (n_checked, ==, G_N_ELEMENTS (file_checks));
}

/* --- Sequences ------------------------------------------------------------------ */

/* What each story leaves in the mirror, whatever the order. */
static const struct
{
  const char *sequence_prefix;
  const char *sql;
  const char *expected;
} sequence_checks[] = {
  { "a-", "SELECT status FROM subscriptions", "active" },
  { "a-", "SELECT status, amount_paid, attempt_count FROM invoices", "paid|2000|1" },
  { "a-",
    "SELECT charge_id, invoice_id, status, amount, currency FROM invoice_payment_attempts",
    "ch_1rAv6aQk7RzB2mXeor60LoiX|in_1rAv6YQk7RzB2mXepNHmaHJD|succeeded|2000|USD" },
  { "a-", "SELECT client_reference_id, customer_id FROM checkout_sessions",
    "ws_8842|cus_i1syzNeT1u5Lr4" },
  { "a-", "SELECT customer_id, card_last4 FROM payment_methods", "cus_i1syzNeT1u5Lr4|4242" },
  { "b-", "SELECT status, current_period_end FROM subscriptions",
    "active|2026-10-03 09:16:42+00" },
  { "b-", "SELECT status, attempt_count, amount_paid, paid_at FROM invoices",
    "paid|2|2000|2026-09-06 10:17:52+00" },
  { "b-",
    "SELECT invoice_id, status, amount, failure_code, decline_code FROM "
    "invoice_payment_attempts ORDER BY attempted_at",
    "in_1rM9scQk7RzB2mXeyMRLBGSE|failed|2000|card_declined|insufficient_funds\n"
    "in_1rM9scQk7RzB2mXeyMRLBGSE|succeeded|2000|NULL|NULL" },
  { "b-", "SELECT subscription_id, amount_due, renews_at FROM upcoming_invoices",
    "sub_1rAv6YQk7RzB2mXeZurtROva|2000|2026-09-03 09:16:42+00" },
  { "c-",
    "SELECT l.description, l.amount, l.is_proration, l.price_id FROM invoice_lines l "
    "ORDER BY l.amount",
    "Unused time on Starter after 18 Sep 2026|-982|t|price_1qtDaCQk7RzB2mXedudr1yhT\n"
    "Remaining time on Pro after 18 Sep 2026|2456|t|price_1qtDarQk7RzB2mXe4aLO029o" },
  { "c-", "SELECT status, total, amount_paid, billing_reason FROM invoices",
    "paid|1474|1474|subscription_update" },
  { "c-", "SELECT price_id FROM current_subscription_items", "price_1qtDarQk7RzB2mXe4aLO029o" },
  { "c-", "SELECT id, unit_amount, stripe_created_at IS NOT NULL FROM prices ORDER BY id",
    "price_1qtDaCQk7RzB2mXedudr1yhT|NULL|f\nprice_1qtDarQk7RzB2mXe4aLO029o|5000|t" },
  { "d-", "SELECT status, cancel_at_period_end, canceled_at, ended_at FROM subscriptions",
    "canceled|t|2026-09-25 08:05:31+00|2026-10-03 09:16:42+00" },
};

static void
test_sequence_any_order_gives_the_same_mirror (Fixture       *fixture,
                                               gconstpointer  data)
{
  const char *file_name = data;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *mirror = NULL;

  if (skip_without_stripe_files (fixture))
    return;

  events = load_sequence (file_name);
  g_assert_cmpuint (events->len, >, 0);
  mirror = assert_any_order_gives_the_same_mirror (fixture, events);
  for (guint c = 0; c < G_N_ELEMENTS (sequence_checks); c++)
    if (g_str_has_prefix (file_name, sequence_checks[c].sequence_prefix))
      assert_rows (fixture, sequence_checks[c].sql, sequence_checks[c].expected);
}

static gint
compare_created (gconstpointer a,
                 gconstpointer b)
{
  JsonObject *ea = *(JsonObject * const *) a;
  JsonObject *eb = *(JsonObject * const *) b;
  gint64 ca = json_object_get_int_member (ea, "created");
  gint64 cb = json_object_get_int_member (eb, "created");

  return (ca > cb) - (ca < cb);
}

/* Every event of the story, from the files and the sequences, once each. */
static GPtrArray *
load_whole_story (void)
{
  g_autoptr (GPtrArray) files = list_json_files ("events");
  g_autoptr (GPtrArray) sequences = list_json_files ("events/sequences");
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *name = g_strndup (file, strlen (file) - strlen (".json"));
      JsonObject *event = load_event (name);

      if (g_hash_table_add (seen, g_strdup (event_id (event))))
        g_ptr_array_add (events, event);
      else
        json_object_unref (event);
    }
  for (guint i = 0; i < sequences->len; i++)
    {
      g_autoptr (GPtrArray) sequence = load_sequence (g_ptr_array_index (sequences, i));

      for (guint j = 0; j < sequence->len; j++)
        {
          JsonObject *event = g_ptr_array_index (sequence, j);

          if (g_hash_table_add (seen, g_strdup (event_id (event))))
            g_ptr_array_add (events, json_object_ref (event));
        }
    }
  g_ptr_array_sort (events, compare_created);
  return events;
}

static void
test_whole_story_any_order_gives_the_same_mirror (Fixture       *fixture,
                                                  gconstpointer  data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *mirror = NULL;

  if (skip_without_stripe_files (fixture))
    return;

  events = load_whole_story ();
  mirror = assert_any_order_gives_the_same_mirror (fixture, events);
  assert_rows (fixture, "SELECT is_deleted, deleted_at FROM customers",
               "t|2026-11-30 17:20:08+00");
  assert_rows (fixture, "SELECT id, status FROM subscriptions ORDER BY id",
               "sub_1rAv6YQk7RzB2mXeZurtROva|canceled\nsub_1rXmk4Qk7RzB2mXeyYAA4kGg|active");
  assert_rows (fixture, "SELECT id, customer_id, detached_at FROM payment_methods ORDER BY id",
               "pm_1rAv6WQk7RzB2mXeo4xVSZft|NULL|2026-09-10 14:03:09+00");
  assert_rows (fixture, "SELECT id, status FROM invoices ORDER BY number",
               "in_1rAv6YQk7RzB2mXepNHmaHJD|paid\nin_1rM9scQk7RzB2mXeyMRLBGSE|paid\n"
               "in_1rOmtVQk7RzB2mXeu6NGJAH1|void\nin_1rPQqaQk7RzB2mXeNCSZDJPa|uncollectible\n"
               "in_1rRh0uQk7RzB2mXeyvWoWqQr|paid");
  assert_rows (fixture, "SELECT charge_id, status, is_refunded FROM payment_attempts "
                        "ORDER BY attempted_at",
               "ch_1rAv6aQk7RzB2mXeor60LoiX|succeeded|f\n"
               "ch_1rMAphQk7RzB2mXejeKQoVNs|failed|f\n"
               "ch_1rNGGOQk7RzB2mXeo12aWHIL|succeeded|f\n"
               "ch_1rRh0wQk7RzB2mXedm5nUHVR|succeeded|t");
}

/* --- The ordering rule in the same second ------------------------------------- */

static JsonObject *
event_at (const char *name,
          gint64      created)
{
  g_autoptr (JsonObject) original = load_event (name);
  JsonObject *event = copy_event (original);

  json_object_set_int_member (event, "created", created);
  return event;
}

/* Two events of the same second, in both orders, leave @expected. */
static void
assert_same_second (Fixture    *fixture,
                    JsonObject *earlier,
                    JsonObject *later,
                    const char *sql,
                    const char *expected)
{
  clear_mirror (fixture);
  apply_ok (fixture, earlier);
  g_assert_cmpint (apply_ok (fixture, later), ==, COFFER_WEBHOOK_OUTCOME_APPLIED);
  assert_rows (fixture, sql, expected);

  clear_mirror (fixture);
  apply_ok (fixture, later);
  g_assert_cmpint (apply_ok (fixture, earlier), ==, COFFER_WEBHOOK_OUTCOME_STALE);
  assert_rows (fixture, sql, expected);
}

static void
test_same_second_events_follow_the_lifecycle (Fixture       *fixture,
                                              gconstpointer  data)
{
  const gint64 second = 1785748610;

  if (skip_without_stripe_files (fixture))
    return;

  {
    g_autoptr (JsonObject) created = event_at ("customer.subscription.created", second);
    g_autoptr (JsonObject) activated = event_at (
      "customer.subscription.updated--incomplete_to_active", second);

    assert_same_second (fixture, created, activated, "SELECT status FROM subscriptions",
                        "active");
  }
  {
    g_autoptr (JsonObject) finalized = event_at ("invoice.finalized", second);
    g_autoptr (JsonObject) failed = event_at ("invoice.payment_failed", second);

    assert_same_second (fixture, finalized, failed,
                        "SELECT status, attempt_count FROM invoices", "open|1");
  }
  {
    g_autoptr (JsonObject) failed = event_at ("invoice.payment_failed", second);
    g_autoptr (JsonObject) paid = event_at ("invoice.paid", second);

    assert_same_second (fixture, failed, paid, "SELECT status, attempt_count FROM invoices",
                        "paid|2");
  }
  {
    g_autoptr (JsonObject) attached = event_at ("payment_method.attached", second);
    g_autoptr (JsonObject) detached = event_at ("payment_method.detached", second);

    assert_same_second (fixture, attached, detached,
                        "SELECT customer_id IS NULL FROM payment_methods", "t");
  }
  {
    g_autoptr (JsonObject) updated = event_at ("customer.updated", second);
    g_autoptr (JsonObject) deleted = event_at ("customer.deleted", second);

    assert_same_second (fixture, updated, deleted, "SELECT is_deleted FROM customers", "t");
  }
  {
    g_autoptr (JsonObject) active = event_at (
      "customer.subscription.updated--cancel_at_period_end", second);
    g_autoptr (JsonObject) canceled = event_at ("customer.subscription.deleted", second);

    assert_same_second (fixture, active, canceled, "SELECT status FROM subscriptions",
                        "canceled");
  }
}

/* Sets the id of the first item of a subscription event. */
static void
set_first_item_id (JsonObject *event,
                   const char *item_id)
{
  JsonObject *subscription = json_object_get_object_member (
    json_object_get_object_member (event, "data"), "object");
  JsonArray *items = json_object_get_array_member (
    json_object_get_object_member (subscription, "items"), "data");

  json_object_set_string_member (json_array_get_object_element (items, 0), "id", item_id);
}

static void
test_removed_item_is_kept_out_of_the_current_state_in_any_order (Fixture       *fixture,
                                                   gconstpointer  data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *mirror = NULL;
  JsonObject *replaced, *later;

  if (skip_without_stripe_files (fixture))
    return;

  /* The item of the plan change gets a new id, as when an item is deleted
   * and another added; a later update still has the new one. */
  events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_ptr_array_add (events, load_event ("customer.subscription.created"));
  g_ptr_array_add (events, load_event ("customer.subscription.updated--past_due"));
  replaced = event_at ("customer.subscription.updated", 1789746012);
  set_first_item_id (replaced, "si_NewItemForPro");
  g_ptr_array_add (events, replaced);
  later = event_at ("customer.subscription.updated--cancel_at_period_end", 1790323531);
  set_first_item_id (later, "si_NewItemForPro");
  g_ptr_array_add (events, later);

  mirror = assert_any_order_gives_the_same_mirror (fixture, events);
  assert_rows (fixture,
               "SELECT i.id, i.price_id, c.id IS NULL, i.stripe_state_at "
               "FROM subscription_items i LEFT JOIN current_subscription_items c ON c.id = i.id "
               "ORDER BY i.id",
               "si_NewItemForPro|price_1qtDarQk7RzB2mXe4aLO029o|f|2026-09-25 08:05:31+00\n"
               "si_p1ENqHecFEsN7Q|price_1qtDaCQk7RzB2mXedudr1yhT|t|2026-09-03 10:17:53+00");
}

/* An event of @type, at @created, whose data.object is @object. */
static JsonObject *
wrap_event (const char *id,
            const char *type,
            gint64      created,
            JsonObject *object)
{
  JsonObject *event = json_object_new ();
  JsonObject *data = json_object_new ();

  json_object_set_object_member (data, "object", json_object_ref (object));
  json_object_set_string_member (event, "id", id);
  json_object_set_string_member (event, "object", "event");
  json_object_set_string_member (event, "api_version", COFFER_WEBHOOK_API_VERSION);
  json_object_set_int_member (event, "created", created);
  json_object_set_object_member (event, "data", data);
  json_object_set_string_member (event, "type", type);
  return event;
}

static void
test_price_and_product_events_keep_what_changes (Fixture       *fixture,
                                                 gconstpointer  data)
{
  g_autoptr (JsonObject) subscription_event = NULL, price = NULL, deactivated = NULL;
  g_autoptr (JsonNode) product_node = NULL, renamed_node = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *mirror = NULL;
  JsonObject *item;

  if (skip_without_stripe_files (fixture))
    return;

  /* The Starter price, as a subscription item embeds it. */
  subscription_event = load_event ("customer.subscription.created");
  item = json_array_get_object_element (
    json_object_get_array_member (
      json_object_get_object_member (object_of (subscription_event), "items"), "data"), 0);
  price = copy_event (json_object_get_object_member (item, "price"));
  deactivated = copy_event (price);
  json_object_set_boolean_member (deactivated, "active", FALSE);
  product_node = json_from_string ("{\"id\": \"prod_PqDy1n5hpNsDPB\", \"object\": \"product\","
                                   "\"active\": true, \"created\": 1781529700,"
                                   "\"description\": null, \"name\": \"Starter\"}", NULL);
  renamed_node = json_from_string ("{\"id\": \"prod_PqDy1n5hpNsDPB\", \"object\": \"product\","
                                   "\"active\": true, \"created\": 1781529700,"
                                   "\"description\": \"Up to 3 seats\","
                                   "\"name\": \"Starter (2026)\"}", NULL);

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_ptr_array_add (events, wrap_event ("evt_test_product_created", "product.created", 1781529700,
                                       json_node_get_object (product_node)));
  g_ptr_array_add (events, wrap_event ("evt_test_price_created", "price.created", 1781529728,
                                       price));
  g_ptr_array_add (events, wrap_event ("evt_test_product_updated", "product.updated", 1784000000,
                                       json_node_get_object (renamed_node)));
  /* The subscription embeds the price as it was (active) after it changed:
   * an embedded copy never overrides what a price event said. */
  g_ptr_array_add (events, wrap_event ("evt_test_price_updated", "price.updated", 1784000100,
                                       deactivated));
  g_ptr_array_add (events, json_object_ref (subscription_event));

  mirror = assert_any_order_gives_the_same_mirror (fixture, events);
  assert_rows (fixture,
               "SELECT id, product_id, currency, unit_amount, recurring_interval, active, "
               "lookup_key, stripe_state_at, stripe_state_event FROM prices",
               "price_1qtDaCQk7RzB2mXedudr1yhT|prod_PqDy1n5hpNsDPB|USD|2000|month|f|"
               "starter_monthly|2026-07-14 03:35:00+00|evt_test_price_updated");
  assert_rows (fixture, "SELECT id, name, description, active, is_deleted FROM products",
               "prod_PqDy1n5hpNsDPB|Starter (2026)|Up to 3 seats|t|f");
}

/* --- API versions ------------------------------------------------------------- */

static void
test_pre_basil_subscription_has_its_period_on_the_subscription (Fixture       *fixture,
                                                                 gconstpointer  data)
{
  const char * const versions[] = { "2024-06-20", "2025-02-24.acacia", "2022-11-15", NULL };

  if (skip_without_stripe_files (fixture))
    return;

  for (guint v = 0; versions[v]; v++)
    {
      g_autoptr (JsonObject) original = load_event ("customer.subscription.created");
      g_autoptr (JsonObject) event = copy_event (original);
      g_autofree char *expected = g_strdup_printf ("2026-08-03 09:16:42+00|"
                                                   "2026-09-03 09:16:42+00|"
                                                   "2026-08-03 09:16:42+00|"
                                                   "2026-09-03 09:16:42+00|%s", versions[v]);
      JsonObject *subscription = object_of (event);
      JsonObject *item = json_array_get_object_element (
        json_object_get_array_member (json_object_get_object_member (subscription, "items"),
                                      "data"), 0);

      /* Before basil, the period is the subscription's and items have none. */
      json_object_set_string_member (event, "api_version", versions[v]);
      json_object_set_int_member (subscription, "current_period_start",
                                  json_object_get_int_member (item, "current_period_start"));
      json_object_set_int_member (subscription, "current_period_end",
                                  json_object_get_int_member (item, "current_period_end"));
      json_object_remove_member (item, "current_period_start");
      json_object_remove_member (item, "current_period_end");

      clear_mirror (fixture);
      g_assert_cmpint (apply_ok (fixture, event), ==, COFFER_WEBHOOK_OUTCOME_APPLIED);
      assert_rows (fixture,
                   "SELECT s.current_period_start, s.current_period_end, "
                   "i.current_period_start, i.current_period_end, s.stripe_api_version "
                   "FROM subscriptions s JOIN subscription_items i ON i.subscription_id = s.id",
                   expected);
    }
}

static void
test_pre_basil_invoice_and_charge_name_their_links (Fixture       *fixture,
                                                    gconstpointer  data)
{
  g_autoptr (JsonObject) original_invoice = NULL, original_subscription = NULL;
  g_autoptr (JsonObject) original_charge = NULL;
  g_autoptr (JsonObject) invoice_event = NULL, charge_event = NULL;
  JsonObject *invoice, *line, *item;

  if (skip_without_stripe_files (fixture))
    return;

  original_invoice = load_event ("invoice.payment_failed");
  original_subscription = load_event ("customer.subscription.created");
  original_charge = load_event ("charge.failed");
  invoice_event = copy_event (original_invoice);
  charge_event = copy_event (original_charge);

  /* The pre-basil invoice: subscription, charge and payment intent at the
   * top; each line with its price object, subscription item and proration. */
  json_object_set_string_member (invoice_event, "api_version", "2024-06-20");
  invoice = object_of (invoice_event);
  json_object_set_string_member (invoice, "subscription", "sub_1rAv6YQk7RzB2mXeZurtROva");
  json_object_set_string_member (invoice, "charge", "ch_1rMAphQk7RzB2mXejeKQoVNs");
  json_object_set_string_member (invoice, "payment_intent", "pi_1rMAphQk7RzB2mXeONUY4sVl");
  json_object_set_boolean_member (invoice, "paid", FALSE);
  json_object_remove_member (invoice, "parent");
  line = json_array_get_object_element (
    json_object_get_array_member (json_object_get_object_member (invoice, "lines"), "data"), 0);
  item = json_array_get_object_element (
    json_object_get_array_member (
      json_object_get_object_member (object_of (original_subscription), "items"), "data"), 0);
  json_object_set_object_member (line, "price",
                                 json_object_ref (json_object_get_object_member (item, "price")));
  json_object_set_string_member (line, "subscription_item", "si_p1ENqHecFEsN7Q");
  json_object_set_boolean_member (line, "proration", FALSE);
  json_object_set_string_member (line, "type", "subscription");
  json_object_remove_member (line, "parent");
  json_object_remove_member (line, "pricing");

  json_object_set_string_member (charge_event, "api_version", "2025-02-24.acacia");
  json_object_set_string_member (object_of (charge_event), "invoice",
                                 "in_1rM9scQk7RzB2mXeyMRLBGSE");

  g_assert_cmpint (apply_ok (fixture, invoice_event), ==, COFFER_WEBHOOK_OUTCOME_APPLIED);
  g_assert_cmpint (apply_ok (fixture, charge_event), ==, COFFER_WEBHOOK_OUTCOME_APPLIED);
  assert_rows (fixture,
               "SELECT subscription_id, charge_id, payment_intent_id, attempt_count FROM invoices",
               "sub_1rAv6YQk7RzB2mXeZurtROva|ch_1rMAphQk7RzB2mXejeKQoVNs|"
               "pi_1rMAphQk7RzB2mXeONUY4sVl|1");
  assert_rows (fixture,
               "SELECT price_id, product_id, subscription_id, subscription_item_id, is_proration "
               "FROM invoice_lines",
               "price_1qtDaCQk7RzB2mXedudr1yhT|prod_PqDy1n5hpNsDPB|sub_1rAv6YQk7RzB2mXeZurtROva|"
               "si_p1ENqHecFEsN7Q|f");
  assert_rows (fixture, "SELECT unit_amount, currency, recurring_interval FROM prices",
               "2000|USD|month");
  assert_rows (fixture,
               "SELECT a.invoice_id, v.invoice_id, a.decline_code FROM payment_attempts a "
               "JOIN invoice_payment_attempts v USING (charge_id)",
               "in_1rM9scQk7RzB2mXeyMRLBGSE|in_1rM9scQk7RzB2mXeyMRLBGSE|insufficient_funds");
}

static void
test_older_charge_lists_its_refunds (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr (JsonObject) original = NULL, event = NULL;
  g_autoptr (JsonNode) refunds = NULL;

  if (skip_without_stripe_files (fixture))
    return;

  original = load_event ("charge.refunded");
  event = copy_event (original);
  refunds = json_from_string ("{\"object\": \"list\", \"has_more\": false, \"data\": [{"
                              "\"id\": \"re_1rU7JkQk7RzB2mXeRefund01\", \"object\": \"refund\","
                              "\"amount\": 1474, \"currency\": \"usd\", \"created\": 1790323780,"
                              "\"payment_intent\": \"pi_1rRh0vQk7RzB2mXeJUNYVzDy\","
                              "\"reason\": \"requested_by_customer\","
                              "\"status\": \"succeeded\"}]}",
                              NULL);
  json_object_set_member (object_of (event), "refunds", g_steal_pointer (&refunds));

  g_assert_cmpint (apply_ok (fixture, event), ==, COFFER_WEBHOOK_OUTCOME_APPLIED);
  assert_rows (fixture, "SELECT id, charge_id, amount, currency, reason, status FROM refunds",
               "re_1rU7JkQk7RzB2mXeRefund01|ch_1rRh0wQk7RzB2mXedm5nUHVR|1474|USD|"
               "requested_by_customer|succeeded");
}

static void
test_supported_api_versions (void)
{
  const char * const supported[] = {
    COFFER_WEBHOOK_API_VERSION, "2026-03-25.dahlia", "2025-10-29.clover", "2025-03-31.basil",
    "2025-08-27.basil", "2025-02-24.acacia", "2024-09-30.acacia", "2024-06-20", "2023-10-16",
    "2022-11-15", NULL
  };
  const char * const unsupported[] = {
    "2026-09-30.dahlia", "2027-01-28.ember", "2022-08-01", "2020-08-27", "2019-12-03",
    "2025-03-31.preview", "2025-03-31", "2024-06-20.basil", "2025-04-30.acacia",
    "2025-10-29.basil", "latest", "", "2025-13-01.basil", "2025-03-31.basil.extra", NULL
  };

  for (guint i = 0; supported[i]; i++)
    if (!coffer_webhook_is_supported_api_version (supported[i]))
      g_error ("API version “%s” should be supported", supported[i]);
  for (guint i = 0; unsupported[i]; i++)
    if (coffer_webhook_is_supported_api_version (unsupported[i]))
      g_error ("API version “%s” should not be supported", unsupported[i]);
  g_assert_false (coffer_webhook_is_supported_api_version (NULL));
}

static void
test_unsupported_api_version_is_parked (Fixture       *fixture,
                                        gconstpointer  data)
{
  /* NULL: "api_version": null. */
  const char * const versions[] = { "2026-09-30.ember", "2019-12-03", "2025-03-31.preview",
                                    NULL };

  if (skip_without_stripe_files (fixture))
    return;

  for (guint v = 0; v < G_N_ELEMENTS (versions); v++)
    {
      g_autoptr (JsonObject) original = load_event ("invoice.paid");
      g_autoptr (JsonObject) event = copy_event (original);
      g_autoptr (GError) error = NULL;
      CofferWebhookOutcome outcome;

      if (versions[v] != NULL)
        json_object_set_string_member (event, "api_version", versions[v]);
      else
        json_object_set_null_member (event, "api_version");
      g_assert_false (apply_event (fixture, event, &outcome, &error));
      g_assert_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION);
      g_assert_nonnull (strstr (error->message, "evt_1rNGGQQk7RzB2mXedHVJllji"));
      if (versions[v] != NULL)
        g_assert_nonnull (strstr (error->message, versions[v]));
      g_assert_true (mirror_is_empty (fixture));
    }
}

/* --- Bad input ------------------------------------------------------------------- */

typedef void (*Breakage) (JsonObject *event);

static void
remove_data_object (JsonObject *event)
{
  json_object_remove_member (json_object_get_object_member (event, "data"), "object");
}

static void
make_data_object_a_string (JsonObject *event)
{
  json_object_set_string_member (json_object_get_object_member (event, "data"), "object",
                                 "in_1rM9scQk7RzB2mXeyMRLBGSE");
}

static void
remove_data (JsonObject *event)
{
  json_object_remove_member (event, "data");
}

static void
remove_event_id (JsonObject *event)
{
  json_object_remove_member (event, "id");
}

static void
make_created_a_string (JsonObject *event)
{
  json_object_set_string_member (event, "created", "1788689874");
}

static void
remove_object_id (JsonObject *event)
{
  json_object_remove_member (object_of (event), "id");
}

static void
make_amount_a_string (JsonObject *event)
{
  json_object_set_string_member (object_of (event), "amount_due", "2000");
}

static void
make_amount_a_fraction (JsonObject *event)
{
  json_object_set_double_member (object_of (event), "amount_paid", 20.5);
}

static void
make_status_unknown (JsonObject *event)
{
  json_object_set_string_member (object_of (event), "status", "frozen");
}

static void
make_currency_two_letters (JsonObject *event)
{
  json_object_set_string_member (object_of (event), "currency", "us");
}

static void
make_lines_an_array (JsonObject *event)
{
  json_object_set_array_member (object_of (event), "lines", json_array_new ());
}

static void
make_object_a_customer (JsonObject *event)
{
  json_object_set_string_member (object_of (event), "object", "customer");
}

static void
remove_customer (JsonObject *event)
{
  json_object_remove_member (object_of (event), "customer");
}

static void
repeat_the_line (JsonObject *event)
{
  JsonArray *lines = json_object_get_array_member (
    json_object_get_object_member (object_of (event), "lines"), "data");

  json_array_add_object_element (lines,
                                 json_object_ref (json_array_get_object_element (lines, 0)));
}

static void
make_line_amount_null (JsonObject *event)
{
  JsonArray *lines = json_object_get_array_member (
    json_object_get_object_member (object_of (event), "lines"), "data");

  json_object_set_null_member (json_array_get_object_element (lines, 0), "amount");
}

static void
test_malformed_events_are_parked_and_write_nothing (Fixture       *fixture,
                                                    gconstpointer  data)
{
  static const struct
  {
    Breakage    breakage;
    const char *in_message;
  } cases[] = {
    { remove_data_object, "data.object" },
    { make_data_object_a_string, "“object” is \"in_1rM9scQk7RzB2mXeyMRLBGSE\" (a string)" },
    { remove_data, "“data” is missing" },
    { remove_event_id, "Event without an id: “id” is missing" },
    { make_created_a_string, "“created” is \"1788689874\" (a string), expected an integer" },
    { remove_object_id, "has no id" },
    { make_amount_a_string, "“amount_due” is \"2000\" (a string), expected an integer" },
    { make_amount_a_fraction, "“amount_paid” is 20.5 (a number with a fraction)" },
    { make_status_unknown, "status “frozen” is not one Coffer knows" },
    { make_currency_two_letters, "“currency” is “us”, not a three-letter" },
    { make_lines_an_array, "“lines” is an array, expected an object" },
    { make_object_a_customer, "data.object is “customer”, expected “invoice”" },
    { remove_customer, "“customer” is missing" },
    { repeat_the_line, "line il_1rM9sdQk7RzB2mXez7qfoKbV appears twice" },
    { make_line_amount_null, "lines.data[0]: “amount” is missing or null" },
  };

  if (skip_without_stripe_files (fixture))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonObject) original = load_event ("invoice.paid");
      g_autoptr (JsonObject) event = copy_event (original);
      g_autoptr (GError) error = NULL;
      CofferWebhookOutcome outcome;

      cases[i].breakage (event);
      g_assert_false (apply_event (fixture, event, &outcome, &error));
      g_assert_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED);
      if (strstr (error->message, cases[i].in_message) == NULL)
        g_error ("Case %u: “%s” does not say “%s”", i, error->message, cases[i].in_message);
      g_assert_true (mirror_is_empty (fixture));
    }

  /* A subscription whose items are not a list is malformed too. */
  {
    g_autoptr (JsonObject) original = load_event ("customer.subscription.created");
    g_autoptr (JsonObject) event = copy_event (original);
    g_autoptr (GError) error = NULL;
    CofferWebhookOutcome outcome;

    json_object_set_int_member (object_of (event), "items", 1);
    g_assert_false (apply_event (fixture, event, &outcome, &error));
    g_assert_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED);
    g_assert_nonnull (strstr (error->message, "subscription sub_1rAv6YQk7RzB2mXeZurtROva"));
    g_assert_true (mirror_is_empty (fixture));
  }
}

static void
test_unknown_type_is_ignored_and_writes_nothing (Fixture       *fixture,
                                                 gconstpointer  data)
{
  g_autoptr (JsonObject) original = NULL, event = NULL;

  if (skip_without_stripe_files (fixture))
    return;

  original = load_event ("customer.created");
  event = copy_event (original);
  json_object_set_string_member (event, "type", "customer.discount.created");
  g_assert_cmpint (apply_ok (fixture, event), ==, COFFER_WEBHOOK_OUTCOME_IGNORED);
  /* An unknown type is ignored whatever its version. */
  json_object_set_string_member (event, "api_version", "2031-01-01.zinnia");
  g_assert_cmpint (apply_ok (fixture, event), ==, COFFER_WEBHOOK_OUTCOME_IGNORED);
  g_assert_true (mirror_is_empty (fixture));
}

static void
test_handled_types_are_those_of_the_issue (void)
{
  const char * const required[] = {
    "customer.created", "customer.updated", "customer.deleted",
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "customer.subscription.paused",
    "customer.subscription.resumed", "customer.subscription.trial_will_end",
    "customer.subscription.pending_update_applied", "invoice.created", "invoice.finalized",
    "invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed",
    "invoice.payment_action_required", "invoice.voided", "invoice.marked_uncollectible",
    "invoice.upcoming", "payment_method.attached", "payment_method.detached",
    "payment_method.updated", "payment_method.automatically_updated", "charge.succeeded",
    "charge.failed", "charge.refunded", "setup_intent.succeeded",
    "checkout.session.completed", NULL
  };
  const char * const *handled = coffer_webhook_get_handled_types ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; required[i]; i++)
    if (!g_strv_contains (handled, required[i]))
      g_error ("%s is not handled", required[i]);
  for (guint i = 0; handled[i]; i++)
    g_assert_true (g_hash_table_add (seen, (gpointer) handled[i]));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GPtrArray) sequences = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webhook/apply/handled-types-are-those-of-the-issue",
                   test_handled_types_are_those_of_the_issue);
  g_test_add_func ("/webhook/apply/supported-api-versions", test_supported_api_versions);
  g_test_add ("/webhook/apply/every-event-file-applies-with-its-expected-rows", Fixture, NULL,
              fixture_set_up, test_every_event_file_applies_with_its_expected_rows,
              fixture_tear_down);

  /* One test per story in ../shared/stripe/events/sequences. */
  sequences = list_json_files ("events/sequences");
  if (sequences->len == 0)
    g_test_add ("/webhook/apply/sequence-any-order-gives-the-same-mirror", Fixture, NULL,
                fixture_set_up, test_sequence_any_order_gives_the_same_mirror,
                fixture_tear_down);
  for (guint i = 0; i < sequences->len; i++)
    {
      const char *file = g_ptr_array_index (sequences, i);
      g_autofree char *story = g_strndup (file, strcspn (file, "-."));
      g_autofree char *path = g_strdup_printf (
        "/webhook/apply/sequence-%s-any-order-gives-the-same-mirror", story);

      g_test_add (path, Fixture, file, fixture_set_up,
                  test_sequence_any_order_gives_the_same_mirror, fixture_tear_down);
    }

  g_test_add ("/webhook/apply/whole-story-any-order-gives-the-same-mirror", Fixture, NULL,
              fixture_set_up, test_whole_story_any_order_gives_the_same_mirror,
              fixture_tear_down);
  g_test_add ("/webhook/apply/same-second-events-follow-the-lifecycle", Fixture, NULL,
              fixture_set_up, test_same_second_events_follow_the_lifecycle, fixture_tear_down);
  g_test_add ("/webhook/apply/removed-item-is-kept-out-of-the-current-state-in-any-order",
              Fixture, NULL, fixture_set_up,
              test_removed_item_is_kept_out_of_the_current_state_in_any_order,
              fixture_tear_down);
  g_test_add ("/webhook/apply/price-and-product-events-keep-what-changes", Fixture, NULL,
              fixture_set_up, test_price_and_product_events_keep_what_changes,
              fixture_tear_down);
  g_test_add ("/webhook/apply/pre-basil-subscription-has-its-period-on-the-subscription",
              Fixture, NULL, fixture_set_up,
              test_pre_basil_subscription_has_its_period_on_the_subscription,
              fixture_tear_down);
  g_test_add ("/webhook/apply/pre-basil-invoice-and-charge-name-their-links", Fixture, NULL,
              fixture_set_up, test_pre_basil_invoice_and_charge_name_their_links,
              fixture_tear_down);
  g_test_add ("/webhook/apply/older-charge-lists-its-refunds", Fixture, NULL, fixture_set_up,
              test_older_charge_lists_its_refunds, fixture_tear_down);
  g_test_add ("/webhook/apply/unsupported-api-version-is-parked", Fixture, NULL,
              fixture_set_up, test_unsupported_api_version_is_parked, fixture_tear_down);
  g_test_add ("/webhook/apply/malformed-events-are-parked-and-write-nothing", Fixture, NULL,
              fixture_set_up, test_malformed_events_are_parked_and_write_nothing,
              fixture_tear_down);
  g_test_add ("/webhook/apply/unknown-type-is-ignored-and-writes-nothing", Fixture, NULL,
              fixture_set_up, test_unknown_type_is_ignored_and_writes_nothing,
              fixture_tear_down);

  status = g_test_run ();
  return status;
}
