/* coffer-webhook-invoice-payment.c: invoice_payment.paid — from basil on, the
 * only link between an invoice and the payment intent or charge that paid it. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

static const char * const statuses[] = { "open", "paid", "canceled", NULL };

static const char upsert_sql[] =
  "INSERT INTO invoice_payments AS p (id, invoice_id, payment_intent_id, charge_id, status,"
  "  is_default, currency, amount_requested, amount_paid, paid_at, canceled_at,"
  "  stripe_created_at, stripe_state_at, stripe_state_rank, stripe_state_event,"
  "  stripe_api_version)"
  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp ($10::bigint),"
  "   to_timestamp ($11::bigint), to_timestamp ($12::bigint), to_timestamp ($13::bigint), $14,"
  "   $15, $16)"
  " ON CONFLICT (id) DO UPDATE SET"
  "   invoice_id = EXCLUDED.invoice_id, payment_intent_id = EXCLUDED.payment_intent_id,"
  "   charge_id = EXCLUDED.charge_id, status = EXCLUDED.status,"
  "   is_default = EXCLUDED.is_default, currency = EXCLUDED.currency,"
  "   amount_requested = EXCLUDED.amount_requested, amount_paid = EXCLUDED.amount_paid,"
  "   paid_at = EXCLUDED.paid_at, canceled_at = EXCLUDED.canceled_at,"
  "   stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE " COFFER_WEBHOOK_NEWER ("p")
  " RETURNING true";

gboolean
coffer_webhook_invoice_payment_apply (const CofferWebhookEvent *event,
                                      CofferWebhookOutcome     *out_outcome,
                                      GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  g_autofree char *currency = NULL;
  JsonObject *payment = event->object;
  JsonObject *paid_with, *transitions;
  const char *id, *status, *invoice_id;
  gint rank;

  if (!coffer_webhook_check_object (event, "invoice_payment", &id, error))
    return FALSE;

  invoice_id = coffer_webhook_json_get_id (payment, "invoice", &problem);
  if (invoice_id == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“invoice” is missing or null");
  status = coffer_webhook_json_require_string (payment, "status", &problem);
  rank = coffer_webhook_rank_of (status, statuses, "status", &problem);
  currency = coffer_webhook_json_require_currency (payment, "currency", &problem);
  paid_with = coffer_webhook_json_get_object (payment, "payment", &problem);
  transitions = coffer_webhook_json_get_object (payment, "status_transitions", &problem);

  query = coffer_db_query_new_prepared ("coffer_webhook_invoice_payment_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, invoice_id);
  coffer_db_query_text (query, coffer_webhook_json_get_id (paid_with, "payment_intent",
                                                           &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (paid_with, "charge", &problem));
  coffer_db_query_text (query, status);
  coffer_db_query_boolean (query, coffer_webhook_json_get_boolean (payment, "is_default",
                                                                   &problem));
  coffer_db_query_text (query, currency);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (payment, "amount_requested",
                                                                 &problem));
  coffer_webhook_bind_optional_int (query, payment, "amount_paid", &problem);
  coffer_webhook_bind_optional_int (query, transitions, "paid_at", &problem);
  coffer_webhook_bind_optional_int (query, transitions, "canceled_at", &problem);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (payment, "created", &problem));
  coffer_webhook_bind_state (query, event, rank);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "invoice payment %s: ",
                                  id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}
