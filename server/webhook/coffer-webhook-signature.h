/* coffer-webhook-signature.h: parsing and verification of Stripe's Stripe-Signature header. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define COFFER_WEBHOOK_SIGNATURE_ERROR (coffer_webhook_signature_error_quark ())

/**
 * CofferWebhookSignatureError:
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING: there is no header, or it is empty.
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED: the header is too long, holds a control byte,
 *   or has no timestamp (`t=`), more than one, or one that is not a plain decimal number.
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE: the header has no `v1` element.
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_TOO_MANY: the header has more `v1` elements than
 *   %COFFER_WEBHOOK_SIGNATURE_MAX_V1 allows.
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE: the signature matches but
 *   was made longer ago than the tolerance allows (a replay).
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH: no `v1` signature matches the payload under
 *   any configured secret.
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SECRETS: no webhook secret is configured (a server
 *   configuration problem, not the sender's).
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_EMPTY_PAYLOAD: the body is empty; stripe-node refuses to
 *   verify an empty payload and so do we.
 * @COFFER_WEBHOOK_SIGNATURE_ERROR_CRYPTO_FAILED: OpenSSL could not compute the HMAC (out of
 *   memory, or no SHA-256 in the loaded providers): a server fault, not the sender's.
 */
typedef enum
{
  COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING,
  COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
  COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE,
  COFFER_WEBHOOK_SIGNATURE_ERROR_TOO_MANY,
  COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE,
  COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH,
  COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SECRETS,
  COFFER_WEBHOOK_SIGNATURE_ERROR_EMPTY_PAYLOAD,
  COFFER_WEBHOOK_SIGNATURE_ERROR_CRYPTO_FAILED,
} CofferWebhookSignatureError;

/* Longest Stripe-Signature header accepted, in bytes. Stripe sends one `t`, one `v1` per
 * active secret and, in test mode, a `v0`: about 70 bytes per element. */
#define COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH 8192

/* Most `v1` elements accepted in one header (Stripe sends one per active secret). */
#define COFFER_WEBHOOK_SIGNATURE_MAX_V1 32

/* Length of a decoded `v1` signature: an HMAC-SHA256. */
#define COFFER_WEBHOOK_SIGNATURE_LENGTH 32

GQuark   coffer_webhook_signature_error_quark (void);

gboolean coffer_webhook_signature_parse       (const char          *header,
                                               gint64              *out_timestamp,
                                               GPtrArray          **out_v1_signatures,
                                               GError             **error);

gboolean coffer_webhook_signature_verify      (const char          *header,
                                               const guint8        *payload,
                                               gsize                payload_length,
                                               const char * const  *secrets,
                                               gint64               now_seconds,
                                               gint64               tolerance_seconds,
                                               GError             **error);

G_END_DECLS
