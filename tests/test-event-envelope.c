/* test-event-envelope.c: the inbox's one-pass reader of a webhook body. Its
 * verdict on "is this JSON?" is checked against json-glib's, and its five
 * fields against json-glib's reading of the same body. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "webhook/coffer-event-envelope.h"

static gboolean
json_glib_accepts_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  return json_parser_load_from_data (parser, text, -1, NULL) &&
         json_parser_get_root (parser) != NULL &&
         JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser));
}

/* RFC 8259's verdicts; and whatever we accept, json-glib (more lenient:
 * it takes 01, 1. and unknown escapes) accepts too. */
static void
test_grammar_follows_the_rfc (void)
{
  static const struct
  {
    const char *text;
    gboolean    valid;
  } cases[] = {
    { "{}", TRUE }, { "{ }", TRUE }, { " {\"a\":1} ", TRUE },
    { "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false}", TRUE },
    { "{\"a\":\"\\u00e9\\n\\\"\"}", TRUE }, { "{\"a\":-0.5e+10}", TRUE }, { "{\"a\":0}", TRUE },
    { "{\"a\":\"\\ud83d\\ude00\"}", TRUE }, { "{\"a\":[]}", TRUE }, { "{\"a\":{}}", TRUE },
    { "", FALSE }, { "[]", FALSE }, { "[1]", FALSE }, { "\"x\"", FALSE }, { "1", FALSE },
    { "{", FALSE }, { "}", FALSE }, { "{\"a\"}", FALSE }, { "{\"a\":}", FALSE },
    { "{\"a\":1,}", FALSE }, { "{,}", FALSE }, { "{\"a\":tru}", FALSE }, { "{\"a\":nul}", FALSE },
    { "{\"a\":\"x}", FALSE }, { "{\"a\":\"\\u12\"}", FALSE }, { "{\"a\":1} x", FALSE },
    { "{\"a\":1}}", FALSE }, { "{\"a\":[1,2}", FALSE }, { "{\"a\":{\"b\":1]}", FALSE },
    { "{'a':1}", FALSE }, { "{\"a\":\"tab\there\"}", FALSE }, { "{\"a\":[,1]}", FALSE },
    { "{\"a\":[1 2]}", FALSE }, { "{\"a\" 1}", FALSE }, { "{\"a\":01}", FALSE },
    { "{\"a\":-01}", FALSE }, { "{\"a\":1.}", FALSE }, { "{\"a\":.5}", FALSE },
    { "{\"a\":1e}", FALSE }, { "{\"a\":+1}", FALSE }, { "{\"a\":\"\\x\"}", FALSE },
    { "{\"a\":\"\\udc00\"}", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CofferEventEnvelope envelope;
      g_autofree char *problem = NULL;
      gboolean ours = coffer_event_envelope_parse (cases[i].text, strlen (cases[i].text), 64,
                                                   &envelope, &problem);

      if (ours)
        coffer_event_envelope_clear (&envelope);
      if (ours != cases[i].valid)
        g_error ("“%s”: expected %s, got %s (%s)", cases[i].text,
                 cases[i].valid ? "valid" : "invalid", ours ? "valid" : "invalid",
                 problem ? problem : "");
      if (ours)
        g_assert_true (json_glib_accepts_object (cases[i].text));
      else
        g_assert_true (problem && *problem);
    }
}

static void
test_reads_the_five_fields (void)
{
  static const char body[] =
    "{\"object\":\"event\",\"data\":{\"object\":{\"id\":\"cus_inner\",\"livemode\":true}},"
    "\"id\":\"evt_\\u0031abc\",\"type\":\"invoice.paid\",\"created\":1788430672,"
    "\"livemode\":false,\"api_version\":\"2026-07-29.dahlia\"}";
  CofferEventEnvelope envelope;
  g_autofree char *problem = NULL;

  g_assert_true (coffer_event_envelope_parse (body, strlen (body), 64, &envelope, &problem));
  /* Nested members with the same names are not the event's. */
  g_assert_cmpstr (envelope.id, ==, "evt_1abc");
  g_assert_cmpstr (envelope.type, ==, "invoice.paid");
  g_assert_cmpstr (envelope.api_version, ==, "2026-07-29.dahlia");
  g_assert_true (envelope.has_created);
  g_assert_cmpint (envelope.created, ==, 1788430672);
  g_assert_cmpint (envelope.livemode, ==, 0);
  coffer_event_envelope_clear (&envelope);
}

static void
test_wrong_types_and_limits (void)
{
  static const struct
  {
    const char *body;
    gboolean    valid;
    gboolean    has_created;
    int         livemode;
  } cases[] = {
    { "{\"created\":1.5,\"livemode\":\"yes\"}", TRUE, FALSE, -1 },
    { "{\"created\":99999999999999999999}", TRUE, FALSE, -1 },
    { "{\"created\":12,\"created\":\"x\"}", TRUE, FALSE, -1 },
    { "{\"livemode\":true,\"livemode\":null}", TRUE, FALSE, -1 },
  };
  g_autoptr (GString) deep = g_string_new ("{\"a\":");
  CofferEventEnvelope envelope;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *problem = NULL;
      gboolean valid = coffer_event_envelope_parse (cases[i].body, strlen (cases[i].body), 64,
                                                    &envelope, &problem);

      g_assert_cmpint (valid, ==, cases[i].valid);
      g_assert_cmpint (envelope.has_created, ==, cases[i].has_created);
      g_assert_cmpint (envelope.livemode, ==, cases[i].livemode);
      coffer_event_envelope_clear (&envelope);
    }

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  {
    g_autofree char *problem = NULL;

    g_assert_false (coffer_event_envelope_parse (deep->str, deep->len, 64, &envelope, &problem));
    g_assert_nonnull (strstr (problem, "nests too deeply"));
  }
}

/* Every example event Stripe gives, and every fuzz seed, read alike. */
static void
test_agrees_with_json_glib_on_stripe_examples (void)
{
  const char *root = g_getenv ("COFFER_SOURCE_ROOT");
  g_autofree char *directory = root ? g_build_filename (root, "..", "shared", "stripe", "events",
                                                        NULL)
                                    : NULL;
  g_autoptr (GDir) dir = directory ? g_dir_open (directory, 0, NULL) : NULL;
  const char *name;
  guint checked = 0;

  if (dir == NULL)
    {
      g_test_skip ("../shared/stripe/events is not beside this checkout");
      return;
    }
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);
      g_autofree char *text = NULL;
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autofree char *problem = NULL;
      CofferEventEnvelope envelope;
      JsonObject *event;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
      event = json_node_get_object (json_parser_get_root (parser));
      g_assert_true (coffer_event_envelope_parse (text, strlen (text), 64, &envelope, &problem));
      g_assert_cmpstr (envelope.id, ==, json_object_get_string_member (event, "id"));
      g_assert_cmpstr (envelope.type, ==, json_object_get_string_member (event, "type"));
      g_assert_cmpint (envelope.created, ==, json_object_get_int_member (event, "created"));
      g_assert_cmpint (envelope.livemode, ==, json_object_get_boolean_member (event, "livemode"));
      coffer_event_envelope_clear (&envelope);
      checked++;
    }
  g_assert_cmpuint (checked, >, 20);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webhook/envelope/grammar-follows-the-rfc", test_grammar_follows_the_rfc);
  g_test_add_func ("/webhook/envelope/reads-the-five-fields", test_reads_the_five_fields);
  g_test_add_func ("/webhook/envelope/wrong-types-and-limits", test_wrong_types_and_limits);
  g_test_add_func ("/webhook/envelope/agrees-with-json-glib-on-stripe-examples",
                   test_agrees_with_json_glib_on_stripe_examples);

  return g_test_run ();
}
