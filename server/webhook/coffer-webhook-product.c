/* coffer-webhook-product.c: product.created, product.updated, product.deleted —
 * the names and state of products, which prices name by id. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

/* Rank: a deleted product is gone for good. */
enum
{
  RANK_LIVE = 0,
  RANK_DELETED = 1,
};

static const char upsert_sql[] =
  "INSERT INTO products AS p (id, name, description, active, is_deleted, deleted_at,"
  "  stripe_created_at, stripe_state_at, stripe_state_rank, stripe_state_event,"
  "  stripe_api_version)"
  " VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 THEN to_timestamp ($7::bigint) END,"
  "   to_timestamp ($6::bigint), to_timestamp ($7::bigint), $8, $9::text, $10::text)"
  " ON CONFLICT (id) DO UPDATE SET"
  "   name = EXCLUDED.name, description = EXCLUDED.description, active = EXCLUDED.active,"
  "   is_deleted = EXCLUDED.is_deleted, deleted_at = EXCLUDED.deleted_at,"
  "   stripe_created_at = EXCLUDED.stripe_created_at, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE p.stripe_state_at IS NULL OR " COFFER_WEBHOOK_NEWER ("p")
  " RETURNING true";

static gboolean
apply_product (const CofferWebhookEvent *event,
               gboolean                  is_deleted,
               CofferWebhookOutcome     *out_outcome,
               GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  JsonObject *product = event->object;
  const char *id;

  if (!coffer_webhook_check_object (event, "product", &id, error))
    return FALSE;

  query = coffer_db_query_new_prepared ("coffer_webhook_product_upsert", upsert_sql);
  coffer_db_query_text (query, id);
  coffer_db_query_text (query, coffer_webhook_json_require_string (product, "name", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (product, "description",
                                                               &problem));
  coffer_db_query_boolean (query, coffer_webhook_json_get_boolean (product, "active",
                                                                   &problem));
  coffer_db_query_boolean (query, is_deleted);
  coffer_db_query_int64 (query, coffer_webhook_json_require_int (product, "created", &problem));
  coffer_webhook_bind_state (query, event, is_deleted ? RANK_DELETED : RANK_LIVE);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "product %s: ", id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}

/* product.created, product.updated: the product as it is now. */
gboolean
coffer_webhook_product_apply (const CofferWebhookEvent *event,
                              CofferWebhookOutcome     *out_outcome,
                              GError                  **error)
{
  return apply_product (event, FALSE, out_outcome, error);
}

/* product.deleted: kept with is_deleted, since prices still name it. */
gboolean
coffer_webhook_product_delete (const CofferWebhookEvent *event,
                               CofferWebhookOutcome     *out_outcome,
                               GError                  **error)
{
  return apply_product (event, TRUE, out_outcome, error);
}
