/* coffer-webhook-subscription.c: customer.subscription.* — the subscription,
 * its items, and the prices they name. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Lifecycle order, for events of the same second: a subscription starts
 * incomplete or trialing, becomes active, may fall past due, unpaid or
 * paused, and ends canceled (or incomplete_expired). A recovery (past_due →
 * active) needs a payment retry, which never lands in the second of the
 * failure, so it is never decided by rank. */
static const char * const statuses[] = {
  "incomplete", "trialing", "active", "past_due", "unpaid", "paused", "canceled",
  "incomplete_expired", NULL
};

/* One statement: $1 … $25 the subscription, $26 … $29 the state key, $30 the
 * items, $31 … $33 the catalog. Every item listed is written with the
 * subscription's key when that is newer than the item's own, whether or not
 * the subscription itself takes this state: an item's row ends as the newest
 * state that listed it, in any order of delivery. */
static const char upsert_sql[] =
  "WITH subscription AS ("
  "  INSERT INTO subscriptions AS s (id, customer_id, status, currency, collection_method,"
  "    days_until_due, current_period_start, current_period_end, billing_cycle_anchor,"
  "    start_date, trial_start, trial_end, trial_missing_payment_method, cancel_at_period_end,"
  "    cancel_at, canceled_at, ended_at, cancellation_reason, pause_collection_behavior,"
  "    pause_collection_resumes_at, default_payment_method_id, latest_invoice_id, metadata,"
  "    items_complete, stripe_created_at, stripe_state_at, stripe_state_rank,"
  "    stripe_state_event, stripe_api_version)"
  "  VALUES ($1, $2, $3, $4, $5, $6, to_timestamp ($7::bigint), to_timestamp ($8::bigint),"
  "    to_timestamp ($9::bigint), to_timestamp ($10::bigint), to_timestamp ($11::bigint),"
  "    to_timestamp ($12::bigint), $13, $14, to_timestamp ($15::bigint),"
  "    to_timestamp ($16::bigint), to_timestamp ($17::bigint), $18, $19,"
  "    to_timestamp ($20::bigint), $21, $22, $23::jsonb, $24, to_timestamp ($25::bigint),"
  "    to_timestamp ($26::bigint), $27, $28::text, $29::text)"
  "  ON CONFLICT (id) DO UPDATE SET"
  "    customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,"
  "    currency = EXCLUDED.currency, collection_method = EXCLUDED.collection_method,"
  "    days_until_due = EXCLUDED.days_until_due,"
  "    current_period_start = EXCLUDED.current_period_start,"
  "    current_period_end = EXCLUDED.current_period_end,"
  "    billing_cycle_anchor = EXCLUDED.billing_cycle_anchor, start_date = EXCLUDED.start_date,"
  "    trial_start = EXCLUDED.trial_start, trial_end = EXCLUDED.trial_end,"
  "    trial_missing_payment_method = EXCLUDED.trial_missing_payment_method,"
  "    cancel_at_period_end = EXCLUDED.cancel_at_period_end, cancel_at = EXCLUDED.cancel_at,"
  "    canceled_at = EXCLUDED.canceled_at, ended_at = EXCLUDED.ended_at,"
  "    cancellation_reason = EXCLUDED.cancellation_reason,"
  "    pause_collection_behavior = EXCLUDED.pause_collection_behavior,"
  "    pause_collection_resumes_at = EXCLUDED.pause_collection_resumes_at,"
  "    default_payment_method_id = EXCLUDED.default_payment_method_id,"
  "    latest_invoice_id = EXCLUDED.latest_invoice_id, metadata = EXCLUDED.metadata,"
  "    items_complete = EXCLUDED.items_complete,"
  "    stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  "  WHERE " COFFER_WEBHOOK_NEWER ("s")
  "  RETURNING 1), "
  "items AS ("
  "  INSERT INTO subscription_items AS i (id, subscription_id, price_id, product_id, quantity,"
  "    current_period_start, current_period_end, metadata, stripe_created_at,"
  "    stripe_state_at, stripe_state_rank, stripe_state_event, stripe_api_version)"
  "  SELECT x.id, $1, x.price_id, x.product_id, x.quantity,"
  "    to_timestamp (x.current_period_start), to_timestamp (x.current_period_end),"
  "    coalesce (x.metadata, '{}'), to_timestamp (x.created), to_timestamp ($26::bigint),"
  "    $27, $28, $29"
  "  FROM jsonb_to_recordset ($30::jsonb) AS x (id text, price_id text, product_id text,"
  "    quantity bigint, current_period_start bigint, current_period_end bigint,"
  "    metadata jsonb, created bigint)"
  "  ORDER BY x.id"
  "  ON CONFLICT (id) DO UPDATE SET"
  "    subscription_id = EXCLUDED.subscription_id, price_id = EXCLUDED.price_id,"
  "    product_id = EXCLUDED.product_id, quantity = EXCLUDED.quantity,"
  "    current_period_start = EXCLUDED.current_period_start,"
  "    current_period_end = EXCLUDED.current_period_end, metadata = EXCLUDED.metadata,"
  "    stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  "  WHERE " COFFER_WEBHOOK_NEWER ("i")
  "  RETURNING 1), "
  COFFER_WEBHOOK_CATALOG_CTES ("$31", "$32", "$33")
  " SELECT EXISTS (SELECT FROM subscription)";

typedef struct
{
  gboolean has_period;
  gint64   start;
  gint64   end;
} Period;

/* Before basil the period is the subscription's and each item shares it;
 * from basil on each item has its own, and the subscription's is taken from
 * the item that renews first. */
static void
add_item (GString              *items,
          GHashTable           *seen_ids,
          CofferWebhookCatalog *catalog,
          JsonObject           *item,
          const Period         *subscription_period,
          Period               *first_renewal,
          GError              **problem)
{
  const char *id = coffer_webhook_json_require_string (item, "id", problem);
  const char *price_id = NULL;
  JsonObject *price = coffer_webhook_json_get_object (item, "price", NULL);
  JsonObject *metadata = coffer_webhook_json_get_object (item, "metadata", problem);
  Period period = *subscription_period;
  gint64 quantity, created;

  if (id != NULL && !g_hash_table_add (seen_ids, (gpointer) id) && *problem == NULL)
    g_set_error (problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "item %s appears twice", id);
  if (price != NULL)
    price_id = coffer_webhook_catalog_add_price (catalog, price, problem);
  else
    price_id = coffer_webhook_json_get_id (item, "price", problem);
  if (!subscription_period->has_period)
    {
      period.has_period = coffer_webhook_json_get_int (item, "current_period_start",
                                                       &period.start, problem);
      period.has_period &= coffer_webhook_json_get_int (item, "current_period_end", &period.end,
                                                        problem);
    }
  if (period.has_period &&
      (!first_renewal->has_period || period.end < first_renewal->end ||
       (period.end == first_renewal->end && period.start < first_renewal->start)))
    *first_renewal = period;
  if (*problem != NULL)
    return;

  coffer_webhook_record_begin (items);
  coffer_webhook_record_add_string (items, "id", id);
  coffer_webhook_record_add_string (items, "price_id", price_id);
  coffer_webhook_record_add_string (items, "product_id",
                                    coffer_webhook_catalog_get_product (catalog, price_id));
  if (coffer_webhook_json_get_int (item, "quantity", &quantity, problem))
    coffer_webhook_record_add_int (items, "quantity", quantity);
  if (period.has_period)
    {
      coffer_webhook_record_add_int (items, "current_period_start", period.start);
      coffer_webhook_record_add_int (items, "current_period_end", period.end);
    }
  if (metadata != NULL)
    coffer_webhook_record_add_json (items, "metadata", json_object_get_member (item, "metadata"));
  if (coffer_webhook_json_get_int (item, "created", &created, problem))
    coffer_webhook_record_add_int (items, "created", created);
  coffer_webhook_record_end (items);
}

/* Every customer.subscription.* event carries the whole subscription: its
 * state replaces the mirror's when newer (see docs/events.md). */
gboolean
coffer_webhook_subscription_apply (const CofferWebhookEvent *event,
                                   CofferWebhookOutcome     *out_outcome,
                                   GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  g_autoptr (CofferWebhookCatalog) catalog = coffer_webhook_catalog_new ();
  g_autoptr (GString) items = coffer_webhook_records_new ();
  g_autoptr (GHashTable) seen_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *currency = NULL, *metadata = NULL, *items_text = NULL;
  JsonObject *subscription = event->object;
  const char *customer_id;
  JsonObject *cancellation, *pause_collection, *end_behavior;
  Period subscription_period = { FALSE, 0, 0 }, first_renewal = { FALSE, 0, 0 };
  JsonArray *item_list;
  const char *id, *status;
  gboolean has_more;
  gint rank;

  if (!coffer_webhook_check_object (event, "subscription", &id, error))
    return FALSE;

  customer_id = coffer_webhook_json_get_id (subscription, "customer", &problem);
  if (customer_id == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“customer” is missing or null");
  status = coffer_webhook_json_require_string (subscription, "status", &problem);
  rank = coffer_webhook_rank_of (status, statuses, "status", &problem);
  currency = coffer_webhook_json_require_currency (subscription, "currency", &problem);
  if (event->shape == COFFER_WEBHOOK_SHAPE_PRE_BASIL)
    {
      subscription_period.has_period =
        coffer_webhook_json_get_int (subscription, "current_period_start",
                                     &subscription_period.start, &problem);
      subscription_period.has_period &=
        coffer_webhook_json_get_int (subscription, "current_period_end",
                                     &subscription_period.end, &problem);
    }

  item_list = coffer_webhook_json_get_list (subscription, "items", &has_more, &problem);
  if (item_list == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“items” is missing or null");
  for (guint i = 0; item_list && i < json_array_get_length (item_list) && !problem; i++)
    {
      JsonObject *item = coffer_webhook_json_get_element (item_list, "items.data", i, &problem);

      if (item != NULL)
        add_item (items, seen_ids, catalog, item, &subscription_period, &first_renewal,
                  &problem);
      if (problem != NULL)
        g_prefix_error (&problem, "items.data[%u]: ", i);
    }
  items_text = coffer_webhook_records_free (g_steal_pointer (&items));

  query = coffer_db_query_new_prepared ("coffer_webhook_subscription_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, customer_id);
  coffer_db_query_text (query, status);
  coffer_db_query_text (query, currency);
  coffer_db_query_text (query, coffer_webhook_json_get_string (subscription,
                                                               "collection_method", &problem));
  coffer_webhook_bind_optional_int (query, subscription, "days_until_due", &problem);
  if (first_renewal.has_period)
    {
      coffer_db_query_int64 (query, first_renewal.start);
      coffer_db_query_int64 (query, first_renewal.end);
    }
  else
    {
      coffer_db_query_null (query);
      coffer_db_query_null (query);
    }
  coffer_webhook_bind_optional_int (query, subscription, "billing_cycle_anchor", &problem);
  coffer_webhook_bind_optional_int (query, subscription, "start_date", &problem);
  coffer_webhook_bind_optional_int (query, subscription, "trial_start", &problem);
  coffer_webhook_bind_optional_int (query, subscription, "trial_end", &problem);
  end_behavior = coffer_webhook_json_get_path (subscription, "trial_settings.end_behavior",
                                               &problem);
  coffer_db_query_text (query, coffer_webhook_json_get_string (end_behavior,
                                                               "missing_payment_method",
                                                               &problem));
  coffer_db_query_boolean (query, coffer_webhook_json_get_boolean (subscription,
                                                                   "cancel_at_period_end",
                                                                   &problem));
  coffer_webhook_bind_optional_int (query, subscription, "cancel_at", &problem);
  coffer_webhook_bind_optional_int (query, subscription, "canceled_at", &problem);
  coffer_webhook_bind_optional_int (query, subscription, "ended_at", &problem);
  cancellation = coffer_webhook_json_get_object (subscription, "cancellation_details", &problem);
  coffer_db_query_text (query, coffer_webhook_json_get_string (cancellation, "reason",
                                                               &problem));
  pause_collection = coffer_webhook_json_get_object (subscription, "pause_collection",
                                                     &problem);
  coffer_db_query_text (query, coffer_webhook_json_get_string (pause_collection, "behavior",
                                                               &problem));
  coffer_webhook_bind_optional_int (query, pause_collection, "resumes_at", &problem);
  coffer_db_query_text (query, coffer_webhook_json_get_id (subscription,
                                                           "default_payment_method", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (subscription, "latest_invoice",
                                                           &problem));
  metadata = coffer_webhook_json_get_metadata (subscription, &problem);
  coffer_db_query_text (query, metadata);
  /* A list with more pages is not the whole list (see current_subscription_items). */
  coffer_db_query_boolean (query, !has_more);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (subscription, "created",
                                                                 &problem));
  coffer_webhook_bind_state (query, event, rank);
  coffer_db_query_text (query, items_text);
  coffer_webhook_catalog_bind (catalog, query);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "subscription %s: ", id);
      return FALSE;
    }

  return coffer_webhook_run (event, query, out_outcome, error);
}
