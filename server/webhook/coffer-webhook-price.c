/* coffer-webhook-price.c: products and prices, from the price objects embedded
 * in subscription items and invoice lines, written with the event's key. */
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
  JsonObject *recurring = coffer_webhook_json_get_object (price, "recurring", problem);
  Price *entry;

  currency = coffer_webhook_json_require_currency (price, "currency", problem);
  coffer_webhook_record_begin (record);
  coffer_webhook_record_add_string (record, "id", id);
  coffer_webhook_record_add_string (record, "product_id", product_id);
  coffer_webhook_record_add_boolean (record, "active",
                                     coffer_webhook_json_get_boolean (price, "active", problem));
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
  coffer_webhook_record_add_string (record, "lookup_key",
                                    coffer_webhook_json_get_string (price, "lookup_key",
                                                                    problem));
  coffer_webhook_record_add_string (record, "nickname",
                                    coffer_webhook_json_get_string (price, "nickname", problem));
  coffer_webhook_record_add_string (record, "tax_behavior",
                                    coffer_webhook_json_get_string (price, "tax_behavior",
                                                                    problem));
  add_int (record, price, "created", "created", problem);
  coffer_webhook_record_end (record);

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
 * once, with its product, and its state waits for a full object. A price
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
