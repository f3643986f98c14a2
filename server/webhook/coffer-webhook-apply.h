/* coffer-webhook-apply.h: applying one Stripe event to the mirror tables. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

/* The API version Coffer's webhook endpoint is pinned to. */
#define COFFER_WEBHOOK_API_VERSION "2026-07-29.dahlia"

#define COFFER_WEBHOOK_ERROR (coffer_webhook_error_quark ())

typedef enum
{
  COFFER_WEBHOOK_ERROR_MALFORMED,           /* not an event Coffer can read: park it */
  COFFER_WEBHOOK_ERROR_UNSUPPORTED_VERSION, /* rendered in an API version Coffer does not read */
} CofferWebhookError;

typedef enum
{
  COFFER_WEBHOOK_OUTCOME_APPLIED, /* the mirror now holds the event's state */
  COFFER_WEBHOOK_OUTCOME_STALE,   /* the mirror already held a newer (or the same) state */
  COFFER_WEBHOOK_OUTCOME_IGNORED, /* a type Coffer does not handle */
} CofferWebhookOutcome;

GQuark              coffer_webhook_error_quark              (void);

/* Applies one event (the whole Stripe Event object) to the mirror on @conn,
 * inside the caller's open transaction; never BEGINs or COMMITs. STALE: the
 * mirror already holds a newer state (still a success). IGNORED: a type we do
 * not handle. MALFORMED / UNSUPPORTED_VERSION errors mean "park it"; any
 * COFFER_DB_ERROR means "retry later". */
gboolean            coffer_webhook_apply                    (PGconn               *conn,
                                                             GHashTable           *prepared_names,
                                                             JsonObject           *event,
                                                             CofferWebhookOutcome *out_outcome,
                                                             GError              **error);
gboolean            coffer_webhook_is_supported_api_version (const char           *api_version);
const char * const *coffer_webhook_get_handled_types        (void);

G_END_DECLS
