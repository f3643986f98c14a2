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

/* The catalog's part of a handler's statement, CTEs to put after its own:
 * @full, @known and @products are the parameters bound by
 * coffer_webhook_catalog_bind(), @at, @event and @version those of the state
 * key. Prices with a full object take its state when newer (their own key,
 * rank 0); prices and products known only by id are inserted once and never
 * locked. Rows are written in id order, so that two transactions touching the
 * same prices lock them in the same order; and since a handler's main query
 * reads only its object's CTE, PostgreSQL writes the object's row first and
 * these after it. */
#define COFFER_WEBHOOK_CATALOG_CTES(full, known, products, at, event, version) \
  "prices_full AS (" \
  "  INSERT INTO prices AS p (id, product_id, active, currency, unit_amount, billing_scheme," \
  "                           type, recurring_interval, recurring_interval_count," \
  "                           recurring_usage_type, lookup_key, nickname, tax_behavior," \
  "                           stripe_created_at, stripe_state_at, stripe_state_rank," \
  "                           stripe_state_event, stripe_api_version)" \
  "  SELECT x.id, x.product_id, x.active, x.currency, x.unit_amount, x.billing_scheme, x.type," \
  "         x.recurring_interval, x.recurring_interval_count, x.recurring_usage_type," \
  "         x.lookup_key, x.nickname, x.tax_behavior, to_timestamp (x.created)," \
  "         to_timestamp (" at "::bigint), 0, " event ", " version \
  "  FROM jsonb_to_recordset (" full "::jsonb) AS x (id text, product_id text, active boolean," \
  "       currency text, unit_amount bigint, billing_scheme text, type text," \
  "       recurring_interval text, recurring_interval_count integer," \
  "       recurring_usage_type text, lookup_key text, nickname text, tax_behavior text," \
  "       created bigint)" \
  "  ORDER BY x.id" \
  "  ON CONFLICT (id) DO UPDATE SET" \
  "    product_id = EXCLUDED.product_id, active = EXCLUDED.active," \
  "    currency = EXCLUDED.currency, unit_amount = EXCLUDED.unit_amount," \
  "    billing_scheme = EXCLUDED.billing_scheme, type = EXCLUDED.type," \
  "    recurring_interval = EXCLUDED.recurring_interval," \
  "    recurring_interval_count = EXCLUDED.recurring_interval_count," \
  "    recurring_usage_type = EXCLUDED.recurring_usage_type," \
  "    lookup_key = EXCLUDED.lookup_key, nickname = EXCLUDED.nickname," \
  "    tax_behavior = EXCLUDED.tax_behavior, stripe_created_at = EXCLUDED.stripe_created_at, " \
  COFFER_WEBHOOK_TAKE_STATE \
  "  WHERE p.stripe_state_at IS NULL OR " COFFER_WEBHOOK_NEWER ("p") \
  "  RETURNING 1), " \
  "prices_known AS (" \
  "  INSERT INTO prices (id, product_id)" \
  "  SELECT x.id, x.product_id" \
  "  FROM jsonb_to_recordset (" known "::jsonb) AS x (id text, product_id text)" \
  "  ORDER BY x.id" \
  "  ON CONFLICT (id) DO NOTHING" \
  "  RETURNING 1), " \
  "products_known AS (" \
  "  INSERT INTO products (id)" \
  "  SELECT x.id FROM jsonb_array_elements_text (" products "::jsonb) AS x (id)" \
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

G_END_DECLS
