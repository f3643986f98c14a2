/* coffer-webhook-setup-intent.c: setup_intent.succeeded — a payment method
 * saved for later payments (e.g. a customer replacing a declined card). */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Lifecycle order; canceled and succeeded are both ends. */
static const char * const statuses[] = {
  "requires_payment_method", "requires_confirmation", "requires_action", "processing",
  "canceled", "succeeded", NULL
};

static const char upsert_sql[] =
  "INSERT INTO setup_intents AS i (id, customer_id, payment_method_id, status, usage,"
  "  stripe_created_at, stripe_state_at, stripe_state_rank, stripe_state_event,"
  "  stripe_api_version)"
  " VALUES ($1, $2, $3, $4, $5, to_timestamp ($6::bigint), to_timestamp ($7::bigint), $8, $9,"
  "   $10)"
  " ON CONFLICT (id) DO UPDATE SET"
  "   customer_id = EXCLUDED.customer_id, payment_method_id = EXCLUDED.payment_method_id,"
  "   status = EXCLUDED.status, usage = EXCLUDED.usage,"
  "   stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE " COFFER_WEBHOOK_NEWER ("i")
  " RETURNING true";

gboolean
coffer_webhook_setup_intent_apply (const CofferWebhookEvent *event,
                                   CofferWebhookOutcome     *out_outcome,
                                   GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  JsonObject *intent = event->object;
  const char *id, *status;
  gint rank;

  if (!coffer_webhook_check_object (event, "setup_intent", &id, error))
    return FALSE;

  status = coffer_webhook_json_require_string (intent, "status", &problem);
  rank = coffer_webhook_rank_of (status, statuses, "status", &problem);

  query = coffer_db_query_new_prepared ("coffer_webhook_setup_intent_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, coffer_webhook_json_get_id (intent, "customer", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_id (intent, "payment_method", &problem));
  coffer_db_query_text (query, status);
  coffer_db_query_text (query, coffer_webhook_json_get_string (intent, "usage", &problem));
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (intent, "created", &problem));
  coffer_webhook_bind_state (query, event, rank);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "setup intent %s: ", id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}
