/* coffer-webhook-checkout-session.c: checkout.session.completed — which
 * sign-up (client_reference_id) became which customer and subscription. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Lifecycle order: open, then complete or expired. */
static const char * const statuses[] = { "open", "complete", "expired", NULL };
static const char * const modes[] = { "payment", "setup", "subscription", NULL };

static const char upsert_sql[] =
  "INSERT INTO checkout_sessions AS c (id, customer_id, subscription_id, invoice_id,"
  "  payment_intent_id, setup_intent_id, client_reference_id, mode, status, payment_status,"
  "  currency, amount_total, stripe_created_at, stripe_state_at, stripe_state_rank,"
  "  stripe_state_event, stripe_api_version)"
  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp ($13::bigint),"
  "   to_timestamp ($14::bigint), $15, $16, $17)"
  " ON CONFLICT (id) DO UPDATE SET"
  "   customer_id = EXCLUDED.customer_id, subscription_id = EXCLUDED.subscription_id,"
  "   invoice_id = EXCLUDED.invoice_id, payment_intent_id = EXCLUDED.payment_intent_id,"
  "   setup_intent_id = EXCLUDED.setup_intent_id,"
  "   client_reference_id = EXCLUDED.client_reference_id, mode = EXCLUDED.mode,"
  "   status = EXCLUDED.status, payment_status = EXCLUDED.payment_status,"
  "   currency = EXCLUDED.currency, amount_total = EXCLUDED.amount_total,"
  "   stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE " COFFER_WEBHOOK_NEWER ("c")
  " RETURNING true";

gboolean
coffer_webhook_checkout_session_apply (const CofferWebhookEvent *event,
                                       CofferWebhookOutcome     *out_outcome,
                                       GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  g_autofree char *currency = NULL;
  JsonObject *session = event->object;
  const char *id, *mode, *status;
  gint64 amount_total;
  gboolean has_amount;
  gint rank = 0;

  if (!coffer_webhook_check_object (event, "checkout.session", &id, error))
    return FALSE;

  mode = coffer_webhook_json_require_string (session, "mode", &problem);
  coffer_webhook_rank_of (mode, modes, "mode", &problem);
  status = coffer_webhook_json_get_string (session, "status", &problem);
  if (status != NULL)
    rank = coffer_webhook_rank_of (status, statuses, "status", &problem);
  currency = coffer_webhook_json_get_currency (session, "currency", &problem);
  has_amount = coffer_webhook_json_get_int (session, "amount_total", &amount_total, &problem);
  if (has_amount && currency == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "amount_total %" G_GINT64_FORMAT " has no currency", amount_total);

  query = coffer_db_query_new_prepared ("coffer_webhook_checkout_session_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, coffer_webhook_json_get_id (session, "customer", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (session, "subscription", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (session, "invoice", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (session, "payment_intent", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (session, "setup_intent", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (session, "client_reference_id",
                                                               &problem));
  coffer_db_query_text (query, mode);
  coffer_db_query_text (query, status);
  coffer_db_query_text (query, coffer_webhook_json_get_string (session, "payment_status",
                                                               &problem));
  coffer_db_query_text (query, currency);
  if (has_amount)
    coffer_db_query_int64 (query, amount_total);
  else
    coffer_db_query_null (query);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (session, "created", &problem));
  coffer_webhook_bind_state (query, event, rank);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "checkout session %s: ",
                                  id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}
