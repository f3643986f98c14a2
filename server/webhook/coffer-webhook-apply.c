/* coffer-webhook-apply.c: reads a Stripe event's envelope, checks its API
 * version, and hands it to the handler for its type (docs/events.md). */
#include "config.h"

#include "coffer-webhook-apply.h"
#include "coffer-webhook-handlers.h"
#include "coffer-webhook-json.h"

#include <string.h>

G_DEFINE_QUARK (coffer-webhook-error-quark, coffer_webhook_error)

/* Every type Coffer handles, and what handles it. Types that change the
 * mirror alike share a handler; what each does is in docs/events.md. */
static const struct
{
  const char           *type;
  CofferWebhookHandler  handler;
} handlers[] = {
  { "customer.created", coffer_webhook_customer_apply },
  { "customer.updated", coffer_webhook_customer_apply },
  { "customer.deleted", coffer_webhook_customer_delete },
  { "customer.subscription.created", coffer_webhook_subscription_apply },
  { "customer.subscription.updated", coffer_webhook_subscription_apply },
  { "customer.subscription.deleted", coffer_webhook_subscription_apply },
  { "customer.subscription.paused", coffer_webhook_subscription_apply },
  { "customer.subscription.resumed", coffer_webhook_subscription_apply },
  { "customer.subscription.trial_will_end", coffer_webhook_subscription_apply },
  { "customer.subscription.pending_update_applied", coffer_webhook_subscription_apply },
  { "invoice.created", coffer_webhook_invoice_apply },
  { "invoice.updated", coffer_webhook_invoice_apply },
  { "invoice.finalized", coffer_webhook_invoice_apply },
  { "invoice.paid", coffer_webhook_invoice_apply },
  { "invoice.payment_succeeded", coffer_webhook_invoice_apply },
  { "invoice.payment_failed", coffer_webhook_invoice_apply },
  { "invoice.payment_action_required", coffer_webhook_invoice_apply },
  { "invoice.voided", coffer_webhook_invoice_apply },
  { "invoice.marked_uncollectible", coffer_webhook_invoice_apply },
  { "invoice.upcoming", coffer_webhook_invoice_apply_upcoming },
  { "invoice_payment.paid", coffer_webhook_invoice_payment_apply },
  { "price.created", coffer_webhook_price_apply },
  { "price.updated", coffer_webhook_price_apply },
  { "price.deleted", coffer_webhook_price_delete },
  { "product.created", coffer_webhook_product_apply },
  { "product.updated", coffer_webhook_product_apply },
  { "product.deleted", coffer_webhook_product_delete },
  { "payment_method.attached", coffer_webhook_payment_method_apply },
  { "payment_method.updated", coffer_webhook_payment_method_apply },
  { "payment_method.automatically_updated", coffer_webhook_payment_method_apply },
  { "payment_method.detached", coffer_webhook_payment_method_detach },
  { "charge.succeeded", coffer_webhook_charge_apply },
  { "charge.failed", coffer_webhook_charge_apply },
  { "charge.refunded", coffer_webhook_charge_apply },
  { "setup_intent.succeeded", coffer_webhook_setup_intent_apply },
  { "checkout.session.completed", coffer_webhook_checkout_session_apply },
};

/* API versions, "YYYY-MM-DD" or "YYYY-MM-DD.family" (named since acacia). */
#define OLDEST_API_VERSION "2022-11-15"
#define BASIL_API_DATE "2025-03-31"

static const struct
{
  const char *name;
  const char *first_date;
  const char *next_family_date; /* NULL: up to the pinned version */
} families[] = {
  { "acacia", "2024-09-30", BASIL_API_DATE },
  { "basil", BASIL_API_DATE, "2025-09-30" },
  { "clover", "2025-09-30", "2026-03-25" },
  { "dahlia", "2026-03-25", NULL },
};

const char * const *
coffer_webhook_get_handled_types (void)
{
  static const char **types;

  if (g_once_init_enter (&types))
    {
      const char **list = g_new0 (const char *, G_N_ELEMENTS (handlers) + 1);

      for (gsize i = 0; i < G_N_ELEMENTS (handlers); i++)
        list[i] = handlers[i].type;
      g_once_init_leave (&types, list);
    }
  return types;
}

static CofferWebhookHandler
lookup_handler (const char *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (handlers); i++)
    if (strcmp (handlers[i].type, type) == 0)
      return handlers[i].handler;
  return NULL;
}

static gboolean
is_date (const char *text)
{
  for (guint i = 0; i < 10; i++)
    {
      gboolean dash = (i == 4 || i == 7);

      if (text[i] == '\0' || (dash ? text[i] != '-' : !g_ascii_isdigit (text[i])))
        return FALSE;
    }
  return strncmp (text + 5, "01", 2) >= 0 && strncmp (text + 5, "12", 2) <= 0 &&
         strncmp (text + 8, "01", 2) >= 0 && strncmp (text + 8, "31", 2) <= 0;
}

/* Which shape an API version renders objects in, or why Coffer cannot read
 * it. Dates compare as text, having one fixed format. */
gboolean
coffer_webhook_parse_api_version (const char          *api_version,
                                  CofferWebhookShape  *out_shape,
                                  GError             **error)
{
  g_autofree char *date = NULL;
  const char *name;

  if (api_version == NULL || *api_version == '\0')
    {
      g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION,
                   "The event names no API version, so its shape is unknown. Pin the webhook "
                   "endpoint to %s", COFFER_WEBHOOK_API_VERSION);
      return FALSE;
    }
  if (strlen (api_version) > 32 || !is_date (api_version) ||
      (api_version[10] != '\0' && api_version[10] != '.'))
    {
      g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION,
                   "API version “%.32s” is not of the form YYYY-MM-DD or YYYY-MM-DD.name",
                   api_version);
      return FALSE;
    }

  date = g_strndup (api_version, 10);
  name = api_version[10] == '.' ? api_version + 11 : NULL;
  if (strcmp (date, OLDEST_API_VERSION) < 0)
    {
      g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION,
                   "API version “%s” is older than %s, the oldest Coffer reads. Upgrade the "
                   "webhook endpoint to %s", api_version, OLDEST_API_VERSION,
                   COFFER_WEBHOOK_API_VERSION);
      return FALSE;
    }
  if (strncmp (api_version, COFFER_WEBHOOK_API_VERSION, 10) > 0)
    {
      g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION,
                   "API version “%s” is newer than %s, the version Coffer is pinned to; its "
                   "fields may have moved. Pin the webhook endpoint to %s", api_version,
                   COFFER_WEBHOOK_API_VERSION, COFFER_WEBHOOK_API_VERSION);
      return FALSE;
    }

  if (name == NULL)
    {
      if (strcmp (date, families[0].first_date) >= 0)
        {
          g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION,
                       "API version “%s” lacks its release name: versions since %s are "
                       "written like “%s”", api_version, families[0].first_date,
                       COFFER_WEBHOOK_API_VERSION);
          return FALSE;
        }
      *out_shape = COFFER_WEBHOOK_SHAPE_PRE_BASIL;
      return TRUE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      if (strcmp (name, families[i].name) != 0)
        continue;
      if (strcmp (date, families[i].first_date) < 0 ||
          (families[i].next_family_date && strcmp (date, families[i].next_family_date) >= 0))
        break;
      *out_shape = strcmp (date, BASIL_API_DATE) >= 0 ? COFFER_WEBHOOK_SHAPE_BASIL
                                                      : COFFER_WEBHOOK_SHAPE_PRE_BASIL;
      return TRUE;
    }

  g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION,
               "API version “%s” is not a release Coffer reads (previews and unknown names "
               "are not). Pin the webhook endpoint to %s", api_version,
               COFFER_WEBHOOK_API_VERSION);
  return FALSE;
}

gboolean
coffer_webhook_is_supported_api_version (const char *api_version)
{
  CofferWebhookShape shape;

  return coffer_webhook_parse_api_version (api_version, &shape, NULL);
}

static gboolean
read_envelope (JsonObject          *event,
               CofferWebhookEvent  *out_event,
               GError             **error)
{
  g_autoptr (GError) problem = NULL;
  const char *object_kind;
  JsonObject *data;

  out_event->id = coffer_webhook_json_require_string (event, "id", &problem);
  out_event->type = coffer_webhook_json_require_string (event, "type", &problem);
  out_event->created = coffer_webhook_json_require_int (event, "created", &problem);
  out_event->api_version = coffer_webhook_json_get_string (event, "api_version", &problem);
  object_kind = coffer_webhook_json_get_string (event, "object", &problem);
  data = coffer_webhook_json_get_object (event, "data", &problem);
  if (data == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“data” is missing or null");
  out_event->object = coffer_webhook_json_get_object (data, "object", &problem);
  if (out_event->object == NULL && problem == NULL)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“data.object” is missing or null");
  coffer_webhook_json_get_object (data, "previous_attributes", &problem);
  if (problem == NULL && object_kind != NULL && strcmp (object_kind, "event") != 0)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“object” is “%s”, not “event”", object_kind);
  if (problem == NULL && out_event->created <= 0)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "“created” is %" G_GINT64_FORMAT ", not a time", out_event->created);

  if (problem != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&problem));
      return FALSE;
    }
  return TRUE;
}

gboolean
coffer_webhook_apply (PGconn               *conn,
                      GHashTable           *prepared_names,
                      JsonObject           *event,
                      CofferWebhookOutcome *out_outcome,
                      GError              **error)
{
  CofferWebhookEvent applied = { conn, prepared_names, NULL, NULL, NULL, 0, 0, NULL };
  g_autoptr (GError) local_error = NULL;
  CofferWebhookHandler handler;

  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (out_outcome != NULL, FALSE);

  if (!read_envelope (event, &applied, &local_error))
    {
      const char *id = applied.id ? applied.id : "without an id";

      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "Event %s: ", id);
      return FALSE;
    }

  /* An unknown type is not an error: the worker stores it as ignored and
   * logs it, like every event, once with its outcome. */
  handler = lookup_handler (applied.type);
  if (handler == NULL)
    {
      *out_outcome = COFFER_WEBHOOK_OUTCOME_IGNORED;
      return TRUE;
    }

  if (!coffer_webhook_parse_api_version (applied.api_version, &applied.shape, &local_error) ||
      !handler (&applied, out_outcome, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "Event %s (%s): ",
                                  applied.id, applied.type);
      return FALSE;
    }
  return TRUE;
}

/* Checks that data.object is a @expected ("invoice", …) with an id. */
gboolean
coffer_webhook_check_object (const CofferWebhookEvent *event,
                             const char               *expected,
                             const char              **out_id,
                             GError                  **error)
{
  g_autoptr (GError) problem = NULL;
  const char *kind = coffer_webhook_json_get_string (event->object, "object", &problem);
  const char *id = coffer_webhook_json_get_string (event->object, "id", &problem);

  if (problem == NULL && g_strcmp0 (kind, expected) != 0)
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "data.object is “%s”, expected “%s”", kind ? kind : "(no object kind)",
                 expected);
  if (problem == NULL && (id == NULL || *id == '\0'))
    g_set_error (&problem, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "the %s in data.object has no id", expected);
  if (problem != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&problem), "data.object: ");
      return FALSE;
    }
  *out_id = id;
  return TRUE;
}

/* The index of @status in @statuses (NULL-terminated, in lifecycle order),
 * or -1 with a MALFORMED error naming the status. */
gint
coffer_webhook_rank_of (const char          *status,
                        const char * const  *statuses,
                        const char          *what,
                        GError             **error)
{
  for (gint i = 0; statuses[i]; i++)
    if (g_strcmp0 (status, statuses[i]) == 0)
      return i;
  if (error && *error == NULL)
    g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                 "%s “%s” is not one Coffer knows", what, status ? status : "(none)");
  return -1;
}

/* The last four digits of a card, the only part of its number Coffer keeps. */
gboolean
coffer_webhook_is_card_last4 (const char *text)
{
  return text != NULL && strlen (text) == 4 && g_ascii_isdigit (text[0]) &&
         g_ascii_isdigit (text[1]) && g_ascii_isdigit (text[2]) && g_ascii_isdigit (text[3]);
}

void
coffer_webhook_bind_state (CofferDbQuery            *query,
                           const CofferWebhookEvent *event,
                           gint64                    rank)
{
  coffer_db_query_int64 (query, event->created);
  coffer_db_query_int64 (query, rank);
  coffer_db_query_text (query, event->id);
  coffer_db_query_text (query, event->api_version);
}

/* An integer member (a time, a count) as a parameter, NULL when absent. */
void
coffer_webhook_bind_optional_int (CofferDbQuery  *query,
                                  JsonObject     *object,
                                  const char     *member,
                                  GError        **error)
{
  gint64 value;

  if (coffer_webhook_json_get_int (object, member, &value, error))
    coffer_db_query_int64 (query, value);
  else
    coffer_db_query_null (query);
}

/* Runs an upsert whose single row, single column says whether the main
 * object took the event's state. */
gboolean
coffer_webhook_run (const CofferWebhookEvent *event,
                    CofferDbQuery            *query,
                    CofferWebhookOutcome     *out_outcome,
                    GError                  **error)
{
  g_autoptr (PGresult) result = coffer_db_query_exec (query, event->conn, event->prepared_names,
                                                      error);

  if (result == NULL)
    return FALSE;
  if (out_outcome == NULL)
    return TRUE;
  if (PQntuples (result) == 1 && PQnfields (result) >= 1 &&
      strcmp (PQgetvalue (result, 0, 0), "t") == 0)
    *out_outcome = COFFER_WEBHOOK_OUTCOME_APPLIED;
  else
    *out_outcome = COFFER_WEBHOOK_OUTCOME_STALE;
  return TRUE;
}
