/* test-webhook-signature.c: Stripe-Signature parse/verify cases, Stripe's vectors, fuzz corpus. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "webhook/coffer-webhook-signature.h"

#define SECRET        "whsec_XVzDtest0000000000000000000000"
#define OTHER_SECRET  "whsec_HNoAtest1111111111111111111111"
#define NOW           G_GINT64_CONSTANT (1788430700)
#define TOLERANCE     G_GINT64_CONSTANT (300)
#define PAYLOAD       "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\"\n}"

/* 64 lowercase hex digits that are no HMAC of anything here. */
#define BOGUS_V1 "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"

/* Test helpers */

/* The expected v1 signature, computed with GLib's GHmac rather than OpenSSL so that the
 * test does not share an implementation with the code under test. */
static char *
expected_v1 (gint64      timestamp,
             const char *secret,
             const char *payload,
             gsize       payload_length)
{
  g_autoptr (GHmac) hmac = NULL;
  g_autofree char *prefix = g_strdup_printf ("%" G_GINT64_FORMAT ".", timestamp);

  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) prefix, -1);
  g_hmac_update (hmac, (const guchar *) payload, (gssize) payload_length);
  return g_strdup (g_hmac_get_string (hmac));
}

static char *
signed_header (gint64      timestamp,
               const char *secret,
               const char *payload)
{
  g_autofree char *v1 = expected_v1 (timestamp, secret, payload, strlen (payload));

  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", timestamp, v1);
}

static gboolean
verify_payload (const char         *header,
                const char         *payload,
                const char * const *secrets,
                gint64              now,
                gint64              tolerance,
                GError            **error)
{
  return coffer_webhook_signature_verify (header, (const guint8 *) payload, strlen (payload),
                                          secrets, now, tolerance, error);
}

static void
assert_parse_fails (const char                  *header,
                    CofferWebhookSignatureError  code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) signatures = NULL;
  gint64 timestamp = -1;

  g_assert_false (coffer_webhook_signature_parse (header, &timestamp, &signatures, &error));
  g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, (int) code);
  g_assert_null (signatures);
  g_assert_cmpint (timestamp, ==, -1);
}

static GPtrArray *
parse_ok (const char *header,
          gint64     *out_timestamp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) signatures = NULL;

  g_assert_true (coffer_webhook_signature_parse (header, out_timestamp, &signatures, &error));
  g_assert_no_error (error);
  g_assert_nonnull (signatures);
  return g_steal_pointer (&signatures);
}

static void
assert_signature_is_hex (GBytes     *signature,
                         const char *hex)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (signature, &length);
  g_autoptr (GString) text = g_string_new (NULL);

  g_assert_cmpuint (length, ==, COFFER_WEBHOOK_SIGNATURE_LENGTH);
  for (gsize i = 0; i < length; i++)
    g_string_append_printf (text, "%02x", data[i]);
  g_assert_cmpstr (text->str, ==, hex);
}

/* The parser */

static void
test_parse_reads_timestamp_and_v1 (void)
{
  g_autoptr (GPtrArray) signatures = NULL;
  gint64 timestamp = 0;

  signatures = parse_ok ("t=1492774577,v1=" BOGUS_V1, &timestamp);
  g_assert_cmpint (timestamp, ==, 1492774577);
  g_assert_cmpuint (signatures->len, ==, 1);
  assert_signature_is_hex (g_ptr_array_index (signatures, 0), BOGUS_V1);
}

static void
test_parse_keeps_every_v1 (void)
{
  g_autoptr (GPtrArray) signatures = NULL;
  gint64 timestamp = 0;
  const char *second = "0000000000000000000000000000000000000000000000000000000000000001";
  g_autofree char *header = g_strdup_printf ("v1=%s,t=42,v1=%s", BOGUS_V1, second);

  signatures = parse_ok (header, &timestamp);
  g_assert_cmpint (timestamp, ==, 42);
  g_assert_cmpuint (signatures->len, ==, 2);
  assert_signature_is_hex (g_ptr_array_index (signatures, 0), BOGUS_V1);
  assert_signature_is_hex (g_ptr_array_index (signatures, 1), second);
}

static void
test_parse_ignores_v0_and_unknown_keys (void)
{
  g_autoptr (GPtrArray) signatures = NULL;
  gint64 timestamp = 0;

  signatures = parse_ok ("t=1,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39,"
                         "v1=" BOGUS_V1 ",v2=abc,x,=,,T=5,V1=" BOGUS_V1 ",",
                         &timestamp);
  g_assert_cmpint (timestamp, ==, 1);
  g_assert_cmpuint (signatures->len, ==, 1);
}

static void
test_parse_outputs_are_optional (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (coffer_webhook_signature_parse ("t=1,v1=" BOGUS_V1, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (coffer_webhook_signature_parse ("t=1", NULL, NULL, NULL));
}

static void
test_parse_accepts_extreme_timestamps (void)
{
  g_autoptr (GPtrArray) zero = NULL;
  g_autoptr (GPtrArray) max = NULL;
  gint64 timestamp = -1;

  zero = parse_ok ("t=0,v1=" BOGUS_V1, &timestamp);
  g_assert_cmpint (timestamp, ==, 0);
  max = parse_ok ("t=9223372036854775807,v1=" BOGUS_V1, &timestamp);
  g_assert_cmpint (timestamp, ==, G_MAXINT64);
}

static void
test_parse_rejects_missing_header (void)
{
  assert_parse_fails (NULL, COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING);
  assert_parse_fails ("", COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING);
}

static void
test_parse_rejects_missing_timestamp (void)
{
  assert_parse_fails ("v1=" BOGUS_V1, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
  assert_parse_fails ("this is not a stripe signature header",
                      COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
  /* Nothing is trimmed, as in Stripe's libraries: " t" is not the t key. */
  assert_parse_fails (" t=1,v1=" BOGUS_V1, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
  assert_parse_fails (",", COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
}

static void
test_parse_rejects_junk_timestamp (void)
{
  const char *junk[] = {
    "t=abc", "t=12a", "t=-5", "t=+5", "t= 5", "t=5 ", "t=", "t", "t=1.5", "t=1e9", "t=0x10",
    "t=1=2", "t=\xd9\xa1", "t=007",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (junk); i++)
    {
      g_autofree char *header = g_strdup_printf ("%s,v1=%s", junk[i], BOGUS_V1);

      assert_parse_fails (header, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
    }
}

static void
test_parse_rejects_overflowing_timestamp (void)
{
  assert_parse_fails ("t=9223372036854775808,v1=" BOGUS_V1,
                      COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
  assert_parse_fails ("t=99999999999999999999,v1=" BOGUS_V1,
                      COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
  assert_parse_fails ("t=1000000000000000000000000000000000000000,v1=" BOGUS_V1,
                      COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
}

static void
test_parse_rejects_duplicate_timestamp (void)
{
  assert_parse_fails ("t=1,v1=" BOGUS_V1 ",t=1", COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
  assert_parse_fails ("t=1,t=2,v1=" BOGUS_V1, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
}

static void
test_parse_rejects_header_without_v1 (void)
{
  assert_parse_fails ("t=1492774577", COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE);
  assert_parse_fails ("t=1492774577,v0=" BOGUS_V1, COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE);
  /* Stripe's elements have no spaces; " v1" is an unknown key (vector
   * invalid_header_space_after_comma). */
  assert_parse_fails ("t=1492774577, v1=" BOGUS_V1, COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE);
}

static void
test_parse_ignores_v1_that_is_not_64_lowercase_hex (void)
{
  const char *odd[] = {
    "",
    "c14ba460e597acaea65aeb6ed67d31f3266abd64d6a0ab2b56a5310aa5ee3b0",
    "c14ba460e597acaea65aeb6ed67d31f3266abd64d6a0ab2b56a5310aa5ee3b050",
    "C14BA460E597ACAEA65AEB6ED67D31F3266ABD64D6A0AB2B56A5310AA5EE3B05",
    "g14ba460e597acaea65aeb6ed67d31f3266abd64d6a0ab2b56a5310aa5ee3b05",
    "c14ba460e597acaea65aeb6ed67d31f3266abd64d6a0ab2b56a5310aa5ee3b05 ",
    " c14ba460e597acaea65aeb6ed67d31f3266abd64d6a0ab2b56a5310aa5ee3b0",
    "c14ba460e597acaea65aeb6ed67d31f3266abd64d6a0ab2b56a5310aa5ee3b05=",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (odd); i++)
    {
      g_autofree char *header = g_strdup_printf ("t=7,v1=%s", odd[i]);
      g_autofree char *with_good = g_strdup_printf ("t=7,v1=%s,v1=%s", odd[i], BOGUS_V1);
      g_autoptr (GPtrArray) none = NULL;
      g_autoptr (GPtrArray) one = NULL;
      gint64 timestamp = 0;

      /* Present but undecodable: the header parses, the v1 simply cannot match. */
      none = parse_ok (header, &timestamp);
      g_assert_cmpuint (none->len, ==, 0);
      one = parse_ok (with_good, &timestamp);
      g_assert_cmpuint (one->len, ==, 1);
      assert_signature_is_hex (g_ptr_array_index (one, 0), BOGUS_V1);
    }
}

static void
test_parse_accepts_the_maximum_number_of_v1 (void)
{
  g_autoptr (GString) header = g_string_new ("t=1");
  g_autoptr (GPtrArray) signatures = NULL;
  gint64 timestamp = 0;

  for (guint i = 0; i < COFFER_WEBHOOK_SIGNATURE_MAX_V1; i++)
    g_string_append (header, ",v1=" BOGUS_V1);
  signatures = parse_ok (header->str, &timestamp);
  g_assert_cmpuint (signatures->len, ==, COFFER_WEBHOOK_SIGNATURE_MAX_V1);

  g_string_append (header, ",v1=" BOGUS_V1);
  assert_parse_fails (header->str, COFFER_WEBHOOK_SIGNATURE_ERROR_TOO_MANY);
}

static void
test_parse_rejects_a_thousand_v1 (void)
{
  g_autoptr (GString) short_v1 = g_string_new ("t=1");
  g_autoptr (GString) full_v1 = g_string_new ("t=1");

  /* Short values fit in the length limit: the count stops them. */
  for (guint i = 0; i < 1000; i++)
    g_string_append (short_v1, ",v1=a");
  g_assert_cmpuint (short_v1->len, <=, COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH);
  assert_parse_fails (short_v1->str, COFFER_WEBHOOK_SIGNATURE_ERROR_TOO_MANY);

  /* Real-sized ones do not: the length limit stops them before any is read. */
  for (guint i = 0; i < 1000; i++)
    g_string_append (full_v1, ",v1=" BOGUS_V1);
  assert_parse_fails (full_v1->str, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
}

static void
test_parse_rejects_control_bytes (void)
{
  const char *headers[] = {
    "t=1,v1=" BOGUS_V1 "\r\nX-Injected: 1",
    "t=1\n,v1=" BOGUS_V1,
    "t=1,v1=" BOGUS_V1 "\r",
    "t=1,\tv1=" BOGUS_V1,
    "t=1,v1=" BOGUS_V1 ",v0=\x01",
    "t=1,v1=" BOGUS_V1 ",x=\x7f",
    "\x1bt=1,v1=" BOGUS_V1,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++)
    assert_parse_fails (headers[i], COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
}

static void
test_parse_rejects_oversized_header (void)
{
  g_autoptr (GString) header = g_string_new ("t=1,v1=" BOGUS_V1 ",v0=");
  g_autoptr (GPtrArray) signatures = NULL;
  gint64 timestamp = 0;

  /* Exactly at the limit: accepted. */
  while (header->len < COFFER_WEBHOOK_SIGNATURE_MAX_HEADER_LENGTH)
    g_string_append_c (header, 'a');
  signatures = parse_ok (header->str, &timestamp);
  g_assert_cmpuint (signatures->len, ==, 1);

  g_string_append_c (header, 'a');
  assert_parse_fails (header->str, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);

  /* 1 MiB. */
  while (header->len < 1024 * 1024)
    g_string_append (header, ",v0=aaaaaaaaaaaaaaaa");
  assert_parse_fails (header->str, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED);
}

static void
test_parse_errors_do_not_quote_signatures (void)
{
  const char *headers[] = {
    "t=1,v0=" BOGUS_V1,
    "v1=" BOGUS_V1,
    "t=1,t=2,v1=" BOGUS_V1,
    "t=" BOGUS_V1 ",v1=" BOGUS_V1,
    "t=1,v1=" BOGUS_V1 "\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (coffer_webhook_signature_parse (headers[i], NULL, NULL, &error));
      g_assert_nonnull (error);
      g_assert_null (strstr (error->message, "5257a8"));
      g_assert_nonnull (strstr (error->message, "Stripe-Signature"));
    }
}

/* Verification */

static void
test_verify_accepts_a_signed_payload (void)
{
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *header = signed_header (NOW - 2, SECRET, PAYLOAD);
  g_autoptr (GError) error = NULL;

  g_assert_true (verify_payload (header, PAYLOAD, secrets, NOW, TOLERANCE, &error));
  g_assert_no_error (error);
}

static void
test_verify_accepts_binary_payload (void)
{
  const guint8 payload[] = { 0x00, 0xff, '.', 0x00, 'x', 0x80 };
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *v1 = expected_v1 (NOW, SECRET, (const char *) payload, sizeof payload);
  g_autofree char *header = g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", NOW, v1);
  g_autoptr (GError) error = NULL;

  g_assert_true (coffer_webhook_signature_verify (header, payload, sizeof payload, secrets, NOW,
                                                  TOLERANCE, &error));
  g_assert_no_error (error);
  g_assert_false (coffer_webhook_signature_verify (header, payload, sizeof payload - 1, secrets,
                                                   NOW, TOLERANCE, NULL));
}

static void
test_verify_tries_every_secret (void)
{
  /* Secret rotation: the old secret first, the one that signed second. */
  const char *secrets[] = { OTHER_SECRET, "", SECRET, NULL };
  g_autofree char *header = signed_header (NOW, SECRET, PAYLOAD);
  g_autoptr (GError) error = NULL;

  g_assert_true (verify_payload (header, PAYLOAD, secrets, NOW, TOLERANCE, &error));
  g_assert_no_error (error);
}

static void
test_verify_accepts_any_matching_v1 (void)
{
  /* During a roll Stripe sends one v1 per active secret. */
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *old_v1 = expected_v1 (NOW, OTHER_SECRET, PAYLOAD, strlen (PAYLOAD));
  g_autofree char *new_v1 = expected_v1 (NOW, SECRET, PAYLOAD, strlen (PAYLOAD));
  g_autofree char *header = g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s,v1=C0FFEE,v1=%s,v0=%s",
                                             NOW, old_v1, new_v1, old_v1);
  g_autoptr (GError) error = NULL;

  g_assert_true (verify_payload (header, PAYLOAD, secrets, NOW, TOLERANCE, &error));
  g_assert_no_error (error);
}

static void
test_verify_rejects_wrong_secret (void)
{
  const char *secrets[] = { OTHER_SECRET, NULL };
  g_autofree char *header = signed_header (NOW, SECRET, PAYLOAD);
  g_autoptr (GError) error = NULL;

  g_assert_false (verify_payload (header, PAYLOAD, secrets, NOW, TOLERANCE, &error));
  g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH);
}

static void
test_verify_rejects_tampered_payload (void)
{
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *header = signed_header (NOW, SECRET, PAYLOAD);
  g_autofree char *tampered = g_strdup (PAYLOAD);
  g_autoptr (GError) error = NULL;

  tampered[strlen (tampered) - 3] = 'X';
  g_assert_false (verify_payload (header, tampered, secrets, NOW, TOLERANCE, &error));
  g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH);
}

static void
test_verify_rejects_changed_timestamp (void)
{
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *v1 = expected_v1 (NOW, SECRET, PAYLOAD, strlen (PAYLOAD));
  g_autofree char *header = g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", NOW + 1, v1);
  g_autoptr (GError) error = NULL;

  g_assert_false (verify_payload (header, PAYLOAD, secrets, NOW, TOLERANCE, &error));
  g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH);
}

static void
test_verify_rejects_expired_timestamp (void)
{
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *at_limit = signed_header (NOW - TOLERANCE, SECRET, PAYLOAD);
  g_autofree char *past_limit = signed_header (NOW - TOLERANCE - 1, SECRET, PAYLOAD);
  g_autofree char *day_old = signed_header (NOW - 86400, SECRET, PAYLOAD);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) day_error = NULL;

  g_assert_true (verify_payload (at_limit, PAYLOAD, secrets, NOW, TOLERANCE, NULL));
  g_assert_false (verify_payload (past_limit, PAYLOAD, secrets, NOW, TOLERANCE, &error));
  g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                  COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE);
  g_assert_false (verify_payload (day_old, PAYLOAD, secrets, NOW, TOLERANCE, &day_error));
  g_assert_error (day_error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                  COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE);
}

static void
test_verify_accepts_future_timestamp (void)
{
  /* stripe-node bounds only the age (vector valid_timestamp_far_in_future). */
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *hour_ahead = signed_header (NOW + 3600, SECRET, PAYLOAD);
  g_autofree char *far_ahead = signed_header (G_MAXINT64, SECRET, PAYLOAD);

  g_assert_true (verify_payload (hour_ahead, PAYLOAD, secrets, NOW, TOLERANCE, NULL));
  g_assert_true (verify_payload (far_ahead, PAYLOAD, secrets, NOW, TOLERANCE, NULL));
}

static void
test_verify_skips_timestamp_check_without_tolerance (void)
{
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *epoch = signed_header (0, SECRET, PAYLOAD);

  g_assert_true (verify_payload (epoch, PAYLOAD, secrets, NOW, 0, NULL));
  g_assert_true (verify_payload (epoch, PAYLOAD, secrets, NOW, -1, NULL));
  g_assert_true (verify_payload (epoch, PAYLOAD, secrets, G_MAXINT64, G_MININT64, NULL));
  g_assert_false (verify_payload (epoch, PAYLOAD, secrets, NOW, 1, NULL));
}

static void
test_verify_handles_extreme_clocks (void)
{
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *epoch = signed_header (0, SECRET, PAYLOAD);
  g_autofree char *latest = signed_header (G_MAXINT64, SECRET, PAYLOAD);

  g_assert_false (verify_payload (epoch, PAYLOAD, secrets, G_MAXINT64, G_MAXINT64 - 1, NULL));
  g_assert_true (verify_payload (epoch, PAYLOAD, secrets, G_MAXINT64, G_MAXINT64, NULL));
  g_assert_true (verify_payload (epoch, PAYLOAD, secrets, G_MININT64, 1, NULL));
  g_assert_true (verify_payload (latest, PAYLOAD, secrets, G_MININT64, 1, NULL));
  g_assert_true (verify_payload (latest, PAYLOAD, secrets, G_MAXINT64, 1, NULL));
}

static void
test_verify_checks_signature_before_timestamp (void)
{
  /* stripe-node's order: an old header with a wrong signature is a mismatch. */
  const char *secrets[] = { OTHER_SECRET, NULL };
  g_autofree char *header = signed_header (NOW - 86400, SECRET, PAYLOAD);
  g_autoptr (GError) error = NULL;

  g_assert_false (verify_payload (header, PAYLOAD, secrets, NOW, TOLERANCE, &error));
  g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH);
}

static void
test_verify_rejects_empty_secret_list (void)
{
  const char *none[] = { NULL };
  const char *only_empty[] = { "", "", NULL };
  g_autofree char *header = signed_header (NOW, SECRET, PAYLOAD);
  const char * const *lists[] = { NULL, none, only_empty };

  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (verify_payload (header, PAYLOAD, lists[i], NOW, TOLERANCE, &error));
      g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                      COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SECRETS);
    }
}

static void
test_verify_rejects_empty_payload (void)
{
  const char *secrets[] = { SECRET, NULL };
  g_autofree char *header = signed_header (NOW, SECRET, "");
  g_autoptr (GError) error = NULL;

  g_assert_false (coffer_webhook_signature_verify (header, NULL, 0, secrets, NOW, TOLERANCE,
                                                   &error));
  g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR,
                  COFFER_WEBHOOK_SIGNATURE_ERROR_EMPTY_PAYLOAD);
}

static void
test_verify_reports_header_errors (void)
{
  const char *secrets[] = { SECRET, NULL };
  const struct
  {
    const char                  *header;
    CofferWebhookSignatureError  code;
  } cases[] = {
    { NULL, COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING },
    { "", COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING },
    { "v1=" BOGUS_V1, COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED },
    { "t=1788430700", COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE },
    { "t=1788430700,v1=", COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH },
    { "t=1788430700,v1=" BOGUS_V1, COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (verify_payload (cases[i].header, PAYLOAD, secrets, NOW, TOLERANCE, &error));
      g_assert_error (error, COFFER_WEBHOOK_SIGNATURE_ERROR, (int) cases[i].code);
    }
}

static void
test_verify_errors_do_not_reveal_secrets (void)
{
  const char *secrets[] = { OTHER_SECRET, NULL };
  const char *right[] = { SECRET, NULL };
  g_autofree char *header = signed_header (NOW, SECRET, PAYLOAD);
  g_autofree char *old_header = signed_header (NOW - 3600, SECRET, PAYLOAD);
  g_autofree char *v1 = expected_v1 (NOW, SECRET, PAYLOAD, strlen (PAYLOAD));
  g_autofree char *other_v1 = expected_v1 (NOW, OTHER_SECRET, PAYLOAD, strlen (PAYLOAD));
  g_autoptr (GError) mismatch = NULL;
  g_autoptr (GError) expired = NULL;
  const char *messages[2];

  g_assert_false (verify_payload (header, PAYLOAD, secrets, NOW, TOLERANCE, &mismatch));
  g_assert_error (mismatch, COFFER_WEBHOOK_SIGNATURE_ERROR,
                  COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH);
  g_assert_false (verify_payload (old_header, PAYLOAD, right, NOW, TOLERANCE, &expired));
  g_assert_error (expired, COFFER_WEBHOOK_SIGNATURE_ERROR,
                  COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE);

  messages[0] = mismatch->message;
  messages[1] = expired->message;
  for (gsize i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_assert_null (strstr (messages[i], "whsec_"));
      g_assert_null (strstr (messages[i], v1));
      g_assert_null (strstr (messages[i], other_v1));
    }
}

/* Stripe's own vectors: ../shared/stripe/signatures.json, made with stripe-node */

static char *
find_source_root (void)
{
  const char *root = g_getenv ("COFFER_SOURCE_ROOT");

  if (root != NULL && root[0] != '\0')
    return g_strdup (root);
  return g_test_build_filename (G_TEST_DIST, "..", NULL);
}

/* stripe-node's message for each rejection, and the error we give for it. */
static gboolean
node_error_matches (const char *node_error,
                    int         code)
{
  static const struct
  {
    const char *prefix;
    int         code;
  } kinds[] = {
    { "No webhook payload was provided", COFFER_WEBHOOK_SIGNATURE_ERROR_EMPTY_PAYLOAD },
    { "No stripe-signature header value", COFFER_WEBHOOK_SIGNATURE_ERROR_MISSING },
    { "Unable to extract timestamp", COFFER_WEBHOOK_SIGNATURE_ERROR_MALFORMED },
    { "No signatures found with expected scheme", COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SIGNATURE },
    { "No signatures found matching", COFFER_WEBHOOK_SIGNATURE_ERROR_MISMATCH },
    { "Timestamp outside the tolerance zone",
      COFFER_WEBHOOK_SIGNATURE_ERROR_TIMESTAMP_OUTSIDE_TOLERANCE },
    { "no secret configured", COFFER_WEBHOOK_SIGNATURE_ERROR_NO_SECRETS },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_has_prefix (node_error, kinds[i].prefix))
      return kinds[i].code == code;
  return FALSE;
}

static void
check_vector (JsonObject *vector,
              GString    *failures)
{
  const char *name = json_object_get_string_member (vector, "name");
  const char *payload = json_object_get_string_member (vector, "payload");
  const char *header = json_object_get_string_member (vector, "header");
  const char *expect = json_object_get_string_member (vector, "expect");
  JsonNode *node_error_node = json_object_get_member (vector, "stripe_node_error");
  JsonArray *secret_array = json_object_get_array_member (vector, "secrets");
  gint64 now = json_object_get_int_member (vector, "now");
  gint64 tolerance = json_object_get_int_member (vector, "tolerance_s");
  g_autofree char *sha256 = NULL;
  g_autofree const char **secrets = NULL;
  g_autoptr (GError) error = NULL;
  gboolean is_valid;
  guint n_secrets;

  g_assert_nonnull (name);
  g_assert_nonnull (payload);
  g_assert_nonnull (header);
  g_assert_nonnull (secret_array);

  /* The JSON string must have decoded to exactly the bytes Stripe signed. */
  g_assert_cmpint (strlen (payload), ==, json_object_get_int_member (vector, "payload_bytes"));
  sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, payload, -1);
  g_assert_cmpstr (sha256, ==, json_object_get_string_member (vector, "payload_sha256"));

  n_secrets = json_array_get_length (secret_array);
  secrets = g_new0 (const char *, n_secrets + 1);
  for (guint i = 0; i < n_secrets; i++)
    secrets[i] = json_array_get_string_element (secret_array, i);

  is_valid = verify_payload (header, payload, secrets, now, tolerance, &error);
  g_test_message ("%s: expected %s, got %s%s%s", name, expect, is_valid ? "valid" : "invalid",
                  error != NULL ? ": " : "", error != NULL ? error->message : "");

  if (g_strcmp0 (expect, is_valid ? "valid" : "invalid") != 0)
    {
      g_string_append_printf (failures, " %s (expected %s)", name, expect);
      return;
    }

  /* Same kind of rejection as stripe-node, except for a repeated t, which stripe-node
   * accepts (keeping the last) and then fails to match; we reject it as malformed. */
  if (!is_valid && !JSON_NODE_HOLDS_NULL (node_error_node)
      && g_strcmp0 (name, "invalid_header_duplicate_t") != 0
      && !node_error_matches (json_node_get_string (node_error_node), error->code))
    g_string_append_printf (failures, " %s (error kind %d differs from stripe-node's)", name,
                            error->code);
}

static void
test_stripe_vectors_give_expected_verdicts (void)
{
  g_autofree char *root = find_source_root ();
  g_autofree char *path = g_build_filename (root, "..", "shared", "stripe", "signatures.json",
                                            NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) failures = g_string_new (NULL);
  JsonArray *vectors;
  guint n_valid = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("../shared/stripe/signatures.json not found: Stripe's signature vectors are "
                   "not beside this checkout");
      return;
    }

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  vectors = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (vectors), ==, 29);

  for (guint i = 0; i < json_array_get_length (vectors); i++)
    {
      JsonObject *vector = json_array_get_object_element (vectors, i);

      g_assert_nonnull (vector);
      check_vector (vector, failures);
      if (g_strcmp0 (json_object_get_string_member (vector, "expect"), "valid") == 0)
        n_valid++;
    }

  g_test_message ("%u vectors, %u of them valid", json_array_get_length (vectors), n_valid);
  if (failures->len > 0)
    g_test_fail_printf ("Stripe signature vectors failed:%s", failures->str);
}

/* The fuzz corpus, replayed in every build */

/* The same split as tests/fuzz/fuzz-webhook-signature.c: the header is everything
 * before the first "\n\n", the payload everything after it. */
static void
replay_input (const guint8 *data,
              gsize         size)
{
  const char *secrets[] = { "whsec_coffer_fuzz_old", "whsec_coffer_fuzz", NULL };
  gsize header_length = 0;
  const guint8 *payload;
  gsize payload_length;
  g_autofree char *header = NULL;
  g_autoptr (GPtrArray) signatures = NULL;
  gint64 timestamp = 0;

  while (header_length < size
         && !(data[header_length] == '\n' && header_length + 1 < size
              && data[header_length + 1] == '\n'))
    header_length++;
  payload = header_length < size ? data + header_length + 2 : data + size;
  payload_length = size - (gsize) (payload - data);
  header = g_strndup ((const char *) data, header_length);

  (void) coffer_webhook_signature_parse (header, &timestamp, &signatures, NULL);
  (void) coffer_webhook_signature_verify (header, payload, payload_length, secrets, NOW,
                                          TOLERANCE, NULL);
}

static void
test_fuzz_corpus_replays_without_crashing (void)
{
  g_autofree char *root = find_source_root ();
  g_autofree char *corpus = g_build_filename (root, "tests", "fuzz", "corpus", "webhook-signature",
                                              NULL);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  guint n_files = 0;

  dir = g_dir_open (corpus, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (corpus, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      g_assert_true (g_file_get_contents (path, &contents, &length, &error));
      g_assert_no_error (error);
      replay_input ((const guint8 *) contents, length);
      n_files++;
    }
  g_test_message ("replayed %u corpus files", n_files);
  g_assert_cmpuint (n_files, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webhook/signature/parse/reads-timestamp-and-v1",
                   test_parse_reads_timestamp_and_v1);
  g_test_add_func ("/webhook/signature/parse/keeps-every-v1", test_parse_keeps_every_v1);
  g_test_add_func ("/webhook/signature/parse/ignores-v0-and-unknown-keys",
                   test_parse_ignores_v0_and_unknown_keys);
  g_test_add_func ("/webhook/signature/parse/outputs-are-optional",
                   test_parse_outputs_are_optional);
  g_test_add_func ("/webhook/signature/parse/accepts-extreme-timestamps",
                   test_parse_accepts_extreme_timestamps);
  g_test_add_func ("/webhook/signature/parse/rejects-missing-header",
                   test_parse_rejects_missing_header);
  g_test_add_func ("/webhook/signature/parse/rejects-missing-timestamp",
                   test_parse_rejects_missing_timestamp);
  g_test_add_func ("/webhook/signature/parse/rejects-junk-timestamp",
                   test_parse_rejects_junk_timestamp);
  g_test_add_func ("/webhook/signature/parse/rejects-overflowing-timestamp",
                   test_parse_rejects_overflowing_timestamp);
  g_test_add_func ("/webhook/signature/parse/rejects-duplicate-timestamp",
                   test_parse_rejects_duplicate_timestamp);
  g_test_add_func ("/webhook/signature/parse/rejects-header-without-v1",
                   test_parse_rejects_header_without_v1);
  g_test_add_func ("/webhook/signature/parse/ignores-v1-that-is-not-64-lowercase-hex",
                   test_parse_ignores_v1_that_is_not_64_lowercase_hex);
  g_test_add_func ("/webhook/signature/parse/accepts-the-maximum-number-of-v1",
                   test_parse_accepts_the_maximum_number_of_v1);
  g_test_add_func ("/webhook/signature/parse/rejects-a-thousand-v1",
                   test_parse_rejects_a_thousand_v1);
  g_test_add_func ("/webhook/signature/parse/rejects-control-bytes",
                   test_parse_rejects_control_bytes);
  g_test_add_func ("/webhook/signature/parse/rejects-oversized-header",
                   test_parse_rejects_oversized_header);
  g_test_add_func ("/webhook/signature/parse/errors-do-not-quote-signatures",
                   test_parse_errors_do_not_quote_signatures);

  g_test_add_func ("/webhook/signature/verify/accepts-a-signed-payload",
                   test_verify_accepts_a_signed_payload);
  g_test_add_func ("/webhook/signature/verify/accepts-binary-payload",
                   test_verify_accepts_binary_payload);
  g_test_add_func ("/webhook/signature/verify/tries-every-secret", test_verify_tries_every_secret);
  g_test_add_func ("/webhook/signature/verify/accepts-any-matching-v1",
                   test_verify_accepts_any_matching_v1);
  g_test_add_func ("/webhook/signature/verify/rejects-wrong-secret",
                   test_verify_rejects_wrong_secret);
  g_test_add_func ("/webhook/signature/verify/rejects-tampered-payload",
                   test_verify_rejects_tampered_payload);
  g_test_add_func ("/webhook/signature/verify/rejects-changed-timestamp",
                   test_verify_rejects_changed_timestamp);
  g_test_add_func ("/webhook/signature/verify/rejects-expired-timestamp",
                   test_verify_rejects_expired_timestamp);
  g_test_add_func ("/webhook/signature/verify/accepts-future-timestamp",
                   test_verify_accepts_future_timestamp);
  g_test_add_func ("/webhook/signature/verify/skips-timestamp-check-without-tolerance",
                   test_verify_skips_timestamp_check_without_tolerance);
  g_test_add_func ("/webhook/signature/verify/handles-extreme-clocks",
                   test_verify_handles_extreme_clocks);
  g_test_add_func ("/webhook/signature/verify/checks-signature-before-timestamp",
                   test_verify_checks_signature_before_timestamp);
  g_test_add_func ("/webhook/signature/verify/rejects-empty-secret-list",
                   test_verify_rejects_empty_secret_list);
  g_test_add_func ("/webhook/signature/verify/rejects-empty-payload",
                   test_verify_rejects_empty_payload);
  g_test_add_func ("/webhook/signature/verify/reports-header-errors",
                   test_verify_reports_header_errors);
  g_test_add_func ("/webhook/signature/verify/errors-do-not-reveal-secrets",
                   test_verify_errors_do_not_reveal_secrets);

  g_test_add_func ("/webhook/signature/stripe-vectors/give-expected-verdicts",
                   test_stripe_vectors_give_expected_verdicts);
  g_test_add_func ("/webhook/signature/fuzz-corpus/replays-without-crashing",
                   test_fuzz_corpus_replays_without_crashing);

  return g_test_run ();
}
