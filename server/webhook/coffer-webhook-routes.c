/* coffer-webhook-routes.c: receives Stripe's webhooks.
 *
 * The request path does three things only: check the signature, hand the
 * body to the inbox, and answer once the inbox says the row is committed.
 * Applying the event happens later on worker threads (coffer-webhook-worker.c),
 * so Stripe always gets a fast answer and a crash after it loses nothing. */
#include "config.h"

#include "coffer-webhook-routes.h"
#include "http/coffer-http-error.h"
#include "webhook/coffer-webhook-signature.h"

#include <string.h>

struct _CofferWebhookRoutes
{
  CofferServerContext *context;
  CofferInbox         *inbox;
  gint64               tolerance_s;
  gboolean             warned_no_secrets;
};

static void
count (CofferWebhookRoutes *self,
       const char          *outcome)
{
  g_autofree char *labels = g_strdup_printf ("outcome=\"%s\"", outcome);

  coffer_metrics_add (self->context->metrics, "coffer_webhooks_received_total", labels, 1);
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (CofferRequest) request = user_data;
  CofferWebhookRoutes *self = g_object_get_data (G_OBJECT (request), "coffer-webhook-routes");
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferInboxReceipt) receipt = NULL;
  g_autofree char *body = NULL;

  receipt = coffer_inbox_store_finish (COFFER_INBOX (source), result, &error);
  if (receipt == NULL)
    {
      if (g_error_matches (error, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_UNAVAILABLE))
        {
          count (self, "unavailable");
          coffer_request_respond_error (request, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                        COFFER_ERROR_TYPE_UNAVAILABLE, "database_unavailable",
                                        NULL, "The event could not be stored just now; "
                                        "Stripe will send it again");
          return;
        }
      count (self, g_error_matches (error, COFFER_INBOX_ERROR,
                                    COFFER_INBOX_ERROR_LIVEMODE_MISMATCH)
                     ? "livemode_mismatch" : "malformed");
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                        "REQUEST_ID", coffer_request_get_id (request),
                        "MESSAGE", "Refused a webhook: %s", error->message);
      coffer_request_respond_error (
        request, SOUP_STATUS_BAD_REQUEST, COFFER_ERROR_TYPE_INVALID_REQUEST,
        g_error_matches (error, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_NOT_JSON) ? "invalid_json"
        : g_error_matches (error, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_LIVEMODE_MISMATCH)
          ? "livemode_mismatch" : "invalid_event",
        NULL, "%s", error->message);
      return;
    }

  count (self, receipt->duplicate ? "duplicate" : "stored");
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO,
                    "REQUEST_ID", coffer_request_get_id (request),
                    "EVENT_ID", receipt->event_id,
                    "EVENT_TYPE", receipt->event_type,
                    "MESSAGE", "Webhook %s %s %s", receipt->event_type, receipt->event_id,
                    receipt->duplicate ? "was already stored" : "stored");
  body = g_strdup_printf ("{\"received\":true,\"duplicate\":%s}",
                          receipt->duplicate ? "true" : "false");
  coffer_request_respond (request, SOUP_STATUS_OK, "application/json; charset=utf-8", body,
                          strlen (body));
}

static gboolean
content_type_is_json (const char *content_type)
{
  g_autofree char *media = NULL;
  const char *semicolon;

  if (content_type == NULL)
    return FALSE;
  semicolon = strchr (content_type, ';');
  media = g_strstrip (semicolon ? g_strndup (content_type, semicolon - content_type)
                                : g_strdup (content_type));
  return g_ascii_strcasecmp (media, "application/json") == 0;
}

static void
refuse_signature (CofferWebhookRoutes *self,
                  CofferRequest       *request,
                  const GError        *error)
{
  count (self, "bad_signature");
  /* The reason only: never the header, never a secret. */
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                    "REQUEST_ID", coffer_request_get_id (request),
                    "MESSAGE", "Refused a webhook with a bad signature: %s", error->message);
  coffer_request_respond_error (request, SOUP_STATUS_BAD_REQUEST,
                                COFFER_ERROR_TYPE_INVALID_REQUEST, "signature_invalid",
                                "Stripe-Signature", "%s", error->message);
}

static void
on_webhook (CofferRequest *request,
            gpointer       user_data)
{
  CofferWebhookRoutes *self = user_data;
  CofferConfig *config = self->context->config;
  const char * const *secrets = coffer_config_get_string_list (config, "stripe",
                                                               "webhook_secrets");
  const char *signature = coffer_request_get_header (request, "Stripe-Signature");
  GBytes *body = coffer_request_get_body (request);
  g_autoptr (GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (body, &length);
  gint64 now = coffer_clock_now_usec (self->context->clock) / G_USEC_PER_SEC;

  if (secrets == NULL || secrets[0] == NULL || secrets[0][0] == '\0')
    {
      /* Nothing can be verified: answer so that Stripe keeps retrying until
       * someone configures the secret, rather than losing the events. */
      if (!self->warned_no_secrets)
        g_critical ("A webhook arrived but [stripe] webhook_secrets is empty: every webhook "
                    "is refused with 503 until it is set");
      self->warned_no_secrets = TRUE;
      count (self, "not_configured");
      coffer_request_respond_error (request, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                    COFFER_ERROR_TYPE_UNAVAILABLE, "webhook_not_configured",
                                    NULL, "This server has no webhook signing secret yet");
      return;
    }

  if (!content_type_is_json (coffer_request_get_header (request, "Content-Type")))
    {
      count (self, "malformed");
      coffer_request_respond_error (request, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                                    COFFER_ERROR_TYPE_INVALID_REQUEST, "unsupported_media_type",
                                    "Content-Type", "Stripe webhooks are application/json");
      return;
    }

  if (signature == NULL)
    {
      count (self, "bad_signature");
      coffer_request_respond_error (request, SOUP_STATUS_BAD_REQUEST,
                                    COFFER_ERROR_TYPE_INVALID_REQUEST, "signature_missing",
                                    "Stripe-Signature", "The Stripe-Signature header is missing");
      return;
    }

  if (!coffer_webhook_signature_verify (signature, data, length, secrets, now, self->tolerance_s,
                                        &error))
    {
      if (g_error_matches (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                           COFFER_WEBHOOK_SIGNATURE_ERROR_CRYPTO_FAILED))
        {
          /* Our fault, not the sender's: 500, and Stripe tries again. */
          g_critical ("Could not compute a webhook signature: %s", error->message);
          coffer_request_respond_error (request, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                        COFFER_ERROR_TYPE_API, "signature_check_failed", NULL,
                                        "The signature could not be checked just now");
          return;
        }
      refuse_signature (self, request, error);
      return;
    }

  g_object_set_data (G_OBJECT (request), "coffer-webhook-routes", self);
  coffer_inbox_store_async (self->inbox, body, on_stored, g_object_ref (request));
}

CofferWebhookRoutes *
coffer_webhook_routes_register (CofferRouter        *router,
                                CofferServerContext *context,
                                CofferInbox         *inbox)
{
  CofferWebhookRoutes *self = g_new0 (CofferWebhookRoutes, 1);

  self->context = context;
  self->inbox = g_object_ref (inbox);
  self->tolerance_s = coffer_config_get_int (context->config, "webhook", "tolerance");

  coffer_metrics_register_counter (context->metrics, "coffer_webhooks_received_total",
                                   "Stripe webhook requests by outcome: stored, duplicate, "
                                   "bad_signature, malformed, livemode_mismatch, unavailable, "
                                   "not_configured.");
  coffer_router_add (router, "POST", "/v1/stripe/webhook",
                     (gsize) coffer_config_get_int (context->config, "webhook", "max_body_size"),
                     on_webhook, self);
  return self;
}

void
coffer_webhook_routes_free (CofferWebhookRoutes *self)
{
  g_clear_object (&self->inbox);
  g_free (self);
}
