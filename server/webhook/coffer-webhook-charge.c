/* coffer-webhook-charge.c: charge.succeeded, charge.failed, charge.refunded —
 * one payment attempt per charge, and its refunds when the charge lists them. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Lifecycle order: pending, then failed or succeeded; a succeeded charge may
 * then be refunded in part and in full (see charge_rank()). */
static const char * const statuses[] = { "pending", "failed", "succeeded", NULL };

/* $1 … $19 the attempt, $20 … $23 the state key, $24 the refunds. */
static const char upsert_sql[] =
  "WITH attempt AS ("
  "  INSERT INTO payment_attempts AS a (charge_id, payment_intent_id, invoice_id, customer_id,"
  "    payment_method_id, status, currency, amount, amount_captured, amount_refunded,"
  "    is_refunded, failure_code, failure_message, decline_code, network_decline_code,"
  "    outcome_type, card_brand, card_last4, attempted_at, stripe_state_at,"
  "    stripe_state_rank, stripe_state_event, stripe_api_version)"
  "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
  "    to_timestamp ($19::bigint), to_timestamp ($20::bigint), $21, $22, $23)"
  "  ON CONFLICT (charge_id) DO UPDATE SET"
  "    payment_intent_id = EXCLUDED.payment_intent_id,"
  "    invoice_id = EXCLUDED.invoice_id,"
  "    customer_id = EXCLUDED.customer_id, payment_method_id = EXCLUDED.payment_method_id,"
  "    status = EXCLUDED.status, currency = EXCLUDED.currency, amount = EXCLUDED.amount,"
  "    amount_captured = EXCLUDED.amount_captured,"
  "    amount_refunded = EXCLUDED.amount_refunded, is_refunded = EXCLUDED.is_refunded,"
  "    failure_code = EXCLUDED.failure_code, failure_message = EXCLUDED.failure_message,"
  "    decline_code = EXCLUDED.decline_code,"
  "    network_decline_code = EXCLUDED.network_decline_code,"
  "    outcome_type = EXCLUDED.outcome_type, card_brand = EXCLUDED.card_brand,"
  "    card_last4 = EXCLUDED.card_last4, attempted_at = EXCLUDED.attempted_at, "
  COFFER_WEBHOOK_TAKE_STATE
  "  WHERE " COFFER_WEBHOOK_NEWER ("a")
  "  RETURNING 1), "
  "refund AS ("
  "  INSERT INTO refunds AS r (id, charge_id, payment_intent_id, status, reason, currency,"
  "    amount, stripe_created_at, stripe_state_at, stripe_state_rank, stripe_state_event,"
  "    stripe_api_version)"
  "  SELECT x.id, $1, x.payment_intent_id, x.status, x.reason, x.currency, x.amount,"
  "    to_timestamp (x.created), to_timestamp ($20::bigint), x.rank, $22, $23"
  "  FROM jsonb_to_recordset ($24::jsonb) AS x (id text, payment_intent_id text, status text,"
  "    reason text, currency text, amount bigint, created bigint, rank integer)"
  "  ORDER BY x.id"
  "  ON CONFLICT (id) DO UPDATE SET"
  "    charge_id = EXCLUDED.charge_id, payment_intent_id = EXCLUDED.payment_intent_id,"
  "    status = EXCLUDED.status, reason = EXCLUDED.reason, currency = EXCLUDED.currency,"
  "    amount = EXCLUDED.amount, stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  "  WHERE " COFFER_WEBHOOK_NEWER ("r")
  "  RETURNING 1) "
  "SELECT EXISTS (SELECT FROM attempt)";

static gint
charge_rank (gint     status_rank,
             gint64   amount_refunded,
             gboolean is_refunded)
{
  return status_rank + (amount_refunded > 0 ? 1 : 0) + (is_refunded ? 1 : 0);
}

/* A refund as a record for the refund CTE; a pending refund ranks below a
 * finished one. */
static void
add_refund (GString     *refunds,
            JsonObject  *refund,
            GError     **problem)
{
  g_autofree char *currency = NULL;
  const char *id = coffer_webhook_json_require_string (refund, "id", problem);
  const char *status = coffer_webhook_json_get_string (refund, "status", problem);
  const char *reason = coffer_webhook_json_get_string (refund, "reason", problem);
  const char *payment_intent_id = coffer_webhook_json_get_id (refund, "payment_intent", problem);
  gint64 amount = coffer_webhook_json_require_int (refund, "amount", problem);
  gint64 created = coffer_webhook_json_require_int (refund, "created", problem);
  gboolean is_open = g_strcmp0 (status, "pending") == 0 ||
                     g_strcmp0 (status, "requires_action") == 0;

  currency = coffer_webhook_json_require_currency (refund, "currency", problem);
  if (*problem != NULL)
    return;

  coffer_webhook_record_begin (refunds);
  coffer_webhook_record_add_string (refunds, "id", id);
  coffer_webhook_record_add_string (refunds, "payment_intent_id", payment_intent_id);
  coffer_webhook_record_add_string (refunds, "status", status);
  coffer_webhook_record_add_string (refunds, "reason", reason);
  coffer_webhook_record_add_string (refunds, "currency", currency);
  coffer_webhook_record_add_int (refunds, "amount", amount);
  coffer_webhook_record_add_int (refunds, "created", created);
  coffer_webhook_record_add_int (refunds, "rank", is_open ? 0 : 1);
  coffer_webhook_record_end (refunds);
}

/* charge.succeeded, charge.failed, charge.refunded: the charge is one payment
 * attempt, keyed by its id, so the attempt seen again through another event is
 * the same row. The decline code is the charge's outcome.reason. */
gboolean
coffer_webhook_charge_apply (const CofferWebhookEvent *event,
                             CofferWebhookOutcome     *out_outcome,
                             GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  g_autoptr (GString) refunds = coffer_webhook_records_new ();
  g_autofree char *currency = NULL, *refunds_text = NULL;
  JsonObject *charge = event->object;
  JsonObject *outcome, *card;
  JsonArray *refund_list;
  const char *id, *status, *failure_code, *last4;
  gboolean is_refunded, has_more;
  gint64 amount_captured, amount_refunded;
  gint rank;

  if (!coffer_webhook_check_object (event, "charge", &id, error))
    return FALSE;

  status = coffer_webhook_json_require_string (charge, "status", &problem);
  rank = coffer_webhook_rank_of (status, statuses, "status", &problem);
  currency = coffer_webhook_json_require_currency (charge, "currency", &problem);
  coffer_webhook_json_get_int (charge, "amount_captured", &amount_captured, &problem);
  coffer_webhook_json_get_int (charge, "amount_refunded", &amount_refunded, &problem);
  is_refunded = coffer_webhook_json_get_boolean (charge, "refunded", &problem);
  failure_code = coffer_webhook_json_get_string (charge, "failure_code", &problem);
  outcome = coffer_webhook_json_get_object (charge, "outcome", &problem);
  card = coffer_webhook_json_get_path (charge, "payment_method_details.card", &problem);
  last4 = coffer_webhook_json_get_string (card, "last4", &problem);
  if (last4 != NULL && !coffer_webhook_is_card_last4 (last4) && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "payment_method_details.card.last4 is “%.8s”, not four digits", last4);

  /* Before 2022-11-15 a charge listed its refunds; now only when expanded. */
  refund_list = coffer_webhook_json_get_list (charge, "refunds", &has_more, &problem);
  for (guint i = 0; refund_list && i < json_array_get_length (refund_list) && !problem; i++)
    {
      JsonObject *refund = coffer_webhook_json_get_element (refund_list, "refunds.data", i,
                                                            &problem);

      if (refund != NULL)
        add_refund (refunds, refund, &problem);
      if (problem != NULL)
        g_prefix_error (&problem, "refunds.data[%u]: ", i);
    }
  refunds_text = coffer_webhook_records_free (g_steal_pointer (&refunds));

  query = coffer_db_query_new_prepared ("coffer_webhook_charge_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, coffer_webhook_json_get_id (charge, "payment_intent", &problem));
  /* Before basil a charge names its invoice; from basil on an invoice_payment does. */
  coffer_db_query_text (query, event->shape == COFFER_WEBHOOK_SHAPE_PRE_BASIL
                                 ? coffer_webhook_json_get_id (charge, "invoice", &problem)
                                 : NULL);
  coffer_db_query_text (query, coffer_webhook_json_get_id (charge, "customer", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (charge, "payment_method", &problem));
  coffer_db_query_text (query, status);
  coffer_db_query_text (query, currency);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (charge, "amount", &problem));
  coffer_db_query_int64 (query, amount_captured);
  coffer_db_query_int64 (query, amount_refunded);
  coffer_db_query_boolean (query, is_refunded);
  coffer_db_query_text (query, failure_code);
  coffer_db_query_text (query, coffer_webhook_json_get_string (charge, "failure_message",
                                                               &problem));
  coffer_db_query_text (query, g_strcmp0 (status, "failed") == 0
                                 ? coffer_webhook_json_get_string (outcome, "reason", &problem)
                                 : NULL);
  coffer_db_query_text (query, coffer_webhook_json_get_string (outcome, "network_decline_code",
                                                               &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (outcome, "type", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (card, "brand", &problem));
  coffer_db_query_text (query, last4);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (charge, "created", &problem));
  coffer_webhook_bind_state (query, event, charge_rank (rank, amount_refunded, is_refunded));
  coffer_db_query_text (query, refunds_text);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "charge %s: ", id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}
