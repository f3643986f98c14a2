/* coffer-webhook-price.c: prices — what never changes about them, from the
 * price objects embedded in subscription items and invoice lines (the
 * catalog of one event), and what does, from price.created, price.updated
 * and price.deleted. */
#include "config.h"

#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

#include <string.h>

typedef struct
{
  char *product_id; /* or NULL */
  char *record;     /* the price as a record for prices_full, NULL if known by id only */
} Price;

struct _CofferWebhookCatalog
{
  GHashTable *prices;   /* price id → Price */
  GHashTable *products; /* product id set */
};

static void
price_free (gpointer data)
{
  Price *price = data;

  g_free (price->product_id);
  g_free (price->record);
  g_free (price);
}

CofferWebhookCatalog *
coffer_webhook_catalog_new (void)
{
  CofferWebhookCatalog *self = g_new0 (CofferWebhookCatalog, 1);

  self->prices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, price_free);
  self->products = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
coffer_webhook_catalog_free (CofferWebhookCatalog *self)
{
  g_hash_table_unref (self->prices);
  g_hash_table_unref (self->products);
  g_free (self);
}

static void
add_int (GString     *record,
         JsonObject  *object,
         const char  *member,
         const char  *column,
         GError     **problem)
{
  gint64 value;

  if (coffer_webhook_json_get_int (object, member, &value, problem))
    coffer_webhook_record_add_int (record, column, value);
}

/* Appends what never changes about @price as a record for prices_full. */
static void
add_fixed_fields (GString     *record,
                  JsonObject  *price,
                  const char  *id,
                  const char  *product_id,
                  const char  *currency,
                  GError     **problem)
{
  JsonObject *recurring = coffer_webhook_json_get_object (price, "recurring", problem);

  coffer_webhook_record_begin (record);
  coffer_webhook_record_add_string (record, "id", id);
  coffer_webhook_record_add_string (record, "product_id", product_id);
  coffer_webhook_record_add_string (record, "currency", currency);
  add_int (record, price, "unit_amount", "unit_amount", problem);
  coffer_webhook_record_add_string (record, "billing_scheme",
                                    coffer_webhook_json_get_string (price, "billing_scheme",
                                                                    problem));
  coffer_webhook_record_add_string (record, "type",
                                    coffer_webhook_json_get_string (price, "type", problem));
  coffer_webhook_record_add_string (record, "recurring_interval",
                                    coffer_webhook_json_get_string (recurring, "interval",
                                                                    problem));
  add_int (record, recurring, "interval_count", "recurring_interval_count", problem);
  coffer_webhook_record_add_string (record, "recurring_usage_type",
                                    coffer_webhook_json_get_string (recurring, "usage_type",
                                                                    problem));
  coffer_webhook_record_add_int (record, "created",
                                 coffer_webhook_json_require_int (price, "created", problem));
  coffer_webhook_record_end (record);
}

/* A full price object; returns its id (owned by @price), or NULL with
 * @problem set. The same price seen twice in one event is one record. */
const char *
coffer_webhook_catalog_add_price (CofferWebhookCatalog  *self,
                                  JsonObject            *price,
                                  GError               **problem)
{
  GString *record = g_string_new (NULL);
  g_autofree char *currency = NULL;
  const char *id = coffer_webhook_json_require_string (price, "id", problem);
  const char *product_id = coffer_webhook_json_get_id (price, "product", problem);
  Price *entry;

  currency = coffer_webhook_json_require_currency (price, "currency", problem);
  add_fixed_fields (record, price, id, product_id, currency, problem);

  if (*problem != NULL)
    {
      g_string_free (record, TRUE);
      g_prefix_error (problem, "price %s: ", id ? id : "without an id");
      return NULL;
    }

  entry = g_new0 (Price, 1);
  entry->product_id = g_strdup (product_id);
  entry->record = g_string_free (record, FALSE);
  g_hash_table_replace (self->prices, g_strdup (id), entry);
  if (product_id)
    g_hash_table_add (self->products, g_strdup (product_id));
  return id;
}

/* A price named by id only (invoice lines from basil on). Its row is created
 * once, with its product; the rest waits for a full price object. A price
 * without a product is not recorded: the product of a price never changes,
 * and a row created without it could not be completed without a lock. */
void
coffer_webhook_catalog_add_price_id (CofferWebhookCatalog *self,
                                     const char           *price_id,
                                     const char           *product_id)
{
  Price *entry;

  if (product_id != NULL)
    g_hash_table_add (self->products, g_strdup (product_id));
  if (price_id == NULL || product_id == NULL || g_hash_table_contains (self->prices, price_id))
    return;
  entry = g_new0 (Price, 1);
  entry->product_id = g_strdup (product_id);
  g_hash_table_insert (self->prices, g_strdup (price_id), entry);
}

/* The product of a price added to the catalog, or NULL. */
const char *
coffer_webhook_catalog_get_product (CofferWebhookCatalog *self,
                                    const char           *price_id)
{
  Price *entry = price_id ? g_hash_table_lookup (self->prices, price_id) : NULL;

  return entry ? entry->product_id : NULL;
}

static GList *
sorted_keys (GHashTable *table)
{
  return g_list_sort (g_hash_table_get_keys (table), (GCompareFunc) strcmp);
}

/* Binds the three parameters of COFFER_WEBHOOK_CATALOG_CTES, each in id
 * order: full prices, prices known by id, products known by id. */
void
coffer_webhook_catalog_bind (CofferWebhookCatalog *self,
                             CofferDbQuery        *query)
{
  GString *full = coffer_webhook_records_new ();
  GString *known = coffer_webhook_records_new ();
  GString *products = coffer_webhook_records_new ();
  g_autofree char *full_text = NULL, *known_text = NULL, *products_text = NULL;
  GList *keys = sorted_keys (self->prices);

  for (GList *l = keys; l; l = l->next)
    {
      Price *entry = g_hash_table_lookup (self->prices, l->data);

      if (entry->record != NULL)
        {
          if (full->len > 1)
            g_string_append_c (full, ',');
          g_string_append (full, entry->record);
        }
      else
        {
          coffer_webhook_record_begin (known);
          coffer_webhook_record_add_string (known, "id", l->data);
          coffer_webhook_record_add_string (known, "product_id", entry->product_id);
          coffer_webhook_record_end (known);
        }
    }
  g_list_free (keys);

  keys = sorted_keys (self->products);
  for (GList *l = keys; l; l = l->next)
    coffer_webhook_records_add_string (products, l->data);
  g_list_free (keys);

  full_text = coffer_webhook_records_free (full);
  known_text = coffer_webhook_records_free (known);
  products_text = coffer_webhook_records_free (products);
  coffer_db_query_text (query, full_text);
  coffer_db_query_text (query, known_text);
  coffer_db_query_text (query, products_text);
}

/* One statement for a price event: what never changes is written as the
 * catalog writes it; what can change takes the event's state when newer. */
static const char upsert_sql[] =
  "WITH fixed AS (SELECT * FROM jsonb_to_recordset ($1::jsonb) AS x (id text, product_id text,"
  "    currency text, unit_amount bigint, billing_scheme text, type text,"
  "    recurring_interval text, recurring_interval_count integer,"
  "    recurring_usage_type text, created bigint)), "
  "product AS ("
  "  INSERT INTO products (id)"
  "  SELECT x.product_id FROM fixed AS x"
  "  WHERE x.product_id IS NOT NULL"
  "    AND NOT EXISTS (SELECT FROM products q WHERE q.id = x.product_id)"
  "  ON CONFLICT (id) DO NOTHING"
  "  RETURNING 1) "
  "INSERT INTO prices AS p (id, product_id, currency, unit_amount, billing_scheme, type,"
  "  recurring_interval, recurring_interval_count, recurring_usage_type, stripe_created_at,"
  "  active, lookup_key, nickname, tax_behavior, is_deleted, deleted_at, stripe_state_at,"
  "  stripe_state_rank, stripe_state_event, stripe_api_version)"
  " SELECT x.id, x.product_id, x.currency, x.unit_amount, x.billing_scheme, x.type,"
  "   x.recurring_interval, x.recurring_interval_count, x.recurring_usage_type,"
  "   to_timestamp (x.created), $2, $3, $4, $5, $6,"
  "   CASE WHEN $6 THEN to_timestamp ($7::bigint) END, to_timestamp ($7::bigint), $8,"
  "   $9::text, $10::text"
  " FROM fixed AS x"
  " ON CONFLICT (id) DO UPDATE SET"
  "   product_id = EXCLUDED.product_id, currency = EXCLUDED.currency,"
  "   unit_amount = EXCLUDED.unit_amount, billing_scheme = EXCLUDED.billing_scheme,"
  "   type = EXCLUDED.type, recurring_interval = EXCLUDED.recurring_interval,"
  "   recurring_interval_count = EXCLUDED.recurring_interval_count,"
  "   recurring_usage_type = EXCLUDED.recurring_usage_type,"
  "   stripe_created_at = EXCLUDED.stripe_created_at, active = EXCLUDED.active,"
  "   lookup_key = EXCLUDED.lookup_key, nickname = EXCLUDED.nickname,"
  "   tax_behavior = EXCLUDED.tax_behavior, is_deleted = EXCLUDED.is_deleted,"
  "   deleted_at = EXCLUDED.deleted_at, "
  COFFER_WEBHOOK_TAKE_STATE
  " WHERE p.stripe_state_at IS NULL OR " COFFER_WEBHOOK_NEWER ("p")
  " RETURNING true";

/* Rank: a deleted price is gone for good. */
enum
{
  RANK_LIVE = 0,
  RANK_DELETED = 1,
};

static gboolean
apply_price (const CofferWebhookEvent *event,
             gboolean                  is_deleted,
             CofferWebhookOutcome     *out_outcome,
             GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  g_autoptr (CofferDbQuery) query = NULL;
  g_autoptr (GString) fixed = coffer_webhook_records_new ();
  g_autofree char *currency = NULL, *fixed_text = NULL;
  JsonObject *price = event->object;
  const char *id;

  if (!coffer_webhook_check_object (event, "price", &id, error))
    return FALSE;

  currency = coffer_webhook_json_require_currency (price, "currency", &problem);
  add_fixed_fields (fixed, price, id, coffer_webhook_json_get_id (price, "product", &problem),
                    currency, &problem);
  fixed_text = coffer_webhook_records_free (g_steal_pointer (&fixed));

  query = coffer_db_query_new_prepared ("coffer_webhook_price_upsert", upsert_sql);
  coffer_db_query_text (query, fixed_text);
  coffer_db_query_boolean (query, coffer_webhook_json_get_boolean (price, "active", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (price, "lookup_key", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (price, "nickname", &problem));
  coffer_db_query_text (query, coffer_webhook_json_get_string (price, "tax_behavior", &problem));
  coffer_db_query_boolean (query, is_deleted);
  coffer_webhook_bind_state (query, event, is_deleted ? RANK_DELETED : RANK_LIVE);

  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "price %s: ", id);
      return FALSE;
    }
  return coffer_webhook_run (event, query, out_outcome, error);
}

/* price.created, price.updated: the price as it is now. */
gboolean
coffer_webhook_price_apply (const CofferWebhookEvent *event,
                            CofferWebhookOutcome     *out_outcome,
                            GError                  **error)
{
  return apply_price (event, FALSE, out_outcome, error);
}

/* price.deleted: kept with is_deleted, since items and lines still name it. */
gboolean
coffer_webhook_price_delete (const CofferWebhookEvent *event,
                             CofferWebhookOutcome     *out_outcome,
                             GError                  **error)
{
  return apply_price (event, TRUE, out_outcome, error);
}
