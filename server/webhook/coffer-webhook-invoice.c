/* coffer-webhook-invoice.c: invoice.* — the invoice, its lines, the prices they
 * name, and the upcoming-invoice preview. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Lifecycle order: draft, open, then one of the ends. Within a status the
 * attempt count orders events of the same second, e.g. invoice.finalized
 * (attempt 0) and invoice.payment_failed (attempt 1) when the first charge
 * is declined at once. */
static const char * const statuses[] = {
  "draft", "open", "uncollectible", "paid", "void", NULL
};

#define ATTEMPTS_PER_STATUS 1000

/* One statement: $1 … $28 the invoice, $29 … $32 the state key, $33 the
 * lines, $34 … $36 the catalog. Lines follow the rules of a subscription's
 * items (coffer-webhook-subscription.c). */
static const char upsert_sql[] =
  "WITH invoice AS ("
  "  INSERT INTO invoices AS v (id, customer_id, subscription_id, status, number, currency,"
  "    amount_due, amount_paid, amount_remaining, subtotal, total, billing_reason,"
  "    collection_method, attempt_count, attempted, next_payment_attempt, due_date,"
  "    period_start, period_end, finalized_at, paid_at, voided_at, marked_uncollectible_at,"
  "    hosted_invoice_url, charge_id, payment_intent_id, lines_complete, stripe_created_at,"
  "    stripe_state_at, stripe_state_rank, stripe_state_event, stripe_api_version)"
  "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
  "    to_timestamp ($16::bigint), to_timestamp ($17::bigint), to_timestamp ($18::bigint),"
  "    to_timestamp ($19::bigint), to_timestamp ($20::bigint), to_timestamp ($21::bigint),"
  "    to_timestamp ($22::bigint), to_timestamp ($23::bigint), $24, $25, $26, $27,"
  "    to_timestamp ($28::bigint), to_timestamp ($29::bigint), $30, $31::text, $32::text)"
  "  ON CONFLICT (id) DO UPDATE SET"
  "    customer_id = EXCLUDED.customer_id, subscription_id = EXCLUDED.subscription_id,"
  "    status = EXCLUDED.status, number = EXCLUDED.number, currency = EXCLUDED.currency,"
  "    amount_due = EXCLUDED.amount_due, amount_paid = EXCLUDED.amount_paid,"
  "    amount_remaining = EXCLUDED.amount_remaining, subtotal = EXCLUDED.subtotal,"
  "    total = EXCLUDED.total, billing_reason = EXCLUDED.billing_reason,"
  "    collection_method = EXCLUDED.collection_method,"
  "    attempt_count = EXCLUDED.attempt_count, attempted = EXCLUDED.attempted,"
  "    next_payment_attempt = EXCLUDED.next_payment_attempt, due_date = EXCLUDED.due_date,"
  "    period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,"
  "    finalized_at = EXCLUDED.finalized_at, paid_at = EXCLUDED.paid_at,"
  "    voided_at = EXCLUDED.voided_at,"
  "    marked_uncollectible_at = EXCLUDED.marked_uncollectible_at,"
  "    hosted_invoice_url = EXCLUDED.hosted_invoice_url, charge_id = EXCLUDED.charge_id,"
  "    payment_intent_id = EXCLUDED.payment_intent_id,"
  "    lines_complete = EXCLUDED.lines_complete,"
  "    stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  "  WHERE " COFFER_WEBHOOK_NEWER ("v")
  "  RETURNING 1), "
  "lines AS ("
  "  INSERT INTO invoice_lines AS l (invoice_id, id, amount, currency, description, quantity,"
  "    period_start, period_end, price_id, product_id, subscription_id, subscription_item_id,"
  "    invoice_item_id, is_proration, stripe_state_at, stripe_state_rank, stripe_state_event,"
  "    stripe_api_version)"
  "  SELECT $1, x.id, x.amount, x.currency, x.description, x.quantity,"
  "    to_timestamp (x.period_start), to_timestamp (x.period_end), x.price_id, x.product_id,"
  "    x.subscription_id, x.subscription_item_id, x.invoice_item_id, x.is_proration,"
  "    to_timestamp ($29::bigint), $30, $31, $32"
  "  FROM jsonb_to_recordset ($33::jsonb) AS x (id text, amount bigint, currency text,"
  "    description text, quantity bigint, period_start bigint, period_end bigint,"
  "    price_id text, product_id text, subscription_id text, subscription_item_id text,"
  "    invoice_item_id text, is_proration boolean)"
  "  ORDER BY x.id"
  "  ON CONFLICT (invoice_id, id) DO UPDATE SET"
  "    amount = EXCLUDED.amount, currency = EXCLUDED.currency,"
  "    description = EXCLUDED.description, quantity = EXCLUDED.quantity,"
  "    period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,"
  "    price_id = EXCLUDED.price_id, product_id = EXCLUDED.product_id,"
  "    subscription_id = EXCLUDED.subscription_id,"
  "    subscription_item_id = EXCLUDED.subscription_item_id,"
  "    invoice_item_id = EXCLUDED.invoice_item_id, is_proration = EXCLUDED.is_proration, "
  COFFER_WEBHOOK_TAKE_STATE
  "  WHERE " COFFER_WEBHOOK_NEWER ("l")
  "  RETURNING 1), "
  COFFER_WEBHOOK_CATALOG_CTES ("$34", "$35", "$36")
  " SELECT EXISTS (SELECT FROM invoice)";

static const char upcoming_sql[] =
  "INSERT INTO upcoming_invoices AS u (subscription_id, customer_id, currency, amount_due,"
  "  subtotal, total, renews_at, next_payment_attempt, stripe_state_at, stripe_state_rank,"
  "  stripe_state_event, stripe_api_version)"
  " VALUES ($1, $2, $3, $4, $5, $6, to_timestamp ($7::bigint), to_timestamp ($8::bigint),"
  "   to_timestamp ($9::bigint), $10, $11, $12)"
  " ON CONFLICT (subscription_id) DO UPDATE SET"
  "   customer_id = EXCLUDED.customer_id, currency = EXCLUDED.currency,"
  "   amount_due = EXCLUDED.amount_due, subtotal = EXCLUDED.subtotal, total = EXCLUDED.total,"
  "   renews_at = EXCLUDED.renews_at, next_payment_attempt = EXCLUDED.next_payment_attempt, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE " COFFER_WEBHOOK_NEWER ("u")
  " RETURNING true";

/* The subscription an invoice belongs to: top-level before basil, under
 * parent.subscription_details from basil on. */
static const char *
get_subscription_id (const CofferWebhookEvent  *event,
                     JsonObject                *object,
                     GError                   **problem)
{
  JsonObject *details;

  if (event->shape == COFFER_WEBHOOK_SHAPE_PRE_BASIL)
    return coffer_webhook_json_get_id (object, "subscription", problem);
  details = coffer_webhook_json_get_path (object, "parent.subscription_details", problem);
  return coffer_webhook_json_get_id (details, "subscription", problem);
}

static void
add_optional_int (GString     *records,
                  JsonObject  *object,
                  const char  *member,
                  const char  *column,
                  GError     **problem)
{
  gint64 value;

  if (coffer_webhook_json_get_int (object, member, &value, problem))
    coffer_webhook_record_add_int (records, column, value);
}

/* One line as a record for the lines CTE. Before basil a line names its price
 * (a full object), subscription item and proration itself; from basil on they
 * sit under parent.*_details and pricing.price_details (ids only). */
static void
add_line (const CofferWebhookEvent  *event,
          GString                   *lines,
          GHashTable                *seen_ids,
          CofferWebhookCatalog      *catalog,
          JsonObject                *line,
          GError                   **problem)
{
  g_autofree char *currency = NULL;
  const char *id = coffer_webhook_json_require_string (line, "id", problem);
  const char *price_id = NULL, *product_id = NULL, *subscription_id, *item_id = NULL;
  const char *invoice_item_id = NULL;
  JsonObject *period = coffer_webhook_json_get_object (line, "period", problem);
  gboolean is_proration = FALSE;
  gint64 amount = coffer_webhook_json_require_int (line, "amount", problem);

  currency = coffer_webhook_json_require_currency (line, "currency", problem);
  subscription_id = coffer_webhook_json_get_id (line, "subscription", problem);
  if (event->shape == COFFER_WEBHOOK_SHAPE_PRE_BASIL)
    {
      JsonObject *price = coffer_webhook_json_get_object (line, "price", problem);

      if (price != NULL)
        price_id = coffer_webhook_catalog_add_price (catalog, price, problem);
      product_id = coffer_webhook_catalog_get_product (catalog, price_id);
      item_id = coffer_webhook_json_get_id (line, "subscription_item", problem);
      invoice_item_id = coffer_webhook_json_get_id (line, "invoice_item", problem);
      is_proration = coffer_webhook_json_get_boolean (line, "proration", problem);
    }
  else
    {
      JsonObject *price_details = coffer_webhook_json_get_path (line, "pricing.price_details",
                                                                problem);
      JsonObject *details = coffer_webhook_json_get_path (line,
                                                          "parent.subscription_item_details",
                                                          problem);

      if (details != NULL)
        item_id = coffer_webhook_json_get_id (details, "subscription_item", problem);
      else
        details = coffer_webhook_json_get_path (line, "parent.invoice_item_details", problem);
      if (details != NULL)
        {
          const char *parent_subscription = coffer_webhook_json_get_id (details, "subscription",
                                                                        problem);

          invoice_item_id = coffer_webhook_json_get_id (details, "invoice_item", problem);
          is_proration = coffer_webhook_json_get_boolean (details, "proration", problem);
          if (parent_subscription != NULL)
            subscription_id = parent_subscription;
        }
      price_id = coffer_webhook_json_get_id (price_details, "price", problem);
      product_id = coffer_webhook_json_get_id (price_details, "product", problem);
      coffer_webhook_catalog_add_price_id (catalog, price_id, product_id);
    }

  if (id != NULL && !g_hash_table_add (seen_ids, (gpointer) id) && *problem == NULL)
    g_set_error (problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "line %s appears twice", id);
  if (*problem != NULL)
    return;

  coffer_webhook_record_begin (lines);
  coffer_webhook_record_add_string (lines, "id", id);
  coffer_webhook_record_add_int (lines, "amount", amount);
  coffer_webhook_record_add_string (lines, "currency", currency);
  coffer_webhook_record_add_string (lines, "description",
                                    coffer_webhook_json_get_string (line, "description",
                                                                    problem));
  add_optional_int (lines, line, "quantity", "quantity", problem);
  add_optional_int (lines, period, "start", "period_start", problem);
  add_optional_int (lines, period, "end", "period_end", problem);
  coffer_webhook_record_add_string (lines, "price_id", price_id);
  coffer_webhook_record_add_string (lines, "product_id", product_id);
  coffer_webhook_record_add_string (lines, "subscription_id", subscription_id);
  coffer_webhook_record_add_string (lines, "subscription_item_id", item_id);
  coffer_webhook_record_add_string (lines, "invoice_item_id", invoice_item_id);
  coffer_webhook_record_add_boolean (lines, "is_proration", is_proration);
  coffer_webhook_record_end (lines);
}

/* invoice.created … invoice.marked_uncollectible: the whole invoice. */
gboolean
coffer_webhook_invoice_apply (const CofferWebhookEvent *event,
                              CofferWebhookOutcome     *out_outcome,
                              GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  g_autoptr (CofferWebhookCatalog) catalog = coffer_webhook_catalog_new ();
  g_autoptr (GString) lines = coffer_webhook_records_new ();
  g_autoptr (GHashTable) seen_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *currency = NULL, *lines_text = NULL;
  JsonObject *invoice = event->object;
  JsonObject *transitions;
  JsonArray *line_list;
  const char *id, *status, *customer_id;
  gboolean has_more;
  gint64 attempt_count;
  gint rank;

  if (!coffer_webhook_check_object (event, "invoice", &id, error))
    return FALSE;

  customer_id = coffer_webhook_json_get_id (invoice, "customer", &problem);
  if (customer_id == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“customer” is missing or null");
  status = coffer_webhook_json_require_string (invoice, "status", &problem);
  rank = coffer_webhook_rank_of (status, statuses, "status", &problem);
  coffer_webhook_json_get_int (invoice, "attempt_count", &attempt_count, &problem);
  if (attempt_count < 0 || attempt_count >= ATTEMPTS_PER_STATUS)
    attempt_count = ATTEMPTS_PER_STATUS - 1;
  currency = coffer_webhook_json_require_currency (invoice, "currency", &problem);

  line_list = coffer_webhook_json_get_list (invoice, "lines", &has_more, &problem);
  for (guint i = 0; line_list && i < json_array_get_length (line_list) && !problem; i++)
    {
      JsonObject *line = coffer_webhook_json_get_element (line_list, "lines.data", i, &problem);

      if (line != NULL)
        add_line (event, lines, seen_ids, catalog, line, &problem);
      if (problem != NULL)
        g_prefix_error (&problem, "lines.data[%u]: ", i);
    }
  lines_text = coffer_webhook_records_free (g_steal_pointer (&lines));

  query = coffer_db_query_new_prepared ("coffer_webhook_invoice_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, customer_id);
  coffer_db_query_text (query, get_subscription_id (event, invoice, &problem));
  coffer_db_query_text (query, status);
  coffer_db_query_text (query, coffer_webhook_json_get_string (invoice, "number", &problem));
  coffer_db_query_text (query, currency);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "amount_due",
                                                                 &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "amount_paid",
                                                                 &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "amount_remaining",
                                                                 &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "subtotal",
                                                                 &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "total", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (invoice, "billing_reason",
                                                               &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (invoice, "collection_method",
                                                               &problem));
  coffer_db_query_int64 (query, attempt_count);
  coffer_db_query_boolean (query, coffer_webhook_json_get_boolean (invoice, "attempted",
                                                                   &problem));
  coffer_webhook_bind_optional_int (query, invoice, "next_payment_attempt", &problem);
  coffer_webhook_bind_optional_int (query, invoice, "due_date", &problem);
  coffer_webhook_bind_optional_int (query, invoice, "period_start", &problem);
  coffer_webhook_bind_optional_int (query, invoice, "period_end", &problem);
  transitions = coffer_webhook_json_get_object (invoice, "status_transitions", &problem);
  coffer_webhook_bind_optional_int (query, transitions, "finalized_at", &problem);
  coffer_webhook_bind_optional_int (query, transitions, "paid_at", &problem);
  coffer_webhook_bind_optional_int (query, transitions, "voided_at", &problem);
  coffer_webhook_bind_optional_int (query, transitions, "marked_uncollectible_at", &problem);
  coffer_db_query_text (query, coffer_webhook_json_get_string (invoice, "hosted_invoice_url",
                                                               &problem));
  if (event->shape == COFFER_WEBHOOK_SHAPE_PRE_BASIL)
    {
      coffer_db_query_text (query, coffer_webhook_json_get_id (invoice, "charge", &problem));
      coffer_db_query_text (query, coffer_webhook_json_get_id (invoice, "payment_intent",
                                                               &problem));
    }
  else
    {
      coffer_db_query_null (query);
      coffer_db_query_null (query);
    }
  /* Without lines, or with more pages of them, the lines are not all known
   * (see current_invoice_lines). */
  coffer_db_query_boolean (query, line_list != NULL && !has_more);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "created", &problem));
  coffer_webhook_bind_state (query, event, (gint64) rank * ATTEMPTS_PER_STATUS + attempt_count);
  coffer_db_query_text (query, lines_text);
  coffer_webhook_catalog_bind (catalog, query);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "invoice %s: ", id);
      return FALSE;
    }

  return coffer_webhook_run (event, query, out_outcome, error);
}

/* invoice.upcoming: a preview without an id, a few days before a renewal;
 * kept per subscription, the newest preview winning. */
gboolean
coffer_webhook_invoice_apply_upcoming (const CofferWebhookEvent *event,
                                       CofferWebhookOutcome     *out_outcome,
                                       GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  g_autofree char *currency = NULL;
  JsonObject *invoice = event->object;
  const char *kind, *subscription_id, *customer_id;

  kind = coffer_webhook_json_get_string (invoice, "object", &problem);
  if (problem == NULL && g_strcmp0 (kind, "invoice") != 0)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "data.object is “%s”, expected “invoice”", kind ? kind : "(no object kind)");
  subscription_id = get_subscription_id (event, invoice, &problem);
  if (subscription_id == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "the upcoming invoice names no subscription");
  customer_id = coffer_webhook_json_get_id (invoice, "customer", &problem);
  if (customer_id == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“customer” is missing or null");
  currency = coffer_webhook_json_require_currency (invoice, "currency", &problem);

  query = coffer_db_query_new_prepared ("coffer_webhook_invoice_upcoming", upcoming_sql);
  coffer_db_query_text (query, subscription_id);
  coffer_db_query_text (query, customer_id);
  coffer_db_query_text (query, currency);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "amount_due",
                                                                 &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "subtotal",
                                                                 &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "total", &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (invoice, "created", &problem));
  coffer_webhook_bind_optional_int (query, invoice, "next_payment_attempt", &problem);
  coffer_webhook_bind_state (query, event, 0);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "upcoming invoice: ");
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}
