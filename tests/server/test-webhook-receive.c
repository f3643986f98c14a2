/* test-webhook-receive.c: POST /v1/stripe/webhook on the real server: what is
 * stored, what is refused, and that a refusal stores nothing. The workers are
 * off here (COFFER_WEBHOOK_WORKERS=0), so the inbox shows exactly what arrived. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "coffer-test-pg.h"
#include "coffer-test-server.h"
#include "coffer-test-stripe.h"

#define SECRET_OLD "whsec_test_rolled_out_secret_0001"
#define SECRET "whsec_test_current_secret_0002"

typedef struct
{
  char             *conninfo;
  CofferTestServer *server;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  const char * const env[] = {
    "COFFER_STRIPE_WEBHOOK_SECRETS=" SECRET_OLD "," SECRET,
    "COFFER_STRIPE_SECRET_KEY=sk_test_receive_tests",
    "COFFER_WEBHOOK_WORKERS=0",
    "COFFER_WEBHOOK_MAX_BODY_SIZE=65536",
    NULL,
  };

  fixture->conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  fixture->server = coffer_test_server_start (fixture->conninfo, env, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->server, coffer_test_server_free);
  g_free (fixture->conninfo);
}

static guint
post (Fixture     *fixture,
      const char  *payload,
      gsize        length,
      const char  *signature,
      const char  *content_type,
      char       **out_body)
{
  g_autofree char *request = coffer_test_stripe_request (payload, length, signature,
                                                         content_type);

  return coffer_test_http_get (fixture->server, request, NULL, out_body);
}

static guint
post_signed (Fixture     *fixture,
             const char  *payload,
             const char  *secret,
             gint64       timestamp,
             char       **out_body)
{
  g_autofree char *signature = coffer_test_stripe_sign (payload, strlen (payload), secret,
                                                        timestamp);

  return post (fixture, payload, strlen (payload), signature, "application/json; charset=utf-8",
               out_body);
}

static int
inbox_rows (Fixture *fixture)
{
  g_autofree char *count = coffer_test_pg_query_value (fixture->conninfo,
                                                       "SELECT count(*) FROM stripe_event_inbox");

  return atoi (count);
}

static void
assert_refused (guint       status,
                const char *body,
                guint       expected_status,
                const char *expected_code)
{
  g_autofree char *code = g_strdup_printf ("\"code\":\"%s\"", expected_code);

  g_assert_cmpuint (status, ==, expected_status);
  g_assert_nonnull (strstr (body, "{\"error\":{"));
  g_assert_nonnull (strstr (body, code));
}

static void
test_stores_a_signed_event (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *event = NULL, *body = NULL, *stored = NULL, *status = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_test_stores_1", now);
  g_assert_cmpuint (post_signed (fixture, event, SECRET, now, &body), ==, 200);
  g_assert_cmpstr (body, ==, "{\"received\":true,\"duplicate\":false}");

  /* Stored whole, as Stripe sent it, and waiting for the workers. */
  stored = coffer_test_pg_query_value (fixture->conninfo,
                                       "SELECT payload = (SELECT payload FROM stripe_event_inbox "
                                       "LIMIT 1) AND type = 'invoice.paid' FROM stripe_event_inbox "
                                       "WHERE id = 'evt_test_stores_1'");
  g_assert_cmpstr (stored, ==, "t");
  status = coffer_test_pg_query_value (fixture->conninfo,
                                       "SELECT status FROM stripe_event_inbox");
  g_assert_cmpstr (status, ==, "pending");
}

static void
test_duplicate_is_acknowledged_without_a_second_row (Fixture       *fixture,
                                                     gconstpointer  data)
{
  g_autofree char *event = NULL, *first = NULL, *second = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("customer.created.json", "evt_test_duplicate", now);
  g_assert_cmpuint (post_signed (fixture, event, SECRET, now, &first), ==, 200);
  g_assert_cmpuint (post_signed (fixture, event, SECRET, now + 1, &second), ==, 200);
  g_assert_cmpstr (second, ==, "{\"received\":true,\"duplicate\":true}");
  g_assert_cmpint (inbox_rows (fixture), ==, 1);
}

static void
test_older_secret_still_verifies_while_rolling (Fixture       *fixture,
                                                gconstpointer  data)
{
  g_autofree char *event = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("customer.created.json", "evt_test_old_secret", now);
  g_assert_cmpuint (post_signed (fixture, event, SECRET_OLD, now, NULL), ==, 200);
  g_assert_cmpint (inbox_rows (fixture), ==, 1);
}

static void
test_bad_signatures_are_refused_and_nothing_stored (Fixture       *fixture,
                                                    gconstpointer  data)
{
  g_autofree char *event = NULL, *tampered = NULL;
  g_autofree char *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *b5 = NULL;
  g_autofree char *signature = NULL;
  g_autoptr (GString) many = g_string_new (NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint status;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_test_bad_signature", now);

  status = post_signed (fixture, event, "whsec_someone_else", now, &b1);
  assert_refused (status, b1, 400, "signature_invalid");
  /* A replay of a genuine request from ten minutes ago. */
  status = post_signed (fixture, event, SECRET, now - 600, &b2);
  assert_refused (status, b2, 400, "signature_invalid");
  status = post (fixture, event, strlen (event), NULL, "application/json", &b3);
  assert_refused (status, b3, 400, "signature_missing");

  /* Signed, then changed by someone in between. */
  signature = coffer_test_stripe_sign (event, strlen (event), SECRET, now);
  tampered = g_strdup (event);
  tampered[strlen (tampered) / 2] ^= 1;
  status = post (fixture, tampered, strlen (tampered), signature, "application/json",
                        &b4);
  assert_refused (status, b4, 400, "signature_invalid");

  /* A thousand v1 entries: a clear refusal, not a thousand HMAC compares. */
  g_string_append_printf (many, "t=%" G_GINT64_FORMAT, now);
  for (guint i = 0; i < 1000; i++)
    g_string_append (many, ",v1=0");
  status = post (fixture, event, strlen (event), many->str, "application/json", &b5);
  assert_refused (status, b5, 400, "signature_invalid");

  g_assert_cmpint (inbox_rows (fixture), ==, 0);
}

static void
test_signed_junk_is_refused_and_nothing_stored (Fixture       *fixture,
                                                gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint status;
  g_autofree char *event = NULL, *truncated = NULL, *no_id = NULL, *live = NULL;
  g_autofree char *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *b5 = NULL, *b6 = NULL;
  g_autoptr (GString) deep = g_string_new ("{\"id\":\"evt_deep\",\"object\":\"event\",\"x\":");
  static const char not_utf8[] = "{\"id\":\"evt_\xff\xfe\",\"type\":\"invoice.paid\"}";

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_test_junk", now);

  truncated = g_strndup (event, strlen (event) / 2);
  status = post_signed (fixture, truncated, SECRET, now, &b1);
  assert_refused (status, b1, 400, "invalid_json");

  status = post_signed (fixture, "[1, 2, 3]", SECRET, now, &b2);
  assert_refused (status, b2, 400, "invalid_json");

  no_id = coffer_test_stripe_event ("invoice.paid.json", "not-an-event-id", now);
  status = post_signed (fixture, no_id, SECRET, now, &b3);
  assert_refused (status, b3, 400, "invalid_event");

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  status = post_signed (fixture, deep->str, SECRET, now, &b4);
  assert_refused (status, b4, 400, "invalid_json");

  status = post_signed (fixture, not_utf8, SECRET, now, &b5);
  assert_refused (status, b5, 400, "invalid_json");

  /* A live-mode event reaching a server with a test key. */
  {
    g_autoptr (JsonParser) parser = json_parser_new ();

    g_assert_true (json_parser_load_from_data (parser, event, -1, NULL));
    json_object_set_boolean_member (json_node_get_object (json_parser_get_root (parser)),
                                    "livemode", TRUE);
    live = json_to_string (json_parser_get_root (parser), FALSE);
  }
  status = post_signed (fixture, live, SECRET, now, &b6);
  assert_refused (status, b6, 400, "livemode_mismatch");

  /* Valid JSON that PostgreSQL's jsonb refuses (a NUL escape): refused
   * alone, as the database's own verdict, not as an outage. */
  {
    g_autofree char *nul = g_strdup_printf ("{\"id\":\"evt_test_nul\",\"object\":\"event\","
                                            "\"type\":\"customer.created\",\"created\":%"
                                            G_GINT64_FORMAT ",\"livemode\":false,"
                                            "\"data\":{\"object\":{\"name\":\"a\\u0000b\"}}}",
                                            now);
    g_autofree char *b7 = NULL;

    status = post_signed (fixture, nul, SECRET, now, &b7);
    assert_refused (status, b7, 400, "invalid_event");
  }

  g_assert_cmpint (inbox_rows (fixture), ==, 0);
}

static void
test_wrong_content_type_and_huge_body_are_refused (Fixture       *fixture,
                                                   gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint status;
  g_autofree char *event = NULL, *b1 = NULL, *b2 = NULL, *signature = NULL;
  g_autofree char *huge = NULL;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_test_media", now);
  signature = coffer_test_stripe_sign (event, strlen (event), SECRET, now);
  status = post (fixture, event, strlen (event), signature, "text/plain", &b1);
  assert_refused (status, b1, 415, "unsupported_media_type");

  /* 10 MiB: refused on its Content-Length, before a byte of it is read. */
  huge = g_malloc (10 * 1024 * 1024 + 1);
  memset (huge, ' ', 10 * 1024 * 1024);
  huge[10 * 1024 * 1024] = '\0';
  status = post (fixture, huge, 10 * 1024 * 1024, signature, "application/json", &b2);
  assert_refused (status, b2, 413, "body_too_large");
  g_assert_cmpint (inbox_rows (fixture), ==, 0);
}

static void
test_control_characters_in_the_signature_header_are_refused (Fixture       *fixture,
                                                             gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *event = NULL, *signature = NULL, *hostile = NULL, *body = NULL;
  guint status;

  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_test_crlf", now);
  signature = coffer_test_stripe_sign (event, strlen (event), SECRET, now);
  /* A bare CR inside the value. libsoup may refuse the request itself (400
   * without our body); either way it is a 400 and nothing is stored. */
  hostile = g_strdup_printf ("t=%" G_GINT64_FORMAT "\r,%s", now, strchr (signature, ',') + 1);
  status = post (fixture, event, strlen (event), hostile, "application/json", &body);
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpint (inbox_rows (fixture), ==, 0);
}

static void
test_no_configured_secret_answers_503 (void)
{
  g_autofree char *conninfo = coffer_test_pg_create_database (coffer_test_pg_get_shared (), TRUE);
  const char * const env[] = { "COFFER_WEBHOOK_WORKERS=0", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, env, &error);
  g_autofree char *event = NULL, *signature = NULL, *request = NULL, *body = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint status;

  g_assert_no_error (error);
  if (!coffer_test_stripe_have_events ())
    return;
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_test_no_secret", now);
  signature = coffer_test_stripe_sign (event, strlen (event), SECRET, now);
  request = coffer_test_stripe_request (event, strlen (event), signature, "application/json");
  /* 503, so that Stripe keeps the event and retries once a secret is set. */
  status = coffer_test_http_get (server, request, NULL, &body);
  assert_refused (status, body, 503, "webhook_not_configured");
}

static void
test_database_down_answers_503_and_recovers (void)
{
  CofferTestPg *pg = coffer_test_pg_new_private ();
  g_autofree char *conninfo = coffer_test_pg_create_database (pg, TRUE);
  const char * const env[] = { "COFFER_STRIPE_WEBHOOK_SECRETS=" SECRET, "COFFER_WEBHOOK_WORKERS=0",
                               NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (CofferTestServer) server = coffer_test_server_start (conninfo, env, &error);
  g_autofree char *event = NULL, *signature = NULL, *request = NULL;
  g_autofree char *down_body = NULL, *count = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint status;

  g_assert_no_error (error);
  if (!coffer_test_stripe_have_events ())
    {
      g_clear_pointer (&server, coffer_test_server_free);
      coffer_test_pg_free (pg);
      return;
    }
  event = coffer_test_stripe_event ("invoice.paid.json", "evt_test_db_down", now);
  signature = coffer_test_stripe_sign (event, strlen (event), SECRET, now);
  request = coffer_test_stripe_request (event, strlen (event), signature, "application/json");

  coffer_test_pg_stop (pg);
  status = coffer_test_http_get (server, request, NULL, &down_body);
  assert_refused (status, down_body, 503, "database_unavailable");
  coffer_test_pg_start (pg);
  g_assert_cmpuint (coffer_test_http_get (server, request, NULL, NULL), ==, 200);
  count = coffer_test_pg_query_value (conninfo, "SELECT count(*) FROM stripe_event_inbox");
  g_assert_cmpstr (count, ==, "1");

  g_clear_pointer (&server, coffer_test_server_free);
  coffer_test_pg_free (pg);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/webhook/receive/stores-a-signed-event", test_stores_a_signed_event);
  ADD ("/webhook/receive/duplicate-is-acknowledged-without-a-second-row",
       test_duplicate_is_acknowledged_without_a_second_row);
  ADD ("/webhook/receive/older-secret-still-verifies-while-rolling",
       test_older_secret_still_verifies_while_rolling);
  ADD ("/webhook/receive/bad-signatures-are-refused-and-nothing-stored",
       test_bad_signatures_are_refused_and_nothing_stored);
  ADD ("/webhook/receive/signed-junk-is-refused-and-nothing-stored",
       test_signed_junk_is_refused_and_nothing_stored);
  ADD ("/webhook/receive/wrong-content-type-and-huge-body-are-refused",
       test_wrong_content_type_and_huge_body_are_refused);
  ADD ("/webhook/receive/control-characters-in-the-signature-header-are-refused",
       test_control_characters_in_the_signature_header_are_refused);
#undef ADD
  g_test_add_func ("/webhook/receive/no-configured-secret-answers-503",
                   test_no_configured_secret_answers_503);
  g_test_add_func ("/webhook/receive/database-down-answers-503-and-recovers",
                   test_database_down_answers_503_and_recovers);

  return g_test_run ();
}
