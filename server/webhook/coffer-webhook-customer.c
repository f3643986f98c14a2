/* coffer-webhook-customer.c: customer.created, customer.updated, customer.deleted. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Rank: a deletion is the last thing that happens to a customer. */
enum
{
  RANK_LIVE = 0,
  RANK_DELETED = 1,
};

static const char upsert_sql[] =
  "INSERT INTO customers AS c (id, email, name, phone, description, preferred_locale,"
  "                            address_country, currency, balance, delinquent, invoice_prefix,"
  "                            default_payment_method_id, metadata, stripe_created_at,"
  "                            is_deleted, deleted_at, stripe_state_at, stripe_state_rank,"
  "                            stripe_state_event, stripe_api_version)"
  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb,"
  "         to_timestamp ($14::bigint), $15, CASE WHEN $15 THEN to_timestamp ($16::bigint) END,"
  "         to_timestamp ($16::bigint), $17, $18, $19)"
  " ON CONFLICT (id) DO UPDATE SET"
  "   email = EXCLUDED.email, name = EXCLUDED.name, phone = EXCLUDED.phone,"
  "   description = EXCLUDED.description, preferred_locale = EXCLUDED.preferred_locale,"
  "   address_country = EXCLUDED.address_country, currency = EXCLUDED.currency,"
  "   balance = EXCLUDED.balance, delinquent = EXCLUDED.delinquent,"
  "   invoice_prefix = EXCLUDED.invoice_prefix,"
  "   default_payment_method_id = EXCLUDED.default_payment_method_id,"
  "   metadata = EXCLUDED.metadata, stripe_created_at = EXCLUDED.stripe_created_at,"
  "   is_deleted = EXCLUDED.is_deleted, deleted_at = EXCLUDED.deleted_at, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE " COFFER_WEBHOOK_NEWER ("c")
  " RETURNING true";

static gboolean
apply_customer (const CofferWebhookEvent *event,
                gboolean                  is_deleted,
                CofferWebhookOutcome     *out_outcome,
                GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  JsonObject *customer = event->object;
  const char *id, *locale = NULL;
  g_autofree char *currency = NULL, *metadata = NULL;
  JsonObject *address, *invoice_settings;
  JsonNode *locales;
  gint64 balance;

  if (!coffer_webhook_check_object (event, "customer", &id, error))
    return FALSE;

  query = coffer_db_query_new_prepared ("coffer_webhook_customer_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, coffer_webhook_json_get_string (customer, "email", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (customer, "name", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (customer, "phone", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (customer, "description",
                                                               &problem));
  locales = json_object_get_member (customer, "preferred_locales");
  if (locales && JSON_NODE_HOLDS_ARRAY (locales) &&
      json_array_get_length (json_node_get_array (locales)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (locales), 0);

      if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_STRING)
        locale = json_node_get_string (first);
    }
  coffer_db_query_text (query, locale);
  address = coffer_webhook_json_get_object (customer, "address", &problem);
  coffer_db_query_text (query, coffer_webhook_json_get_string (address, "country", &problem));
  currency = coffer_webhook_json_get_currency (customer, "currency", &problem);
  coffer_db_query_text (query, currency);
  coffer_webhook_json_get_int (customer, "balance", &balance, &problem);
  if (balance != 0 && currency == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "balance %" G_GINT64_FORMAT " has no currency", balance);
  coffer_db_query_int64 (query, balance);
  coffer_db_query_boolean (query, coffer_webhook_json_get_boolean (customer, "delinquent",
                                                                   &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (customer, "invoice_prefix",
                                                               &problem));
  invoice_settings = coffer_webhook_json_get_object (customer, "invoice_settings", &problem);
  coffer_db_query_text (query, coffer_webhook_json_get_id (invoice_settings,
                                                           "default_payment_method", &problem));
  metadata = coffer_webhook_json_get_metadata (customer, &problem);
  coffer_db_query_text (query, metadata);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (customer, "created", &problem));
  coffer_db_query_boolean (query, is_deleted);
  coffer_webhook_bind_state (query, event, is_deleted ? RANK_DELETED : RANK_LIVE);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "customer %s: ", id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}

/* customer.created, customer.updated: the customer as it is now. */
gboolean
coffer_webhook_customer_apply (const CofferWebhookEvent *event,
                               CofferWebhookOutcome     *out_outcome,
                               GError                  **error)
{
  return apply_customer (event, FALSE, out_outcome, error);
}

/* customer.deleted: kept with is_deleted and deleted_at (the event's time),
 * since later events may still name the customer. */
gboolean
coffer_webhook_customer_delete (const CofferWebhookEvent *event,
                                CofferWebhookOutcome     *out_outcome,
                                GError                  **error)
{
  return apply_customer (event, TRUE, out_outcome, error);
}
