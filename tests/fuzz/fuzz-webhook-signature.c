/* fuzz-webhook-signature.c: libFuzzer target for Stripe-Signature parsing and verification. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "webhook/coffer-webhook-signature.h"

/* Input format, shared with the corpus replay in tests/test-webhook-signature.c: the
 * header is everything before the first "\n\n", the payload everything after it. */
#define NOW       G_GINT64_CONSTANT (1788430700)
#define TOLERANCE G_GINT64_CONSTANT (300)

static const char *secrets[] = { "whsec_coffer_fuzz_old", "whsec_coffer_fuzz", NULL };

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Appends the right v1 for the parsed timestamp and the payload, then checks that
 * verification now succeeds, or fails only for a reason that a valid v1 cannot fix. */
static void
check_with_valid_signature (const char    *header,
                            gint64         timestamp,
                            const guint8  *payload,
                            gsize          payload_length)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secrets[1],
                                       strlen (secrets[1]));
  g_autofree char *prefix = g_strdup_printf ("%" G_GINT64_FORMAT ".", timestamp);
  g_autofree char *resigned = NULL;
  g_autoptr (GError) error = NULL;

  g_hmac_update (hmac, (const guchar *) prefix, -1);
  g_hmac_update (hmac, payload, (gssize) payload_length);
  resigned = g_strdup_printf ("%s,v1=%s", header, g_hmac_get_string (hmac));

  if (coffer_webhook_signature_verify (resigned, payload, payload_length, secrets, NOW,
                                       TOLERANCE, &error))
    return;

  if (g_error_matches (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                       COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE)
      || g_error_matches (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                          COFFER_WEBHOOK_SIGNATURE_ERROR_TOO_MANY)
      || g_error_matches (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                          COFFER_WEBHOOK_SIGNATURE_ERROR_EMPTY_PAYLOAD)
      || (g_error_matches (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                           COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED)
          && strlen (resigned) > COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH))
    return;

  g_printerr ("A header that parsed failed verification with a valid v1 added: %s\n",
              error->message);
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  gsize header_length = 0;
  const guint8 *payload;
  gsize payload_length;
  g_autofree char *header = NULL;
  g_autoptr (GPtrArray) signatures = NULL;
  g_autoptr (GError) error = NULL;
  gint64 timestamp = 0;

  while (header_length < size
         && !(data[header_length] == '\n' && header_length + 1 < size
              && data[header_length + 1] == '\n'))
    header_length++;
  payload = header_length < size ? data + header_length + 2 : data + size;
  payload_length = size - (gsize) (payload - data);
  header = g_strndup ((const char *) data, header_length);

  if (coffer_webhook_signature_parse (header, &timestamp, &signatures, &error))
    {
      if (signatures == NULL || timestamp < 0)
        abort ();
      for (guint i = 0; i < signatures->len; i++)
        {
          GBytes *signature = g_ptr_array_index (signatures, i);

          if (g_bytes_get_size (signature) != COFFER_WEBHOOK_SIGNATURE_LENGTH)
            abort ();
        }
      check_with_valid_signature (header, timestamp, payload, payload_length);
    }
  else if (error == NULL || error->domain != COFFER_WEBHOOK_SIGNATURE_ERROR)
    {
      abort ();
    }

  (void) coffer_webhook_signature_verify (header, payload, payload_length, secrets, NOW,
                                          TOLERANCE, NULL);
  return 0;
}
