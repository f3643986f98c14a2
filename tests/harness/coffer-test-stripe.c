/* coffer-test-stripe.c: what Stripe would send: its own example events (from
 * ../shared/stripe/events) with fresh ids, signed as Stripe signs them. */
#include "config.h"

#include "coffer-test-stripe.h"

#include <json-glib/json-glib.h>
#include <openssl/hmac.h>
#include <string.h>

/* $COFFER_SOURCE_ROOT/../shared/stripe/RELATIVE, or NULL when not there. */
char *
coffer_test_stripe_shared_path (const char *relative)
{
  const char *root = g_getenv ("COFFER_SOURCE_ROOT");
  g_autofree char *path = NULL;

  if (root == NULL)
    return NULL;
  path = g_build_filename (root, "..", "shared", "stripe", relative, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return g_steal_pointer (&path);
}

/* Whether Stripe's example events are beside this checkout; when not, the
 * current test is marked skipped with the reason. */
gboolean
coffer_test_stripe_have_events (void)
{
  g_autofree char *path = coffer_test_stripe_shared_path ("events/invoice.paid.json");

  if (path == NULL)
    g_test_skip ("../shared/stripe/ is not beside this checkout: Stripe's example events "
                 "are needed to build realistic webhooks");
  return path != NULL;
}

char *
coffer_test_stripe_sign (const char *payload,
                         gsize       length,
                         const char *secret,
                         gint64      timestamp)
{
  g_autofree char *prefix = g_strdup_printf ("%" G_GINT64_FORMAT ".", timestamp);
  g_autoptr (GString) hex = g_string_new (NULL);
  unsigned char digest[32];
  unsigned int digest_length = sizeof digest;
  HMAC_CTX *ctx = NULL;
  g_autoptr (GByteArray) message = g_byte_array_new ();

  g_byte_array_append (message, (const guint8 *) prefix, strlen (prefix));
  g_byte_array_append (message, (const guint8 *) payload, length);
  HMAC (EVP_sha256 (), secret, (int) strlen (secret), message->data, message->len, digest,
        &digest_length);
  (void) ctx;
  for (guint i = 0; i < digest_length; i++)
    g_string_append_printf (hex, "%02x", digest[i]);
  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", timestamp, hex->str);
}

/* A copy of one of Stripe's example events with a new id and created time. */
char *
coffer_test_stripe_event (const char *template_file,
                          const char *event_id,
                          gint64      created)
{
  g_autofree char *relative = g_build_filename ("events", template_file, NULL);
  g_autofree char *path = coffer_test_stripe_shared_path (relative);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *event;

  g_assert_nonnull (path);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  event = json_node_get_object (json_parser_get_root (parser));
  json_object_set_string_member (event, "id", event_id);
  json_object_set_int_member (event, "created", created);
  return json_to_string (json_parser_get_root (parser), TRUE);
}

char *
coffer_test_stripe_request (const char *payload,
                            gsize       length,
                            const char *signature_header,
                            const char *content_type)
{
  GString *request = g_string_new ("POST /v1/stripe/webhook HTTP/1.1\r\nHost: coffer.test\r\n"
                                   "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n");

  if (content_type)
    g_string_append_printf (request, "Content-Type: %s\r\n", content_type);
  if (signature_header)
    g_string_append_printf (request, "Stripe-Signature: %s\r\n", signature_header);
  g_string_append_printf (request, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", length);
  g_string_append_len (request, payload, length);
  return g_string_free (request, FALSE);
}
