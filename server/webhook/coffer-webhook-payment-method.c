/* coffer-webhook-payment-method.c: payment_method.attached, .updated,
 * .automatically_updated and .detached. Only brand, last four digits and
 * expiry are kept: card data never enters Coffer. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Rank: a detached payment method cannot be attached again, so detaching is
 * its last state. */
enum
{
  RANK_ATTACHED = 0,
  RANK_DETACHED = 1,
};

static const char upsert_sql[] =
  "INSERT INTO payment_methods AS m (id, customer_id, type, card_brand, card_last4,"
  "  card_exp_month, card_exp_year, detached_at, stripe_created_at, stripe_state_at,"
  "  stripe_state_rank, stripe_state_event, stripe_api_version)"
  " VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN to_timestamp ($10::bigint) END,"
  "   to_timestamp ($9::bigint), to_timestamp ($10::bigint), $11, $12, $13)"
  " ON CONFLICT (id) DO UPDATE SET"
  "   customer_id = EXCLUDED.customer_id, type = EXCLUDED.type,"
  "   card_brand = EXCLUDED.card_brand, card_last4 = EXCLUDED.card_last4,"
  "   card_exp_month = EXCLUDED.card_exp_month, card_exp_year = EXCLUDED.card_exp_year,"
  "   detached_at = EXCLUDED.detached_at, stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE " COFFER_WEBHOOK_NEWER ("m")
  " RETURNING true";

static gboolean
apply_payment_method (const CofferWebhookEvent *event,
                      gboolean                  is_detached,
                      CofferWebhookOutcome     *out_outcome,
                      GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  JsonObject *method = event->object;
  JsonObject *card;
  const char *id, *last4;
  gint64 exp_month;

  if (!coffer_webhook_check_object (event, "payment_method", &id, error))
    return FALSE;

  card = coffer_webhook_json_get_object (method, "card", &problem);
  last4 = coffer_webhook_json_get_string (card, "last4", &problem);
  if (last4 != NULL && !coffer_webhook_is_card_last4 (last4) && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "card.last4 is “%.8s”, not four digits", last4);
  if (coffer_webhook_json_get_int (card, "exp_month", &exp_month, &problem) &&
      (exp_month < 1 || exp_month > 12) && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "card.exp_month is %" G_GINT64_FORMAT ", not a month", exp_month);

  query = coffer_db_query_new_prepared ("coffer_webhook_payment_method_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  /* Stripe's payment_method.detached carries customer: null already. */
  coffer_db_query_text (query, is_detached ? NULL
                                           : coffer_webhook_json_get_id (method, "customer",
                                                                         &problem));
  coffer_db_query_text (query, coffer_webhook_json_require_string (method, "type", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (card, "brand", &problem));
  coffer_db_query_text (query, last4);
  coffer_webhook_bind_optional_int (query, card, "exp_month", &problem);
  coffer_webhook_bind_optional_int (query, card, "exp_year", &problem);
  coffer_db_query_boolean (query, is_detached);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (method, "created", &problem));
  coffer_webhook_bind_state (query, event, is_detached ? RANK_DETACHED : RANK_ATTACHED);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "payment method %s: ", id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}

/* payment_method.attached, .updated, .automatically_updated (a card network
 * replaced the expiry or number): the payment method as it is now. */
gboolean
coffer_webhook_payment_method_apply (const CofferWebhookEvent *event,
                                     CofferWebhookOutcome     *out_outcome,
                                     GError                  **error)
{
  return apply_payment_method (event, FALSE, out_outcome, error);
}

/* payment_method.detached: kept, without a customer, with detached_at. */
gboolean
coffer_webhook_payment_method_detach (const CofferWebhookEvent *event,
                                      CofferWebhookOutcome     *out_outcome,
                                      GError                  **error)
{
  return apply_payment_method (event, TRUE, out_outcome, error);
}
