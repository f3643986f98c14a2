/* coffer-webhook-handlers.h: private to server/webhook — the event being applied,
 * the handlers per object, and what they share (see docs/events.md). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libpq-fe.h>

#include "coffer-webhook-apply.h"
#include "db/coffer-db-query.h"

G_BEGIN_DECLS

/* Where the fields Coffer reads sit, by API version (docs/events.md). */
typedef enum
{
  COFFER_WEBHOOK_SHAPE_PRE_BASIL, /* 2022-11-15 … 2025-02-24.acacia */
  COFFER_WEBHOOK_SHAPE_BASIL,     /* 2025-03-31.basil … COFFER_WEBHOOK_API_VERSION */
} CofferWebhookShape;

/* One event on its way into the mirror. Borrowed pointers, valid during the call. */
typedef struct
{
  PGconn             *conn;
  GHashTable         *prepared_names;
  const char         *id;
  const char         *type;
  const char         *api_version;
  gint64              created;             /* Unix seconds, Stripe's clock */
  CofferWebhookShape  shape;
  JsonObject         *object;              /* data.object */
} CofferWebhookEvent;

typedef gboolean (*CofferWebhookHandler) (const CofferWebhookEvent *event,
                                          CofferWebhookOutcome     *out_outcome,
                                          GError                  **error);

gboolean coffer_webhook_parse_api_version (const char          *api_version,
                                           CofferWebhookShape  *out_shape,
                                           GError             **error);

/* Shared by the handlers (coffer-webhook-apply.c). */
gboolean coffer_webhook_check_object      (const CofferWebhookEvent *event,
                                           const char               *expected,
                                           const char              **out_id,
                                           GError                  **error);
gint     coffer_webhook_rank_of           (const char               *status,
                                           const char * const       *statuses,
                                           const char               *what,
                                           GError                  **error);
gboolean coffer_webhook_is_card_last4     (const char               *text);
void     coffer_webhook_bind_state        (CofferDbQuery            *query,
                                           const CofferWebhookEvent *event,
                                           gint64                    rank);
void     coffer_webhook_bind_optional_int (CofferDbQuery            *query,
                                           JsonObject               *object,
                                           const char               *member,
                                           GError                  **error);
gboolean coffer_webhook_run               (const CofferWebhookEvent *event,
                                           CofferDbQuery            *query,
                                           CofferWebhookOutcome     *out_outcome,
                                           GError                  **error);

/* The parameters every upsert ends with, after its own: $n = the event's
 * created (seconds), $n+1 = rank, $n+2 = event id, $n+3 = API version. A row
 * takes the event's state only when this key is greater than its own. */
#define COFFER_WEBHOOK_NEWER(table) \
  "(" table ".stripe_state_at, " table ".stripe_state_rank, " table ".stripe_state_event) " \
  "< (EXCLUDED.stripe_state_at, EXCLUDED.stripe_state_rank, EXCLUDED.stripe_state_event)"
#define COFFER_WEBHOOK_TAKE_STATE \
  "stripe_state_at = EXCLUDED.stripe_state_at, " \
  "stripe_state_rank = EXCLUDED.stripe_state_rank, " \
  "stripe_state_event = EXCLUDED.stripe_state_event, " \
  "stripe_api_version = EXCLUDED.stripe_api_version, " \
  "updated_at = now () "

/* Products and prices named by subscription items and invoice lines
 * (coffer-webhook-price.c). */
typedef struct _CofferWebhookCatalog CofferWebhookCatalog;

CofferWebhookCatalog *coffer_webhook_catalog_new          (void);
void                  coffer_webhook_catalog_free         (CofferWebhookCatalog     *self);
const char           *coffer_webhook_catalog_add_price    (CofferWebhookCatalog     *self,
                                                           JsonObject               *price,
                                                           GError                  **error);
void                  coffer_webhook_catalog_add_price_id (CofferWebhookCatalog     *self,
                                                           const char               *price_id,
                                                           const char               *product_id);
const char           *coffer_webhook_catalog_get_product  (CofferWebhookCatalog     *self,
                                                           const char               *price_id);
void                  coffer_webhook_catalog_bind         (CofferWebhookCatalog     *self,
                                                           CofferDbQuery            *query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CofferWebhookCatalog, coffer_webhook_catalog_free)

/* The catalog's part of a handler's statement, CTEs to put after its own;
 * @full, @known and @products are the parameters bound by
 * coffer_webhook_catalog_bind(). What never changes about a price is written
 * once, the first time it is seen: a price already complete is filtered out
 * before the INSERT, so the many events embedding it never lock its row (an
 * ON CONFLICT that finds the row locks it even when it updates nothing).
 * Prices and products known by id are inserted once, never locked either.
 * Rows are written in id order. What changes about a price or product comes
 * with its own events (coffer-webhook-price.c, coffer-webhook-product.c). */
#define COFFER_WEBHOOK_CATALOG_CTES(full, known, products) \
  "prices_full AS (" \
  "  INSERT INTO prices AS p (id, product_id, currency, unit_amount, billing_scheme, type," \
  "    recurring_interval, recurring_interval_count, recurring_usage_type, stripe_created_at)" \
  "  SELECT x.id, x.product_id, x.currency, x.unit_amount, x.billing_scheme, x.type," \
  "    x.recurring_interval, x.recurring_interval_count, x.recurring_usage_type," \
  "    to_timestamp (x.created)" \
  "  FROM jsonb_to_recordset (" full "::jsonb) AS x (id text, product_id text, currency text," \
  "    unit_amount bigint, billing_scheme text, type text, recurring_interval text," \
  "    recurring_interval_count integer, recurring_usage_type text, created bigint)" \
  "  WHERE NOT EXISTS (SELECT FROM prices q" \
  "                    WHERE q.id = x.id AND q.stripe_created_at IS NOT NULL)" \
  "  ORDER BY x.id" \
  "  ON CONFLICT (id) DO UPDATE SET" \
  "    product_id = EXCLUDED.product_id, currency = EXCLUDED.currency," \
  "    unit_amount = EXCLUDED.unit_amount, billing_scheme = EXCLUDED.billing_scheme," \
  "    type = EXCLUDED.type, recurring_interval = EXCLUDED.recurring_interval," \
  "    recurring_interval_count = EXCLUDED.recurring_interval_count," \
  "    recurring_usage_type = EXCLUDED.recurring_usage_type," \
  "    stripe_created_at = EXCLUDED.stripe_created_at, updated_at = now ()" \
  "  WHERE p.stripe_created_at IS NULL" \
  "  RETURNING 1), " \
  "prices_known AS (" \
  "  INSERT INTO prices (id, product_id)" \
  "  SELECT x.id, x.product_id" \
  "  FROM jsonb_to_recordset (" known "::jsonb) AS x (id text, product_id text)" \
  "  WHERE NOT EXISTS (SELECT FROM prices q WHERE q.id = x.id)" \
  "  ORDER BY x.id" \
  "  ON CONFLICT (id) DO NOTHING" \
  "  RETURNING 1), " \
  "products_known AS (" \
  "  INSERT INTO products (id)" \
  "  SELECT x.id FROM jsonb_array_elements_text (" products "::jsonb) AS x (id)" \
  "  WHERE NOT EXISTS (SELECT FROM products q WHERE q.id = x.id)" \
  "  ORDER BY x.id" \
  "  ON CONFLICT (id) DO NOTHING" \
  "  RETURNING 1)"

/* Handlers, one file per Stripe object. */
gboolean coffer_webhook_customer_apply          (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_customer_delete         (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_subscription_apply      (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_invoice_apply           (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_invoice_apply_upcoming  (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_invoice_payment_apply   (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_payment_method_apply    (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_payment_method_detach   (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_charge_apply            (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_checkout_session_apply  (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_setup_intent_apply      (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_price_apply             (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_price_delete            (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_product_apply           (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);
gboolean coffer_webhook_product_delete          (const CofferWebhookEvent *event,
                                                 CofferWebhookOutcome     *out_outcome,
                                                 GError                  **error);

G_END_DECLS
