/* test-money.c: CofferMoney arithmetic, rounding, parsing, formatting, Stripe amounts, currencies. */
#include <string.h>

#include "coffer-currency.h"
#include "coffer-money.h"

/* Test helpers */

static CofferMoney
money (gint64      amount_minor,
       const char *currency)
{
  g_autoptr(GError) error = NULL;
  CofferMoney m;
  gboolean ok = coffer_money_init (&m, amount_minor, currency, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
  return m;
}

static void
assert_money (const CofferMoney *m,
              gint64             amount_minor,
              const char        *currency)
{
  g_assert_cmpint (m->amount_minor, ==, amount_minor);
  g_assert_cmpstr (m->currency, ==, currency);
}

/* The currency table */

static void
test_currency_table_codes_are_three_upper_case_letters (void)
{
  gsize n = 0;
  const CofferCurrency *all = coffer_currency_get_all (&n);

  /* 165 active ISO 4217 codes with a minor unit as of the 2025 amendments. */
  g_assert_cmpuint (n, ==, 165);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpuint (strlen (all[i].code), ==, 3);
      for (gsize j = 0; j < 3; j++)
        g_assert_true (g_ascii_isupper (all[i].code[j]));
    }
}

static void
test_currency_table_codes_are_sorted_and_unique (void)
{
  gsize n = 0;
  const CofferCurrency *all = coffer_currency_get_all (&n);

  for (gsize i = 1; i < n; i++)
    g_assert_cmpint (strcmp (all[i - 1].code, all[i].code), <, 0);
}

static void
test_currency_table_numerics_are_unique (void)
{
  gsize n = 0;
  const CofferCurrency *all = coffer_currency_get_all (&n);
  gboolean seen[1000] = { FALSE, };

  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpuint (all[i].numeric, >, 0);
      g_assert_cmpuint (all[i].numeric, <, 1000);
      g_assert_false (seen[all[i].numeric]);
      seen[all[i].numeric] = TRUE;
    }
}

static void
test_currency_table_rows_are_complete (void)
{
  gsize n = 0;
  const CofferCurrency *all = coffer_currency_get_all (&n);

  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpuint (all[i].exponent, <=, 4);
      g_assert_cmpuint (all[i].stripe_exponent, <=, 4);
      g_assert_nonnull (all[i].name);
      g_assert_cmpstr (all[i].name, !=, "");
      g_assert_true (g_utf8_validate (all[i].name, -1, NULL));
      if (all[i].symbol != NULL)
        {
          g_assert_cmpstr (all[i].symbol, !=, "");
          g_assert_true (g_utf8_validate (all[i].symbol, -1, NULL));
        }
    }
}

static const struct
{
  const char *code;
  guint16     numeric;
  guint8      exponent;
  guint8      stripe_exponent;
} known_currencies[] = {
  { "USD", 840, 2, 2 }, { "EUR", 978, 2, 2 }, { "GBP", 826, 2, 2 }, { "CHF", 756, 2, 2 },
  { "INR", 356, 2, 2 }, { "HUF", 348, 2, 2 }, { "TWD", 901, 2, 2 }, { "JPY", 392, 0, 0 },
  { "KRW", 410, 0, 0 }, { "VND", 704, 0, 0 }, { "CLP", 152, 0, 0 }, { "PYG", 600, 0, 0 },
  { "XOF", 952, 0, 0 }, { "XAF", 950, 0, 0 }, { "XPF", 953, 0, 0 }, { "VUV", 548, 0, 0 },
  { "KMF", 174, 0, 0 }, { "GNF", 324, 0, 0 }, { "DJF", 262, 0, 0 }, { "BIF", 108, 0, 0 },
  { "RWF", 646, 0, 0 }, { "UYI", 940, 0, 0 }, { "ISK", 352, 0, 2 }, { "UGX", 800, 0, 2 },
  { "MGA", 969, 2, 0 }, { "KWD", 414, 3, 3 }, { "BHD", 48, 3, 3 },  { "JOD", 400, 3, 3 },
  { "OMR", 512, 3, 3 }, { "TND", 788, 3, 3 }, { "IQD", 368, 3, 3 }, { "LYD", 434, 3, 3 },
  { "CLF", 990, 4, 4 }, { "UYW", 927, 4, 4 }, { "XCG", 532, 2, 2 }, { "ZWG", 924, 2, 2 },
  { "SLE", 925, 2, 2 }, { "VED", 926, 2, 2 }, { "VES", 928, 2, 2 }, { "MRU", 929, 2, 2 },
  { "STN", 930, 2, 2 }, { "BYN", 933, 2, 2 }, { "ALL", 8, 2, 2 },   { "ZMW", 967, 2, 2 },
};

static void
test_currency_table_spot_checks_match_iso_and_stripe (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_currencies); i++)
    {
      const CofferCurrency *currency = coffer_currency_lookup (known_currencies[i].code);

      g_test_message ("Checking %s", known_currencies[i].code);
      g_assert_nonnull (currency);
      g_assert_cmpstr (currency->code, ==, known_currencies[i].code);
      g_assert_cmpuint (currency->numeric, ==, known_currencies[i].numeric);
      g_assert_cmpuint (currency->exponent, ==, known_currencies[i].exponent);
      g_assert_cmpuint (currency->stripe_exponent, ==, known_currencies[i].stripe_exponent);
    }
}

static void
test_currency_table_stripe_differs_only_where_documented (void)
{
  static const char *const zero_decimal[] = { "BIF", "CLP", "DJF", "GNF", "JPY", "KMF",
                                              "KRW", "MGA", "PYG", "RWF", "VND", "VUV",
                                              "XAF", "XOF", "XPF" };
  static const char *const three_decimal[] = { "BHD", "JOD", "KWD", "OMR", "TND" };
  gsize n = 0;
  const CofferCurrency *all = coffer_currency_get_all (&n);

  for (gsize i = 0; i < n; i++)
    {
      if (g_str_equal (all[i].code, "ISK") || g_str_equal (all[i].code, "UGX") ||
          g_str_equal (all[i].code, "MGA"))
        g_assert_cmpuint (all[i].stripe_exponent, !=, all[i].exponent);
      else
        g_assert_cmpuint (all[i].stripe_exponent, ==, all[i].exponent);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (zero_decimal); i++)
    g_assert_cmpuint (coffer_currency_lookup (zero_decimal[i])->stripe_exponent, ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (three_decimal); i++)
    g_assert_cmpuint (coffer_currency_lookup (three_decimal[i])->stripe_exponent, ==, 3);
}

static void
test_currency_table_has_common_symbols (void)
{
  g_assert_cmpstr (coffer_currency_lookup ("USD")->symbol, ==, "$");
  g_assert_cmpstr (coffer_currency_lookup ("EUR")->symbol, ==, "€");
  g_assert_cmpstr (coffer_currency_lookup ("GBP")->symbol, ==, "£");
  g_assert_cmpstr (coffer_currency_lookup ("JPY")->symbol, ==, "¥");
  g_assert_cmpstr (coffer_currency_lookup ("INR")->symbol, ==, "₹");
  g_assert_cmpstr (coffer_currency_lookup ("CAD")->symbol, ==, "CA$");
  g_assert_null (coffer_currency_lookup ("CHF")->symbol);
  g_assert_null (coffer_currency_lookup ("KWD")->symbol);
}

static void
test_currency_lookup_is_case_insensitive (void)
{
  const CofferCurrency *usd = coffer_currency_lookup ("USD");

  g_assert_nonnull (usd);
  g_assert_true (coffer_currency_lookup ("usd") == usd);
  g_assert_true (coffer_currency_lookup ("Usd") == usd);
  g_assert_true (coffer_currency_lookup ("uSd") == usd);
  g_assert_cmpstr (coffer_currency_lookup ("jpy")->code, ==, "JPY");
}

static void
test_currency_lookup_finds_every_entry (void)
{
  gsize n = 0;
  const CofferCurrency *all = coffer_currency_get_all (&n);

  g_assert_true (coffer_currency_get_all (NULL) == all);
  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *lower = g_ascii_strdown (all[i].code, -1);

      g_assert_true (coffer_currency_lookup (all[i].code) == &all[i]);
      g_assert_true (coffer_currency_lookup (lower) == &all[i]);
    }
}

static void
test_currency_lookup_rejects_unknown_and_malformed_codes (void)
{
  /* Malformed; metals and units without a minor unit; withdrawn codes. */
  static const char *const codes[] = { "", "U", "US", "USDX", "US1", "1SD", " USD", "USD ",
                                       "US\xc3\xa9", "XYZ", "AAA", "ZZZ", "XAU", "XAG", "XDR",
                                       "XTS", "XXX", "ANG", "HRK", "CUC", "SLL", "ZWL", "DEM" };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    g_assert_null (coffer_currency_lookup (codes[i]));
}

/* Construction and the simple operations */

static void
test_init_stores_upper_case_code (void)
{
  CofferMoney m = money (1234, "usd");

  assert_money (&m, 1234, "USD");
  g_assert_cmpint (m.currency[3], ==, '\0');
}

static void
test_init_unknown_currency_is_an_error (void)
{
  g_autoptr(GError) error = NULL;
  CofferMoney m;

  g_assert_false (coffer_money_init (&m, 1, "XYZ", &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_assert_cmpstr (error->message, ==, "Unknown currency “XYZ”: not an active ISO 4217 code");
}

typedef gboolean (*BinaryOperation) (const CofferMoney *a,
                                     const CofferMoney *b,
                                     CofferMoney       *out,
                                     GError           **error);

static const struct
{
  gboolean is_add;
  gint64   a;
  gint64   b;
  gint64   expected;
  gboolean overflows;
} add_subtract_cases[] = {
  { TRUE, 100, 250, 350, FALSE },
  { TRUE, -100, 250, 150, FALSE },
  { TRUE, G_MAXINT64, 0, G_MAXINT64, FALSE },
  { TRUE, G_MAXINT64, G_MININT64, -1, FALSE },
  { TRUE, G_MAXINT64 - 1, 1, G_MAXINT64, FALSE },
  { TRUE, G_MININT64 + 1, -1, G_MININT64, FALSE },
  { TRUE, G_MAXINT64, 1, 0, TRUE },
  { TRUE, G_MININT64, -1, 0, TRUE },
  { TRUE, G_MAXINT64, G_MAXINT64, 0, TRUE },
  { TRUE, G_MININT64, G_MININT64, 0, TRUE },
  { FALSE, 100, 250, -150, FALSE },
  { FALSE, G_MININT64 + 1, 1, G_MININT64, FALSE },
  { FALSE, -1, G_MAXINT64, G_MININT64, FALSE },
  { FALSE, G_MAXINT64, G_MAXINT64, 0, FALSE },
  { FALSE, G_MININT64, 1, 0, TRUE },
  { FALSE, 0, G_MININT64, 0, TRUE },
  { FALSE, G_MAXINT64, -1, 0, TRUE },
  { FALSE, 1, G_MININT64, 0, TRUE },
};

static void
check_add_subtract_cases (gboolean is_add,
                          gboolean want_overflow)
{
  BinaryOperation operation = is_add ? coffer_money_add : coffer_money_subtract;

  for (gsize i = 0; i < G_N_ELEMENTS (add_subtract_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney a = money (add_subtract_cases[i].a, "USD");
      CofferMoney b = money (add_subtract_cases[i].b, "USD");
      CofferMoney out = money (42, "EUR");

      if (add_subtract_cases[i].is_add != is_add ||
          add_subtract_cases[i].overflows != want_overflow)
        continue;

      g_test_message ("Case %" G_GSIZE_FORMAT, i);
      if (want_overflow)
        {
          g_assert_false (operation (&a, &b, &out, &error));
          g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW);
          assert_money (&out, 42, "EUR");
        }
      else
        {
          g_assert_true (operation (&a, &b, &out, &error));
          g_assert_no_error (error);
          assert_money (&out, add_subtract_cases[i].expected, "USD");
        }
    }
}

static void
test_add_is_exact_up_to_the_limits (void)
{
  check_add_subtract_cases (TRUE, FALSE);
}

static void
test_add_overflow_is_an_error (void)
{
  check_add_subtract_cases (TRUE, TRUE);
}

static void
test_subtract_is_exact_up_to_the_limits (void)
{
  check_add_subtract_cases (FALSE, FALSE);
}

static void
test_subtract_overflow_is_an_error (void)
{
  check_add_subtract_cases (FALSE, TRUE);
}

static void
test_add_overflow_message_names_the_amounts (void)
{
  g_autoptr(GError) error = NULL;
  CofferMoney a = money (G_MAXINT64, "USD"), b = money (1, "USD"), out;

  g_assert_false (coffer_money_add (&a, &b, &out, &error));
  g_assert_cmpstr (error->message, ==,
                   "Amount 9223372036854775807 USD overflows when 1 USD is added");
}

static void
test_add_currency_mismatch_is_an_error (void)
{
  CofferMoney usd = money (100, "USD"), eur = money (100, "EUR"), out;
  g_autoptr(GError) error = NULL;
  int cmp = 7;

  g_assert_false (coffer_money_add (&usd, &eur, &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_CURRENCY_MISMATCH);
  g_assert_cmpstr (error->message, ==,
                   "Cannot add amounts in different currencies: 100 USD and 100 EUR");
  g_clear_error (&error);

  g_assert_false (coffer_money_subtract (&usd, &eur, &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_CURRENCY_MISMATCH);
  g_clear_error (&error);

  g_assert_false (coffer_money_compare (&usd, &eur, &cmp, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_CURRENCY_MISMATCH);
  g_assert_cmpint (cmp, ==, 7);
}

static void
test_add_output_may_alias_an_input (void)
{
  g_autoptr(GError) error = NULL;
  CofferMoney total = money (100, "GBP"), item = money (25, "GBP");

  g_assert_true (coffer_money_add (&total, &item, &total, &error));
  g_assert_true (coffer_money_add (&total, &total, &total, &error));
  g_assert_true (coffer_money_subtract (&total, &item, &item, &error));
  g_assert_no_error (error);
  assert_money (&total, 250, "GBP");
  assert_money (&item, 225, "GBP");
}

static void
test_hand_built_values_are_checked (void)
{
  CofferMoney lower = { 100, "usd" }, unknown = { 100, "XYZ" }, garbage, out;
  CofferMoney usd = money (1, "USD");
  g_autoptr(GError) error = NULL;
  g_autofree char *stripe = NULL;
  g_autofree char *text = NULL;
  int cmp;

  /* Lower case is accepted and normalised; unknown codes are errors everywhere. */
  g_assert_true (coffer_money_add (&lower, &usd, &out, &error));
  g_assert_no_error (error);
  assert_money (&out, 101, "USD");

  g_assert_false (coffer_money_add (&usd, &unknown, &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_assert_cmpstr (error->message, ==, "Unknown currency “XYZ” in amount 100");
  g_clear_error (&error);
  g_assert_false (coffer_money_negate (&unknown, &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_clear_error (&error);
  g_assert_false (coffer_money_multiply_ratio (&unknown, 1, 2, COFFER_ROUNDING_HALF_UP, &out,
                                               &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_clear_error (&error);
  g_assert_false (coffer_money_compare (&unknown, &usd, &cmp, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_clear_error (&error);
  stripe = coffer_money_format_stripe (&unknown, &error);
  g_assert_null (stripe);
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_clear_error (&error);

  /* A currency array with no NUL is never read past its end. */
  garbage.amount_minor = -5;
  memcpy (garbage.currency, "US\001\377", 4);
  g_assert_false (coffer_money_negate (&garbage, &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  text = coffer_money_to_string (&garbage);
  g_assert_cmpstr (text, ==, "-5 US?");
}

static void
test_negate_flips_the_sign (void)
{
  static const gint64 amounts[] = { 0, 1, -1, 1234, G_MAXINT64, G_MININT64 + 1 };

  for (gsize i = 0; i < G_N_ELEMENTS (amounts); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney m = money (amounts[i], "KWD"), out;

      g_assert_true (coffer_money_negate (&m, &out, &error));
      g_assert_no_error (error);
      assert_money (&out, -amounts[i], "KWD");
    }
}

static void
test_negate_minimum_is_an_overflow (void)
{
  g_autoptr(GError) error = NULL;
  CofferMoney m = money (G_MININT64, "USD"), out = money (1, "USD");

  g_assert_false (coffer_money_negate (&m, &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW);
  g_assert_cmpstr (error->message, ==,
                   "Amount -9223372036854775808 USD overflows when negated");
  assert_money (&out, 1, "USD");
}

/* multiply_ratio */

/* Expected results in the order of CofferRounding: HALF_UP, HALF_EVEN, HALF_DOWN,
 * FLOOR, CEILING, TOWARD_ZERO. Checked by hand and against exact rational arithmetic. */
static const struct
{
  gint64 amount;
  gint64 numerator;
  gint64 denominator;
  gint64 expected[6];
} ratio_cases[] = {
  /* Exact halves, both parities, every sign combination. */
  { 5, 1, 2, { 3, 2, 2, 2, 3, 2 } },
  { 15, 1, 2, { 8, 8, 7, 7, 8, 7 } },
  { -5, 1, 2, { -3, -2, -2, -3, -2, -2 } },
  { -15, 1, 2, { -8, -8, -7, -8, -7, -7 } },
  { 5, -1, 2, { -3, -2, -2, -3, -2, -2 } },
  { 5, 1, -2, { -3, -2, -2, -3, -2, -2 } },
  { -5, 1, -2, { 3, 2, 2, 2, 3, 2 } },
  { -5, -1, -2, { -3, -2, -2, -3, -2, -2 } },
  { 35, 1, 10, { 4, 4, 3, 3, 4, 3 } },
  { -35, 1, 10, { -4, -4, -3, -4, -3, -3 } },
  { 1, 1, 2, { 1, 0, 0, 0, 1, 0 } },
  { -1, 1, 2, { -1, 0, 0, -1, 0, 0 } },
  /* Below and above a half. */
  { 7, 1, 3, { 2, 2, 2, 2, 3, 2 } },
  { 8, 1, 3, { 3, 3, 3, 2, 3, 2 } },
  { -7, 1, 3, { -2, -2, -2, -3, -2, -2 } },
  { -8, 1, 3, { -3, -3, -3, -3, -2, -2 } },
  { 1, 1, 3, { 0, 0, 0, 0, 1, 0 } },
  { -1, 1, 3, { 0, 0, 0, -1, 0, 0 } },
  { 2501, 1, 1000, { 3, 3, 3, 2, 3, 2 } },
  { 2499, 1, 1000, { 2, 2, 2, 2, 3, 2 } },
  { -2501, 1, 1000, { -3, -3, -3, -3, -2, -2 } },
  { -2499, 1, 1000, { -2, -2, -2, -3, -2, -2 } },
  { 1000, -1, -3, { 333, 333, 333, 333, 334, 333 } },
  /* A proration: $19.99 for 17 of 30 days is $11.3276... */
  { 1999, 17, 30, { 1133, 1133, 1133, 1132, 1133, 1132 } },
  { -1999, 17, 30, { -1133, -1133, -1133, -1133, -1132, -1132 } },
  /* Exact results need no rounding. */
  { 6, 1, 2, { 3, 3, 3, 3, 3, 3 } },
  { -6, 1, 2, { -3, -3, -3, -3, -3, -3 } },
  { 0, G_MAXINT64, 1, { 0, 0, 0, 0, 0, 0 } },
  /* The product does not fit in 64 bits, the result does. */
  { G_MAXINT64, 3, 3, { G_MAXINT64, G_MAXINT64, G_MAXINT64, G_MAXINT64, G_MAXINT64,
                        G_MAXINT64 } },
  { G_MININT64, G_MAXINT64, G_MAXINT64, { G_MININT64, G_MININT64, G_MININT64, G_MININT64,
                                          G_MININT64, G_MININT64 } },
  { G_MININT64, G_MININT64, G_MININT64, { G_MININT64, G_MININT64, G_MININT64, G_MININT64,
                                          G_MININT64, G_MININT64 } },
  { G_MAXINT64, 1, 2, { G_MAXINT64 / 2 + 1, G_MAXINT64 / 2 + 1, G_MAXINT64 / 2,
                        G_MAXINT64 / 2, G_MAXINT64 / 2 + 1, G_MAXINT64 / 2 } },
  { G_MAXINT64, -1, 2, { G_MININT64 / 2, G_MININT64 / 2, G_MININT64 / 2 + 1,
                         G_MININT64 / 2, G_MININT64 / 2 + 1, G_MININT64 / 2 + 1 } },
  { G_MININT64, 1, 3, { G_MININT64 / 3 - 1, G_MININT64 / 3 - 1, G_MININT64 / 3 - 1,
                        G_MININT64 / 3 - 1, G_MININT64 / 3, G_MININT64 / 3 } },
  { G_MAXINT64, G_MAXINT64, G_MININT64, { -G_MAXINT64 + 1, -G_MAXINT64 + 1, -G_MAXINT64 + 1,
                                          -G_MAXINT64, -G_MAXINT64 + 1, -G_MAXINT64 + 1 } },
};

static void
test_multiply_ratio_rounding (gconstpointer data)
{
  CofferRounding rounding = GPOINTER_TO_INT (data);

  for (gsize i = 0; i < G_N_ELEMENTS (ratio_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney m = money (ratio_cases[i].amount, "USD"), out;

      g_test_message ("%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                      ratio_cases[i].amount, ratio_cases[i].numerator,
                      ratio_cases[i].denominator);
      g_assert_true (coffer_money_multiply_ratio (&m, ratio_cases[i].numerator,
                                                  ratio_cases[i].denominator, rounding, &out,
                                                  &error));
      g_assert_no_error (error);
      assert_money (&out, ratio_cases[i].expected[rounding], "USD");
    }
}

static void
test_multiply_ratio_overflow_is_an_error (void)
{
  static const struct { gint64 amount, numerator, denominator; } cases[] = {
    { G_MAXINT64, 2, 1 },          { G_MININT64, -1, 1 },         { G_MININT64, 1, -1 },
    { G_MAXINT64, G_MAXINT64, 1 }, { G_MININT64, G_MININT64, 1 }, { 1, G_MININT64, -1 },
    { G_MAXINT64, 3, 2 },          { 2, G_MAXINT64, 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      for (CofferRounding r = COFFER_ROUNDING_HALF_UP; r <= COFFER_ROUNDING_TOWARD_ZERO; r++)
        {
          g_autoptr(GError) error = NULL;
          CofferMoney m = money (cases[i].amount, "USD"), out = money (9, "USD");

          g_assert_false (coffer_money_multiply_ratio (&m, cases[i].numerator,
                                                       cases[i].denominator, r, &out, &error));
          g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW);
          assert_money (&out, 9, "USD");
        }
    }
}

static void
test_multiply_ratio_rounding_can_overflow (void)
{
  /* (2^32 + 1) × (2^32 − 1) / 2 = (2^64 − 1) / 2 = G_MAXINT64 + ½: only the modes that
   * round it down fit. Negated, it is G_MININT64 + ½, and every mode fits. */
  static const gboolean fits[] = { FALSE, FALSE, TRUE, TRUE, FALSE, TRUE };

  for (CofferRounding r = COFFER_ROUNDING_HALF_UP; r <= COFFER_ROUNDING_TOWARD_ZERO; r++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney positive = money (G_GINT64_CONSTANT (4294967297), "USD");
      CofferMoney negative = money (G_GINT64_CONSTANT (-4294967297), "USD");
      CofferMoney out;
      gboolean rounds_away = (r == COFFER_ROUNDING_HALF_UP || r == COFFER_ROUNDING_HALF_EVEN ||
                              r == COFFER_ROUNDING_FLOOR);

      g_assert_cmpint (coffer_money_multiply_ratio (&positive, G_GINT64_CONSTANT (4294967295), 2,
                                                    r, &out, &error), ==, fits[r]);
      if (fits[r])
        {
          g_assert_no_error (error);
          assert_money (&out, G_MAXINT64, "USD");
        }
      else
        {
          g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW);
          g_clear_error (&error);
        }

      g_assert_true (coffer_money_multiply_ratio (&negative, G_GINT64_CONSTANT (4294967295), 2,
                                                  r, &out, &error));
      g_assert_no_error (error);
      assert_money (&out, rounds_away ? G_MININT64 : G_MININT64 + 1, "USD");
    }
}

static void
test_multiply_ratio_division_by_zero_is_an_error (void)
{
  g_autoptr(GError) error = NULL;
  CofferMoney m = money (100, "EUR"), out;

  g_assert_false (coffer_money_multiply_ratio (&m, 1, 0, COFFER_ROUNDING_HALF_EVEN, &out,
                                               &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_DIVISION_BY_ZERO);
  g_assert_cmpstr (error->message, ==,
                   "Amount 100 EUR cannot be multiplied by 1/0: the denominator is zero");
}

/* Comparison and predicates */

static void
test_compare_orders_amounts (void)
{
  static const struct { gint64 a, b; int expected; } cases[] = {
    { 1, 2, -1 }, { 2, 1, 1 }, { 5, 5, 0 }, { -1, 0, -1 },
    { G_MININT64, G_MAXINT64, -1 }, { G_MAXINT64, G_MININT64, 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney a = money (cases[i].a, "JPY"), b = money (cases[i].b, "jpy");
      int cmp = 42;

      g_assert_true (coffer_money_compare (&a, &b, &cmp, &error));
      g_assert_no_error (error);
      g_assert_cmpint (cmp, ==, cases[i].expected);
    }
}

static void
test_equal_needs_same_currency_and_amount (void)
{
  CofferMoney a = money (100, "USD"), b = money (100, "usd"), c = money (100, "CAD");
  CofferMoney d = money (101, "USD"), lower = { 100, "usd" };

  g_assert_true (coffer_money_equal (&a, &b));
  g_assert_true (coffer_money_equal (&a, &lower));
  g_assert_false (coffer_money_equal (&a, &c));
  g_assert_false (coffer_money_equal (&a, &d));
}

static void
test_predicates_zero_and_negative (void)
{
  CofferMoney zero = money (0, "USD"), one = money (1, "USD"), minus = money (-1, "USD");
  CofferMoney minimum = money (G_MININT64, "USD");

  g_assert_true (coffer_money_is_zero (&zero));
  g_assert_false (coffer_money_is_zero (&one));
  g_assert_false (coffer_money_is_zero (&minus));
  g_assert_false (coffer_money_is_negative (&zero));
  g_assert_false (coffer_money_is_negative (&one));
  g_assert_true (coffer_money_is_negative (&minus));
  g_assert_true (coffer_money_is_negative (&minimum));
}

/* Parsing */

static const struct
{
  const char *text;
  const char *currency;
  gint64      expected;
} parse_valid_cases[] = {
  { "0", "USD", 0 },
  { "12", "USD", 1200 },
  { "12.3", "USD", 1230 },
  { "12.34", "USD", 1234 },
  { "12.30", "USD", 1230 },
  { "-12.34", "USD", -1234 },
  { "+12.34", "USD", 1234 },
  { "0.05", "USD", 5 },
  { "-0.05", "USD", -5 },
  { "-0", "USD", 0 },
  { "007.50", "usd", 750 },
  { "00000000000000000000000000001", "USD", 100 },
  { "92233720368547758.07", "USD", G_MAXINT64 },
  { "-92233720368547758.08", "USD", G_MININT64 },
  { "1235", "JPY", 1235 },
  { "-1", "JPY", -1 },
  { "9223372036854775807", "JPY", G_MAXINT64 },
  { "-9223372036854775808", "JPY", G_MININT64 },
  { "1.234", "KWD", 1234 },
  { "1.2", "KWD", 1200 },
  { "1", "BHD", 1000 },
  { "-0.001", "KWD", -1 },
  { "9223372036854775.807", "KWD", G_MAXINT64 },
  { "1.2345", "CLF", 12345 },
  { "1.2", "CLF", 12000 },
  { "0.0001", "CLF", 1 },
  { "3", "UYW", 30000 },
  { "922337203685477.5807", "CLF", G_MAXINT64 },
};

static void
test_parse_accepts_valid_amounts (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (parse_valid_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *upper = g_ascii_strup (parse_valid_cases[i].currency, -1);
      CofferMoney out;

      g_test_message ("Parsing \"%s\" %s", parse_valid_cases[i].text,
                      parse_valid_cases[i].currency);
      g_assert_true (coffer_money_parse (parse_valid_cases[i].text,
                                         parse_valid_cases[i].currency, &out, &error));
      g_assert_no_error (error);
      assert_money (&out, parse_valid_cases[i].expected, upper);
    }
}

static void
assert_parse_fails (const char *text,
                    const char *currency,
                    int         code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = g_strescape (text, NULL);
  CofferMoney out = { 77, "EUR" };

  g_test_message ("Parsing \"%s\" %s", escaped, currency);
  g_assert_false (coffer_money_parse (text, currency, &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  assert_money (&out, 77, "EUR");
}

static void
test_parse_rejects_malformed_text (void)
{
  static const char *const texts[] = {
    "", " ", " 12", "12 ", "\t12", "12\n", "1 000", "1e5", "1E5", "1,000", "12,34", ".5", "5.",
    "-", "+", ".", "-.5", "--5", "+-5", "-+5", "0x10", "0X1F", "1.2.3", "12a", "abc", "$12",
    "12USD", "1'000", "1_000", "NaN", "inf", "12.-3", "12.+3", "１２", "\xd9\xa1\xd9\xa2",
    "12\xff", "- 5",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    assert_parse_fails (texts[i], "USD", COFFER_MONEY_ERROR_INVALID_AMOUNT);
  assert_parse_fails ("12.", "JPY", COFFER_MONEY_ERROR_INVALID_AMOUNT);
  assert_parse_fails ("1.", "KWD", COFFER_MONEY_ERROR_INVALID_AMOUNT);
}

static void
test_parse_rejects_too_many_decimal_places (void)
{
  static const struct { const char *text, *currency, *message; } cases[] = {
    { "12.345", "USD", "“12.345” has 3 decimal places, but USD has 2" },
    { "12.340", "usd", "“12.340” has 3 decimal places, but USD has 2" },
    { "12.0", "JPY", "“12.0” has 1 decimal place, but JPY has 0" },
    { "-1.2345", "KWD", "“-1.2345” has 4 decimal places, but KWD has 3" },
    { "1.23456", "CLF", "“1.23456” has 5 decimal places, but CLF has 4" },
    { "0.5", "ISK", "“0.5” has 1 decimal place, but ISK has 0" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney out;

      g_assert_false (coffer_money_parse (cases[i].text, cases[i].currency, &out, &error));
      g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

static void
test_parse_rejects_overflow (void)
{
  static const struct { const char *text, *currency; } cases[] = {
    { "92233720368547758.08", "USD" }, { "-92233720368547758.09", "USD" },
    { "100000000000000000", "USD" },   { "99999999999999999999", "USD" },
    { "184467440737095516.16", "USD" }, { "9223372036854775808", "JPY" },
    { "-9223372036854775809", "JPY" }, { "18446744073709551616", "JPY" },
    { "9223372036854775.808", "KWD" }, { "922337203685478", "CLF" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_parse_fails (cases[i].text, cases[i].currency, COFFER_MONEY_ERROR_OVERFLOW);
}

static void
test_parse_errors_name_text_and_currency (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *long_text = g_strnfill (100, '9');
  CofferMoney out;

  g_assert_false (coffer_money_parse ("1,000", "usd", &out, &error));
  g_assert_cmpstr (error->message, ==,
                   "“1,000” is not a valid amount in USD: expected digits, an optional sign "
                   "and decimal point, like “1234.56”");
  g_clear_error (&error);

  g_assert_false (coffer_money_parse ("1e3", "KWD", &out, &error));
  g_assert_nonnull (strstr (error->message, "like “1234.567”"));
  g_clear_error (&error);

  g_assert_false (coffer_money_parse (long_text, "USD", &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW);
  g_assert_cmpstr (error->message, ==,
                   "“999999999999999999999999999999999999999…” is too large an amount in USD: "
                   "it does not fit in 64 bits of minor units");
  g_clear_error (&error);

  g_assert_false (coffer_money_parse ("5", "XAU", &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_assert_cmpstr (error->message, ==, "Unknown currency “XAU”: not an active ISO 4217 code");
  g_clear_error (&error);

  g_assert_false (coffer_money_parse ("5", "\xff\xfe", &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_parse_minor_accepts_integers (void)
{
  static const struct { const char *text; gint64 expected; } cases[] = {
    { "0", 0 }, { "1234", 1234 }, { "-1234", -1234 }, { "+5", 5 }, { "007", 7 }, { "-0", 0 },
    { "9223372036854775807", G_MAXINT64 }, { "-9223372036854775808", G_MININT64 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney out;

      g_assert_true (coffer_money_parse_minor (cases[i].text, "kwd", &out, &error));
      g_assert_no_error (error);
      assert_money (&out, cases[i].expected, "KWD");
    }
}

static void
test_parse_minor_rejects_junk_and_overflow (void)
{
  static const struct { const char *text; int code; } cases[] = {
    { "", COFFER_MONEY_ERROR_INVALID_AMOUNT },      { "12.34", COFFER_MONEY_ERROR_INVALID_AMOUNT },
    { " 1", COFFER_MONEY_ERROR_INVALID_AMOUNT },    { "1 ", COFFER_MONEY_ERROR_INVALID_AMOUNT },
    { "1e3", COFFER_MONEY_ERROR_INVALID_AMOUNT },   { "0x10", COFFER_MONEY_ERROR_INVALID_AMOUNT },
    { "-", COFFER_MONEY_ERROR_INVALID_AMOUNT },     { "+", COFFER_MONEY_ERROR_INVALID_AMOUNT },
    { "1,000", COFFER_MONEY_ERROR_INVALID_AMOUNT }, { "--1", COFFER_MONEY_ERROR_INVALID_AMOUNT },
    { "12a", COFFER_MONEY_ERROR_INVALID_AMOUNT },   { "1.", COFFER_MONEY_ERROR_INVALID_AMOUNT },
    { "9223372036854775808", COFFER_MONEY_ERROR_OVERFLOW },
    { "-9223372036854775809", COFFER_MONEY_ERROR_OVERFLOW },
    { "18446744073709551616", COFFER_MONEY_ERROR_OVERFLOW },
    { "99999999999999999999999", COFFER_MONEY_ERROR_OVERFLOW },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney out;

      g_test_message ("Parsing \"%s\"", cases[i].text);
      g_assert_false (coffer_money_parse_minor (cases[i].text, "USD", &out, &error));
      g_assert_error (error, COFFER_MONEY_ERROR, cases[i].code);
    }
}

/* Formatting */

static const struct
{
  gint64      amount;
  const char *currency;
  const char *expected;
} format_cases[] = {
  { 123456, "USD", "$1,234.56" },
  { -500, "USD", "-$5.00" },
  { 0, "USD", "$0.00" },
  { -1, "USD", "-$0.01" },
  { 99999, "USD", "$999.99" },
  { 100000, "USD", "$1,000.00" },
  { 5, "EUR", "€0.05" },
  { 100, "GBP", "£1.00" },
  { 123456, "INR", "₹1,234.56" },
  { 1000, "CAD", "CA$10.00" },
  { 1000, "CHF", "CHF 10.00" },
  { -1000, "CHF", "-CHF 10.00" },
  { 0, "JPY", "¥0" },
  { 999, "JPY", "¥999" },
  { 1000, "JPY", "¥1,000" },
  { 1235, "JPY", "¥1,235" },
  { 123456789, "JPY", "¥123,456,789" },
  { 5, "ISK", "ISK 5" },
  { 1234, "KWD", "KWD 1.234" },
  { -1234567, "KWD", "-KWD 1,234.567" },
  { 12345, "CLF", "CLF 1.2345" },
  { 1, "CLF", "CLF 0.0001" },
  { G_MAXINT64, "USD", "$92,233,720,368,547,758.07" },
  { G_MININT64, "USD", "-$92,233,720,368,547,758.08" },
  { G_MININT64, "JPY", "-¥9,223,372,036,854,775,808" },
  { G_MININT64, "KWD", "-KWD 9,223,372,036,854,775.808" },
  { G_MAXINT64, "CLF", "CLF 922,337,203,685,477.5807" },
};

static void
test_format_for_people (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (format_cases); i++)
    {
      CofferMoney m = money (format_cases[i].amount, format_cases[i].currency);
      g_autofree char *text = coffer_money_format (&m);

      g_assert_cmpstr (text, ==, format_cases[i].expected);
    }
}

static void
test_format_unknown_currency_falls_back_to_code (void)
{
  CofferMoney unknown = { -123456, "XYZ" };
  g_autofree char *text = coffer_money_format (&unknown);

  g_assert_cmpstr (text, ==, "-XYZ 123,456");
}

static void
test_to_string_is_machine_readable (void)
{
  static const gint64 amounts[] = { 0, 1234, -1234, G_MAXINT64, G_MININT64 };

  for (gsize i = 0; i < G_N_ELEMENTS (amounts); i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney m = money (amounts[i], "usd"), back;
      g_autofree char *text = coffer_money_to_string (&m);
      g_auto(GStrv) parts = g_strsplit (text, " ", -1);

      g_assert_cmpuint (g_strv_length (parts), ==, 2);
      g_assert_cmpstr (parts[1], ==, "USD");
      g_assert_true (coffer_money_parse_minor (parts[0], parts[1], &back, &error));
      g_assert_no_error (error);
      g_assert_true (coffer_money_equal (&m, &back));
    }

  {
    CofferMoney lower = { 1234, "usd" };
    g_autofree char *text = coffer_money_to_string (&lower);

    g_assert_cmpstr (text, ==, "1234 USD");
  }
}

/* Stripe amounts */

static void
test_stripe_amounts_convert_both_ways (void)
{
  static const struct { gint64 amount; const char *currency; const char *stripe; } cases[] = {
    { 1234, "USD", "1234" },   { -1234, "USD", "-1234" }, { 500, "JPY", "500" },
    { 5124, "KWD", "5124" },   { 5, "ISK", "500" },       { 5, "UGX", "500" },
    { -5, "ISK", "-500" },     { 1200, "MGA", "12" },     { -1200, "MGA", "-12" },
    { 0, "MGA", "0" },         { 12345, "CLF", "12345" }, { 100, "XOF", "100" },
    { G_MAXINT64, "USD", "9223372036854775807" },
    { G_MAXINT64 / 100, "ISK", "9223372036854775800" },
    { G_MININT64 / 100, "UGX", "-9223372036854775800" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *lower = g_ascii_strdown (cases[i].currency, -1);
      CofferMoney m = money (cases[i].amount, cases[i].currency), back;
      g_autofree char *stripe = coffer_money_format_stripe (&m, &error);
      gint64 stripe_amount = 0;

      g_assert_no_error (error);
      g_assert_cmpstr (stripe, ==, cases[i].stripe);
      g_assert_true (g_ascii_string_to_signed (stripe, 10, G_MININT64, G_MAXINT64,
                                               &stripe_amount, &error));
      g_assert_true (coffer_money_from_stripe (stripe_amount, lower, &back, &error));
      g_assert_no_error (error);
      g_assert_true (coffer_money_equal (&m, &back));
    }
}

static void
test_stripe_round_trips_in_every_currency (void)
{
  gsize n = 0;
  const CofferCurrency *all = coffer_currency_get_all (&n);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      CofferMoney m = money (-987600, all[i].code), back;
      g_autofree char *stripe = coffer_money_format_stripe (&m, &error);
      gint64 stripe_amount = 0;

      g_assert_no_error (error);
      g_assert_true (g_ascii_string_to_signed (stripe, 10, G_MININT64, G_MAXINT64,
                                               &stripe_amount, &error));
      g_assert_true (coffer_money_from_stripe (stripe_amount, all[i].code, &back, &error));
      g_assert_no_error (error);
      g_assert_true (coffer_money_equal (&m, &back));
    }
}

static void
test_stripe_unrepresentable_amounts_are_errors (void)
{
  g_autoptr(GError) error = NULL;
  CofferMoney mga = money (1234, "MGA"), isk = money (G_MAXINT64 / 100 + 1, "ISK"), out;
  g_autofree char *stripe = coffer_money_format_stripe (&mga, &error);
  g_autofree char *overflow = NULL;

  g_assert_null (stripe);
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT);
  g_assert_cmpstr (error->message, ==,
                   "Amount 1234 MGA (MGA 12.34) cannot be sent to Stripe, which uses 0 decimal "
                   "places for MGA");
  g_clear_error (&error);

  overflow = coffer_money_format_stripe (&isk, &error);
  g_assert_null (overflow);
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_false (coffer_money_from_stripe (550, "isk", &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT);
  g_assert_cmpstr (error->message, ==,
                   "Stripe amount 550 ISK is not a whole number of ISK minor units: Stripe uses "
                   "2 decimal places for ISK, ISO 4217 0");
  g_clear_error (&error);

  g_assert_false (coffer_money_from_stripe (G_MAXINT64 / 100 + 1, "mga", &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_assert_false (coffer_money_from_stripe (100, "xau", &out, &error));
  g_assert_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY);
}

static void
test_error_domain_is_named (void)
{
  g_assert_cmpstr (g_quark_to_string (COFFER_MONEY_ERROR), ==, "coffer-money-error-quark");
}

int
main (int   argc,
      char *argv[])
{
  static const char *const rounding_paths[] = {
    "/money/multiply-ratio/half-up-rounds-halves-away-from-zero",
    "/money/multiply-ratio/half-even-rounds-to-even",
    "/money/multiply-ratio/half-down-rounds-halves-toward-zero",
    "/money/multiply-ratio/floor-rounds-toward-negative-infinity",
    "/money/multiply-ratio/ceiling-rounds-toward-positive-infinity",
    "/money/multiply-ratio/toward-zero-drops-the-fraction",
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/currency/table/codes-are-three-upper-case-letters",
                   test_currency_table_codes_are_three_upper_case_letters);
  g_test_add_func ("/currency/table/codes-are-sorted-and-unique",
                   test_currency_table_codes_are_sorted_and_unique);
  g_test_add_func ("/currency/table/numerics-are-unique",
                   test_currency_table_numerics_are_unique);
  g_test_add_func ("/currency/table/rows-are-complete", test_currency_table_rows_are_complete);
  g_test_add_func ("/currency/table/spot-checks-match-iso-and-stripe",
                   test_currency_table_spot_checks_match_iso_and_stripe);
  g_test_add_func ("/currency/table/stripe-differs-only-where-documented",
                   test_currency_table_stripe_differs_only_where_documented);
  g_test_add_func ("/currency/table/has-common-symbols", test_currency_table_has_common_symbols);
  g_test_add_func ("/currency/lookup/is-case-insensitive",
                   test_currency_lookup_is_case_insensitive);
  g_test_add_func ("/currency/lookup/finds-every-entry", test_currency_lookup_finds_every_entry);
  g_test_add_func ("/currency/lookup/rejects-unknown-and-malformed-codes",
                   test_currency_lookup_rejects_unknown_and_malformed_codes);

  g_test_add_func ("/money/init/stores-upper-case-code", test_init_stores_upper_case_code);
  g_test_add_func ("/money/init/unknown-currency-is-an-error",
                   test_init_unknown_currency_is_an_error);
  g_test_add_func ("/money/add/is-exact-up-to-the-limits", test_add_is_exact_up_to_the_limits);
  g_test_add_func ("/money/add/overflow-is-an-error", test_add_overflow_is_an_error);
  g_test_add_func ("/money/subtract/is-exact-up-to-the-limits",
                   test_subtract_is_exact_up_to_the_limits);
  g_test_add_func ("/money/subtract/overflow-is-an-error", test_subtract_overflow_is_an_error);
  g_test_add_func ("/money/add/overflow-message-names-the-amounts",
                   test_add_overflow_message_names_the_amounts);
  g_test_add_func ("/money/add/currency-mismatch-is-an-error",
                   test_add_currency_mismatch_is_an_error);
  g_test_add_func ("/money/add/output-may-alias-an-input", test_add_output_may_alias_an_input);
  g_test_add_func ("/money/hand-built-values-are-checked", test_hand_built_values_are_checked);
  g_test_add_func ("/money/negate/flips-the-sign", test_negate_flips_the_sign);
  g_test_add_func ("/money/negate/minimum-is-an-overflow", test_negate_minimum_is_an_overflow);

  for (CofferRounding r = COFFER_ROUNDING_HALF_UP; r <= COFFER_ROUNDING_TOWARD_ZERO; r++)
    g_test_add_data_func (rounding_paths[r], GINT_TO_POINTER (r), test_multiply_ratio_rounding);
  g_test_add_func ("/money/multiply-ratio/overflow-is-an-error",
                   test_multiply_ratio_overflow_is_an_error);
  g_test_add_func ("/money/multiply-ratio/rounding-can-overflow",
                   test_multiply_ratio_rounding_can_overflow);
  g_test_add_func ("/money/multiply-ratio/division-by-zero-is-an-error",
                   test_multiply_ratio_division_by_zero_is_an_error);

  g_test_add_func ("/money/compare/orders-amounts", test_compare_orders_amounts);
  g_test_add_func ("/money/equal/needs-same-currency-and-amount",
                   test_equal_needs_same_currency_and_amount);
  g_test_add_func ("/money/predicates/zero-and-negative", test_predicates_zero_and_negative);

  g_test_add_func ("/money/parse/accepts-valid-amounts", test_parse_accepts_valid_amounts);
  g_test_add_func ("/money/parse/rejects-malformed-text", test_parse_rejects_malformed_text);
  g_test_add_func ("/money/parse/rejects-too-many-decimal-places",
                   test_parse_rejects_too_many_decimal_places);
  g_test_add_func ("/money/parse/rejects-overflow", test_parse_rejects_overflow);
  g_test_add_func ("/money/parse/errors-name-text-and-currency",
                   test_parse_errors_name_text_and_currency);
  g_test_add_func ("/money/parse-minor/accepts-integers", test_parse_minor_accepts_integers);
  g_test_add_func ("/money/parse-minor/rejects-junk-and-overflow",
                   test_parse_minor_rejects_junk_and_overflow);

  g_test_add_func ("/money/format/for-people", test_format_for_people);
  g_test_add_func ("/money/format/unknown-currency-falls-back-to-code",
                   test_format_unknown_currency_falls_back_to_code);
  g_test_add_func ("/money/to-string/is-machine-readable", test_to_string_is_machine_readable);

  g_test_add_func ("/money/stripe/amounts-convert-both-ways",
                   test_stripe_amounts_convert_both_ways);
  g_test_add_func ("/money/stripe/round-trips-in-every-currency",
                   test_stripe_round_trips_in_every_currency);
  g_test_add_func ("/money/stripe/unrepresentable-amounts-are-errors",
                   test_stripe_unrepresentable_amounts_are_errors);
  g_test_add_func ("/money/error-domain/is-named", test_error_domain_is_named);

  return g_test_run ();
}
