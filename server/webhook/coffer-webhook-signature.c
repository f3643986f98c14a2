/* coffer-webhook-signature.c: Stripe-Signature parsing and HMAC-SHA256 verification. */
#include "config.h"

#include "coffer-webhook-signature.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)

G_DEFINE_QUARK (coffer-webhook-signature-error-quark, coffer_webhook_signature_error)

/* "9223372036854775807" has 19 digits. */
#define MAX_TIMESTAMP_DIGITS 19

typedef struct
{
  gint64     timestamp;
  GPtrArray *v1_signatures; /* GBytes, COFFER_WEBHOOK_SIGNATURE_LENGTH bytes each */
  guint      n_v1_elements; /* including those that could not be decoded */
} ParsedHeader;

static void
parsed_header_clear (ParsedHeader *parsed)
{
  g_clear_pointer (&parsed->v1_signatures, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ParsedHeader, parsed_header_clear)

/* Stripe sends the timestamp as the plain decimal form of an integer. We accept only
 * that form (digits, no sign, no leading zero) so that the text we sign, the decimal
 * form of the parsed value, is byte for byte the text that appeared in the header.
 * stripe-node's parseInt() is looser, but it too signs the decimal form of the value. */
static gboolean
parse_timestamp (const char  *text,
                 gsize        length,
                 gint64      *out_timestamp,
                 GError     **error)
{
  gint64 value = 0;

  if (length == 0)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                   "Stripe-Signature header's timestamp (t=) is empty");
      return FALSE;
    }

  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        {
          g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                       COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                       "Stripe-Signature header's timestamp (t=) is not a plain decimal number: "
                       "character %" G_GSIZE_FORMAT " is not a digit",
                       i + 1);
          return FALSE;
        }
    }

  if (text[0] == '0' && length > 1)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                   "Stripe-Signature header's timestamp (t=) has a leading zero");
      return FALSE;
    }

  if (length > MAX_TIMESTAMP_DIGITS)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                   "Stripe-Signature header's timestamp (t=) has %" G_GSIZE_FORMAT " digits "
                   "and does not fit in 64 bits",
                   length);
      return FALSE;
    }

  for (gsize i = 0; i < length; i++)
    {
      int digit = text[i] - '0';

      if (value > (G_MAXINT64 - digit) / 10)
        {
          g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                       COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                       "Stripe-Signature header's timestamp (t=) has %" G_GSIZE_FORMAT " digits "
                       "and does not fit in 64 bits",
                       length);
          return FALSE;
        }
      value = value * 10 + digit;
    }

  *out_timestamp = value;
  return TRUE;
}

static int
lower_hex_digit_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* stripe-node compares each v1 value as a string with the lowercase hex form of the
 * expected HMAC, and a string of another length simply does not match. So a v1 that is
 * not exactly 64 lowercase hex digits (truncated, upper case, padded with spaces) is not
 * an error but a signature that cannot match: we return NULL and the caller skips it. */
static GBytes *
decode_v1_signature (const char *text,
                     gsize       length)
{
  guint8 bytes[COFFER_WEBHOOK_SIGNATURE_LENGTH];

  if (length != 2 * COFFER_WEBHOOK_SIGNATURE_LENGTH)
    return NULL;

  for (gsize i = 0; i < COFFER_WEBHOOK_SIGNATURE_LENGTH; i++)
    {
      int high = lower_hex_digit_value (text[2 * i]);
      int low = lower_hex_digit_value (text[2 * i + 1]);

      if (high < 0 || low < 0)
        return NULL;
      bytes[i] = (guint8) (high << 4 | low);
    }

  return g_bytes_new (bytes, sizeof bytes);
}

static gboolean
check_header_bytes (const char  *header,
                    gsize       *out_length,
                    GError     **error)
{
  gsize length;

  if (header == NULL || header[0] == '\0')
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING,
                   "Stripe-Signature header is missing or empty");
      return FALSE;
    }

  /* strnlen: a huge header costs no more than one just over the limit. */
  length = strnlen (header, COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH + 1);
  if (length > COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                   "Stripe-Signature header is longer than the %d bytes accepted",
                   COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH);
      return FALSE;
    }

  /* Control bytes never appear in Stripe's header; CR or LF would mean header splitting
   * upstream, and they must not reach our logs. */
  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) header[i];

      if (c < 0x20 || c == 0x7f)
        {
          g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                       COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                       "Stripe-Signature header contains control byte 0x%02x at offset %"
                       G_GSIZE_FORMAT,
                       c, i);
          return FALSE;
        }
    }

  *out_length = length;
  return TRUE;
}

/* The header is comma-separated key=value elements. Like stripe-node we split on ","
 * and on "=" and trim nothing: " v1" is an unknown
 * key, ignored, as the vector invalid_header_space_after_comma requires. Elements with an
 * unknown key (v0, empty elements) are ignored. Unlike stripe-node, which keeps the last
 * t, a second t is an error: the signer never sends two. */
static gboolean
parse_header (const char    *header,
              ParsedHeader  *parsed,
              GError       **error)
{
  gsize length = 0;
  const char *end;
  const char *element;
  gboolean has_timestamp = FALSE;

  if (!check_header_bytes (header, &length, error))
    return FALSE;

  parsed->timestamp = 0;
  parsed->n_v1_elements = 0;
  parsed->v1_signatures = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  end = header + length;
  element = header;
  while (element <= end)
    {
      const char *element_end = memchr (element, ',', (gsize) (end - element));
      const char *equals;
      const char *value;
      gsize key_length;
      gsize value_length;

      if (element_end == NULL)
        element_end = end;

      equals = memchr (element, '=', (gsize) (element_end - element));
      key_length = (gsize) ((equals != NULL ? equals : element_end) - element);
      value = equals != NULL ? equals + 1 : element_end;
      value_length = (gsize) (element_end - value);

      if (key_length == 1 && element[0] == 't')
        {
          if (has_timestamp)
            {
              g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                           COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                           "Stripe-Signature header has more than one timestamp (t=)");
              return FALSE;
            }
          if (!parse_timestamp (value, value_length, &parsed->timestamp, error))
            return FALSE;
          has_timestamp = TRUE;
        }
      else if (key_length == 2 && element[0] == 'v' && element[1] == '1')
        {
          GBytes *signature;

          /* Checked before decoding so that a flood of v1 costs nothing. */
          if (parsed->n_v1_elements == COFFER_WEBHOOK_SIGNATURE_MAX_V1)
            {
              g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                           COFFER_WEBHOOK_SIGNATURE_ERROR_TOO_MANY,
                           "Stripe-Signature header has more than %d v1 signatures",
                           COFFER_WEBHOOK_SIGNATURE_MAX_V1);
              return FALSE;
            }
          parsed->n_v1_elements++;

          signature = decode_v1_signature (value, value_length);
          if (signature != NULL)
            g_ptr_array_add (parsed->v1_signatures, signature);
        }

      element = element_end + 1;
    }

  /* stripe-node's order: a missing timestamp is reported before a missing v1. */
  if (!has_timestamp)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED,
                   "Stripe-Signature header has no timestamp (t=)");
      return FALSE;
    }

  if (parsed->n_v1_elements == 0)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                   COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE,
                   "Stripe-Signature header has no v1 signature");
      return FALSE;
    }

  return TRUE;
}

/**
 * coffer_webhook_signature_parse:
 * @header: (nullable): the Stripe-Signature header value, e.g.
 *   `t=1492774577,v1=5257a8…,v0=6ffbb…`
 * @out_timestamp: (out) (optional): the `t` element, Unix seconds
 * @out_v1_signatures: (out) (optional) (transfer full) (element-type GBytes): the `v1`
 *   signatures, decoded to %COFFER_WEBHOOK_SIGNATURE_LENGTH bytes each
 * @error: return location for a #GError
 *
 * Splits the header into its timestamp and its `v1` signatures. Other schemes (`v0`) and
 * unknown keys are ignored. A `v1` value that is not exactly 64 lowercase hex digits is
 * left out of @out_v1_signatures, as it could never match (stripe-node compares the hex
 * strings), but still counts as a `v1` element; so the array may be empty when the
 * function succeeds.
 *
 * A header over %COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH bytes, holding a control
 * byte, or whose `t` is missing, repeated, or not a plain decimal that fits in 64 bits is
 * %COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED. Error messages never quote the header.
 *
 * Returns: %TRUE if the header has a timestamp and at least one `v1` element
 */
gboolean
coffer_webhook_signature_parse (const char  *header,
                                gint64      *out_timestamp,
                                GPtrArray  **out_v1_signatures,
                                GError     **error)
{
  g_auto (ParsedHeader) parsed = { 0, };

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!parse_header (header, &parsed, error))
    return FALSE;

  if (out_timestamp != NULL)
    *out_timestamp = parsed.timestamp;
  if (out_v1_signatures != NULL)
    *out_v1_signatures = g_steal_pointer (&parsed.v1_signatures);
  return TRUE;
}

static gboolean
compute_hmac_sha256 (EVP_MAC       *mac,
                     const char    *secret,
                     const char    *timestamp_text,
                     const guint8  *payload,
                     gsize          payload_length,
                     guint8        *out_digest,
                     GError       **error)
{
  g_autoptr (EVP_MAC_CTX) context = EVP_MAC_CTX_new (mac);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, digest_name, 0),
    OSSL_PARAM_construct_end (),
  };
  gsize digest_length = 0;

  /* The key is the whole secret string, "whsec_" included, as Stripe uses it. */
  if (context == NULL
      || !EVP_MAC_init (context, (const unsigned char *) secret, strlen (secret), params)
      || !EVP_MAC_update (context, (const unsigned char *) timestamp_text,
                          strlen (timestamp_text))
      || !EVP_MAC_update (context, (const unsigned char *) ".", 1)
      || !EVP_MAC_update (context, payload, payload_length)
      || !EVP_MAC_final (context, out_digest, &digest_length, COFFER_WEBHOOK_SIGNATURE_LENGTH)
      || digest_length != COFFER_WEBHOOK_SIGNATURE_LENGTH)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                   COFFER_WEBHOOK_SIGNATURE_ERROR_CRYPTO_FAILED,
                   "OpenSSL could not compute the HMAC-SHA256 of a webhook payload");
      return FALSE;
    }

  return TRUE;
}

/**
 * coffer_webhook_signature_verify:
 * @header: (nullable): the Stripe-Signature header value
 * @payload: (array length=payload_length): the raw request body, exactly as received
 * @payload_length: length of @payload in bytes
 * @secrets: (nullable) (array zero-terminated=1): the configured webhook secrets
 *   (`whsec_…`); empty strings are skipped
 * @now_seconds: the receiver's clock, Unix seconds
 * @tolerance_seconds: the oldest signature accepted, in seconds (Stripe's default is 300);
 *   0 or less does not check the timestamp at all, as stripe-node's verifyHeader() does.
 *   (Its constructEvent() turns 0 into 300 instead.) Disabling the check disables replay
 *   protection, so configuration must not let 0 through by accident.
 * @error: return location for a #GError
 *
 * Checks that some `v1` signature of @header is the HMAC-SHA256 of `"<t>.<payload>"`
 * under some secret of @secrets, compared in constant time, and that the signature is
 * not older than @tolerance_seconds. A timestamp in the future is accepted, as
 * stripe-node does: only the age is bounded.
 *
 * The checks run in this order, so that the error kinds are stripe-node's: a secret is
 * configured (%COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SECRETS, our own check: the server's
 * fault comes first), the payload is not empty, the header parses (see
 * coffer_webhook_signature_parse()), a signature matches
 * (%COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH), then the timestamp is recent
 * (%COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE). Neither secrets nor
 * signatures ever appear in error messages.
 *
 * Returns: %TRUE if the payload was signed by Stripe with one of @secrets recently enough
 */
gboolean
coffer_webhook_signature_verify (const char          *header,
                                 const guint8        *payload,
                                 gsize                payload_length,
                                 const char * const  *secrets,
                                 gint64               now_seconds,
                                 gint64               tolerance_seconds,
                                 GError             **error)
{
  g_auto (ParsedHeader) parsed = { 0, };
  g_autoptr (EVP_MAC) mac = NULL;
  char timestamp_text[MAX_TIMESTAMP_DIGITS + 1];
  guint n_secrets = 0;
  gboolean is_matched = FALSE;

  g_return_val_if_fail (payload != NULL || payload_length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (gsize i = 0; secrets != NULL && secrets[i] != NULL; i++)
    if (secrets[i][0] != '\0')
      n_secrets++;

  if (n_secrets == 0)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                   COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SECRETS,
                   "No Stripe webhook secret is configured, so no Stripe-Signature can be "
                   "verified");
      return FALSE;
    }

  if (payload_length == 0)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                   COFFER_WEBHOOK_SIGNATURE_ERROR_EMPTY_PAYLOAD,
                   "Webhook payload is empty; Stripe always sends an event");
      return FALSE;
    }

  if (!parse_header (header, &parsed, error))
    return FALSE;

  /* parse_timestamp() accepted only the canonical decimal form, so this is the exact
   * text of the header's t, which is what Stripe signed. */
  g_snprintf (timestamp_text, sizeof timestamp_text, "%" G_GINT64_FORMAT, parsed.timestamp);

  mac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  if (mac == NULL)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                   COFFER_WEBHOOK_SIGNATURE_ERROR_CRYPTO_FAILED,
                   "OpenSSL has no HMAC implementation loaded");
      return FALSE;
    }

  /* One HMAC per secret, compared with every v1. The loop does not stop at a match, so
   * its duration depends only on the numbers of secrets and signatures. */
  for (gsize i = 0; secrets[i] != NULL; i++)
    {
      guint8 expected[COFFER_WEBHOOK_SIGNATURE_LENGTH];

      if (secrets[i][0] == '\0')
        continue;

      if (!compute_hmac_sha256 (mac, secrets[i], timestamp_text, payload, payload_length,
                                expected, error))
        return FALSE;

      for (guint j = 0; j < parsed.v1_signatures->len; j++)
        {
          GBytes *signature = g_ptr_array_index (parsed.v1_signatures, j);

          if (CRYPTO_memcmp (g_bytes_get_data (signature, NULL), expected, sizeof expected) == 0)
            is_matched = TRUE;
        }

      OPENSSL_cleanse (expected, sizeof expected);
    }

  if (!is_matched)
    {
      guint n_undecodable = parsed.n_v1_elements - parsed.v1_signatures->len;
      g_autofree char *detail = NULL;

      /* Say why a header that Stripe could not have sent fails, without quoting it. */
      if (n_undecodable > 0)
        detail = g_strdup_printf (" (%u of its %u v1 signatures %s not 64 lowercase hex digits)",
                                  n_undecodable, parsed.n_v1_elements,
                                  n_undecodable == 1 ? "is" : "are");

      if (n_secrets == 1)
        g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                     COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH,
                     "No v1 signature in the Stripe-Signature header matches the payload under "
                     "the configured webhook secret%s",
                     detail != NULL ? detail : "");
      else
        g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                     COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH,
                     "No v1 signature in the Stripe-Signature header matches the payload under "
                     "any of the %u configured webhook secrets%s",
                     n_secrets, detail != NULL ? detail : "");
      return FALSE;
    }

  /* Only the age is bounded, as in stripe-node: a timestamp ahead of our clock (clock
   * skew) is accepted. now - t cannot overflow here: t >= 0 and t < now. */
  if (tolerance_seconds > 0
      && parsed.timestamp < now_seconds
      && now_seconds - parsed.timestamp > tolerance_seconds)
    {
      g_set_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                   COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE,
                   "Stripe-Signature timestamp %" G_GINT64_FORMAT " is %" G_GINT64_FORMAT
                   " s older than the receiver's clock, more than the %" G_GINT64_FORMAT
                   " s tolerance",
                   parsed.timestamp, now_seconds - parsed.timestamp, tolerance_seconds);
      return FALSE;
    }

  return TRUE;
}
