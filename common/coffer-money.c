/* coffer-money.c: CofferMoney arithmetic, parsing and formatting, exact and overflow-checked. */
#include "coffer-money.h"

#include <string.h>

#include "coffer-currency.h"

/*
 * Every amount is a gint64 count of the currency's ISO 4217 minor unit. No floating
 * point is used anywhere: arithmetic is checked with the compiler's overflow builtins
 * and ratios go through a 128-bit intermediate, so a result is either exact (up to the
 * rounding the caller chose) or an error, never a wrapped or approximated value.
 */

/* The product of two gint64 values always fits in 127 bits. */
__extension__ typedef __int128 Int128;

#define MAX_TEXT_IN_MESSAGE 40

G_DEFINE_QUARK (coffer-money-error-quark, coffer_money_error)

static const gint64 powers_of_ten[] = {
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

static gint64
power_of_ten (guint n)
{
  g_assert (n < G_N_ELEMENTS (powers_of_ten));
  return powers_of_ten[n];
}

/* Text from outside may be anything: keep error messages valid UTF-8 and short. */
static char *
describe_text (const char *text,
               gssize      length)
{
  g_autofree char *valid = g_utf8_make_valid (text, length);
  g_autofree char *start = NULL;

  if (g_utf8_strlen (valid, -1) <= MAX_TEXT_IN_MESSAGE)
    return g_steal_pointer (&valid);

  start = g_utf8_substring (valid, 0, MAX_TEXT_IN_MESSAGE - 1);
  return g_strconcat (start, "…", NULL);
}

/* The code of a CofferMoney that may have been filled in by hand: at most three
 * bytes, and only printable ASCII, so that logs and messages stay readable. */
static void
copy_code_for_display (const CofferMoney *m,
                       char               code[4])
{
  gsize i;

  for (i = 0; i < 3 && m->currency[i] != '\0'; i++)
    code[i] = g_ascii_isgraph (m->currency[i]) ? m->currency[i] : '?';
  code[i] = '\0';
}

static const CofferCurrency *
lookup_currency (const char *code,
                 GError    **error)
{
  const CofferCurrency *currency = coffer_currency_lookup (code);

  if (currency == NULL)
    {
      g_autofree char *described = describe_text (code, -1);

      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY,
                   "Unknown currency “%s”: not an active ISO 4217 code", described);
    }

  return currency;
}

static const CofferCurrency *
currency_of (const CofferMoney *m,
             GError           **error)
{
  char code[4];

  /* coffer_currency_lookup() stops at the first byte that is not a letter, so it
   * never reads past currency[3] even if the array is not NUL-terminated. */
  const CofferCurrency *currency = coffer_currency_lookup (m->currency);

  if (currency == NULL)
    {
      copy_code_for_display (m, code);
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_UNKNOWN_CURRENCY,
                   "Unknown currency “%s” in amount %" G_GINT64_FORMAT,
                   code, m->amount_minor);
    }

  return currency;
}

static const CofferCurrency *
common_currency (const CofferMoney *a,
                 const CofferMoney *b,
                 const char        *verb,
                 GError           **error)
{
  const CofferCurrency *currency_a;
  const CofferCurrency *currency_b;

  if ((currency_a = currency_of (a, error)) == NULL ||
      (currency_b = currency_of (b, error)) == NULL)
    return NULL;

  if (currency_a != currency_b)
    {
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_CURRENCY_MISMATCH,
                   "Cannot %s amounts in different currencies: %" G_GINT64_FORMAT " %s and %"
                   G_GINT64_FORMAT " %s",
                   verb, a->amount_minor, currency_a->code, b->amount_minor, currency_b->code);
      return NULL;
    }

  return currency_a;
}

static void
set_money (CofferMoney          *out,
           gint64                amount_minor,
           const CofferCurrency *currency)
{
  out->amount_minor = amount_minor;
  memcpy (out->currency, currency->code, sizeof out->currency);
}

gboolean
coffer_money_init (CofferMoney *out,
                   gint64       amount_minor,
                   const char  *currency,
                   GError     **error)
{
  const CofferCurrency *found;

  g_return_val_if_fail (out != NULL && currency != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((found = lookup_currency (currency, error)) == NULL)
    return FALSE;

  set_money (out, amount_minor, found);
  return TRUE;
}

static gboolean
add_or_subtract (const CofferMoney *a,
                 const CofferMoney *b,
                 gboolean           subtract,
                 CofferMoney       *out,
                 GError           **error)
{
  const CofferCurrency *currency;
  gboolean overflows;
  gint64 result;

  g_return_val_if_fail (a != NULL && b != NULL && out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((currency = common_currency (a, b, subtract ? "subtract" : "add", error)) == NULL)
    return FALSE;

  if (subtract)
    overflows = __builtin_sub_overflow (a->amount_minor, b->amount_minor, &result);
  else
    overflows = __builtin_add_overflow (a->amount_minor, b->amount_minor, &result);

  if (overflows)
    {
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW,
                   "Amount %" G_GINT64_FORMAT " %s overflows when %" G_GINT64_FORMAT " %s is %s",
                   a->amount_minor, currency->code, b->amount_minor, currency->code,
                   subtract ? "subtracted" : "added");
      return FALSE;
    }

  set_money (out, result, currency);
  return TRUE;
}

gboolean
coffer_money_add (const CofferMoney *a,
                  const CofferMoney *b,
                  CofferMoney       *out,
                  GError           **error)
{
  return add_or_subtract (a, b, FALSE, out, error);
}

gboolean
coffer_money_subtract (const CofferMoney *a,
                       const CofferMoney *b,
                       CofferMoney       *out,
                       GError           **error)
{
  return add_or_subtract (a, b, TRUE, out, error);
}

gboolean
coffer_money_negate (const CofferMoney *a,
                     CofferMoney       *out,
                     GError           **error)
{
  const CofferCurrency *currency;
  gint64 negated;

  g_return_val_if_fail (a != NULL && out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((currency = currency_of (a, error)) == NULL)
    return FALSE;

  if (__builtin_sub_overflow ((gint64) 0, a->amount_minor, &negated))
    {
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW,
                   "Amount %" G_GINT64_FORMAT " %s overflows when negated",
                   a->amount_minor, currency->code);
      return FALSE;
    }

  set_money (out, negated, currency);
  return TRUE;
}

/* Divides @dividend by @divisor (not zero) and rounds the quotient per @rounding.
 * Both fit in 127 bits, so negating them below cannot overflow. */
static Int128
divide_and_round (Int128         dividend,
                  Int128         divisor,
                  CofferRounding rounding)
{
  Int128 quotient, remainder, twice_remainder, away_from_zero;

  if (divisor < 0)
    {
      dividend = -dividend;
      divisor = -divisor;
    }

  /* C truncates toward zero: the remainder has the dividend's sign and the exact
   * result is quotient + remainder / divisor, with |remainder| < divisor. */
  quotient = dividend / divisor;
  remainder = dividend % divisor;
  if (remainder == 0)
    return quotient;

  away_from_zero = quotient + (dividend < 0 ? -1 : 1);
  twice_remainder = 2 * (remainder < 0 ? -remainder : remainder);

  switch (rounding)
    {
    case COFFER_ROUNDING_TOWARD_ZERO:
      return quotient;
    case COFFER_ROUNDING_FLOOR:
      return dividend < 0 ? away_from_zero : quotient;
    case COFFER_ROUNDING_CEILING:
      return dividend > 0 ? away_from_zero : quotient;
    case COFFER_ROUNDING_HALF_UP:
    case COFFER_ROUNDING_HALF_EVEN:
    case COFFER_ROUNDING_HALF_DOWN:
    default:
      if (twice_remainder > divisor)
        return away_from_zero;
      if (twice_remainder < divisor)
        return quotient;
      if (rounding == COFFER_ROUNDING_HALF_UP)
        return away_from_zero;
      if (rounding == COFFER_ROUNDING_HALF_EVEN)
        return (quotient % 2 == 0) ? quotient : away_from_zero;
      return quotient;
    }
}

gboolean
coffer_money_multiply_ratio (const CofferMoney *a,
                             gint64             numerator,
                             gint64             denominator,
                             CofferRounding     rounding,
                             CofferMoney       *out,
                             GError           **error)
{
  const CofferCurrency *currency;
  Int128 result;

  g_return_val_if_fail (a != NULL && out != NULL, FALSE);
  g_return_val_if_fail ((guint) rounding <= COFFER_ROUNDING_TOWARD_ZERO, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((currency = currency_of (a, error)) == NULL)
    return FALSE;

  if (denominator == 0)
    {
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_DIVISION_BY_ZERO,
                   "Amount %" G_GINT64_FORMAT " %s cannot be multiplied by %" G_GINT64_FORMAT
                   "/0: the denominator is zero",
                   a->amount_minor, currency->code, numerator);
      return FALSE;
    }

  result = divide_and_round ((Int128) a->amount_minor * numerator, denominator, rounding);

  if (result < G_MININT64 || result > G_MAXINT64)
    {
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW,
                   "Amount %" G_GINT64_FORMAT " %s overflows when multiplied by %"
                   G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                   a->amount_minor, currency->code, numerator, denominator);
      return FALSE;
    }

  set_money (out, (gint64) result, currency);
  return TRUE;
}

gboolean
coffer_money_compare (const CofferMoney *a,
                      const CofferMoney *b,
                      int               *out_cmp,
                      GError           **error)
{
  g_return_val_if_fail (a != NULL && b != NULL && out_cmp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (common_currency (a, b, "compare", error) == NULL)
    return FALSE;

  *out_cmp = (a->amount_minor > b->amount_minor) - (a->amount_minor < b->amount_minor);
  return TRUE;
}

gboolean
coffer_money_equal (const CofferMoney *a,
                    const CofferMoney *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return a->amount_minor == b->amount_minor &&
         g_ascii_strncasecmp (a->currency, b->currency, sizeof a->currency) == 0;
}

gboolean
coffer_money_is_zero (const CofferMoney *m)
{
  g_return_val_if_fail (m != NULL, FALSE);

  return m->amount_minor == 0;
}

gboolean
coffer_money_is_negative (const CofferMoney *m)
{
  g_return_val_if_fail (m != NULL, FALSE);

  return m->amount_minor < 0;
}

/* Appends the value of @n_digits ASCII digits to *@magnitude; FALSE if that would
 * exceed @limit. */
static gboolean
accumulate_digits (const char *digits,
                   gsize       n_digits,
                   guint64     limit,
                   guint64    *magnitude)
{
  for (gsize i = 0; i < n_digits; i++)
    {
      if (__builtin_mul_overflow (*magnitude, 10, magnitude) ||
          __builtin_add_overflow (*magnitude, (guint64) (digits[i] - '0'), magnitude) ||
          *magnitude > limit)
        return FALSE;
    }

  return TRUE;
}

static gint64
apply_sign (guint64  magnitude,
            gboolean negative)
{
  /* The caller kept magnitude <= 2^63 when negative and < 2^63 otherwise; -2^63 has
   * no positive counterpart, so it is built without negating a gint64. */
  if (!negative)
    return (gint64) magnitude;
  if (magnitude == (guint64) G_MAXINT64 + 1)
    return G_MININT64;
  return -(gint64) magnitude;
}

static const char *const amount_examples[] = { "1234", "1234.5", "1234.56", "1234.567",
                                               "1234.5678" };

/*
 * The syntax is deliberately narrow, because these strings come from forms, config
 * files and APIs where a surprise costs money: an optional sign ("-" or "+"), at least
 * one digit, then optionally "." and one to `exponent` digits. ".5" and "5." are
 * rejected, as are whitespace, grouping separators, exponents and hex. Fewer decimals
 * than the currency has are padded ("12.3" USD is 1230); more are an error, never
 * rounded, even when they are zeros ("12.340" USD). Text in minor units has no "."
 * at all.
 */
static gboolean
parse_amount (const char  *text,
              const char  *currency,
              gboolean     in_minor_units,
              CofferMoney *out,
              GError     **error)
{
  const CofferCurrency *found;
  g_autofree char *described = NULL;
  const char *p, *integer_digits, *fraction_digits = NULL;
  gsize n_integer_digits, n_fraction_digits = 0;
  gboolean negative = FALSE;
  guint64 magnitude = 0, limit;
  guint exponent;

  g_return_val_if_fail (text != NULL && currency != NULL && out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((found = lookup_currency (currency, error)) == NULL)
    return FALSE;

  exponent = in_minor_units ? 0 : found->exponent;
  described = describe_text (text, -1);
  p = text;
  if (*p == '-' || *p == '+')
    negative = (*p++ == '-');

  integer_digits = p;
  while (g_ascii_isdigit (*p))
    p++;
  n_integer_digits = (gsize) (p - integer_digits);

  if (*p == '.' && !in_minor_units)
    {
      fraction_digits = ++p;
      while (g_ascii_isdigit (*p))
        p++;
      n_fraction_digits = (gsize) (p - fraction_digits);
    }

  if (n_integer_digits == 0 || (fraction_digits != NULL && n_fraction_digits == 0) ||
      *p != '\0')
    {
      if (in_minor_units)
        g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT,
                     "“%s” is not a valid amount of %s minor units: expected an integer, "
                     "like “1234”",
                     described, found->code);
      else
        g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT,
                     "“%s” is not a valid amount in %s: expected digits, an optional sign "
                     "and decimal point, like “%s”",
                     described, found->code, amount_examples[found->exponent]);
      return FALSE;
    }

  if (n_fraction_digits > exponent)
    {
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT,
                   "“%s” has %" G_GSIZE_FORMAT " decimal place%s, but %s has %u",
                   described, n_fraction_digits, n_fraction_digits == 1 ? "" : "s",
                   found->code, exponent);
      return FALSE;
    }

  limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  if (!accumulate_digits (integer_digits, n_integer_digits, limit, &magnitude) ||
      !accumulate_digits (fraction_digits, n_fraction_digits, limit, &magnitude) ||
      __builtin_mul_overflow (magnitude, (guint64) power_of_ten (exponent - (guint) n_fraction_digits),
                              &magnitude) ||
      magnitude > limit)
    {
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW,
                   "“%s” is too large an amount in %s: it does not fit in 64 bits of "
                   "minor units",
                   described, found->code);
      return FALSE;
    }

  set_money (out, apply_sign (magnitude, negative), found);
  return TRUE;
}

gboolean
coffer_money_parse (const char  *text,
                    const char  *currency,
                    CofferMoney *out,
                    GError     **error)
{
  return parse_amount (text, currency, FALSE, out, error);
}

gboolean
coffer_money_parse_minor (const char  *text,
                          const char  *currency,
                          CofferMoney *out,
                          GError     **error)
{
  return parse_amount (text, currency, TRUE, out, error);
}

static void
append_grouped (GString *string,
                guint64  value)
{
  char digits[32];
  int n_digits = g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, value);

  for (int i = 0; i < n_digits; i++)
    {
      if (i > 0 && (n_digits - i) % 3 == 0)
        g_string_append_c (string, ',');
      g_string_append_c (string, digits[i]);
    }
}

/**
 * coffer_money_format:
 * @m: an amount
 *
 * Formats @m for people, in the English style that Coffer's documents and apps
 * use: "$1,234.56", "-$5.00", "¥1,235", "KWD 1.234", "CHF 10.00". The currency's
 * symbol comes first when it has one, otherwise its code and a space. An amount whose
 * currency is unknown (a CofferMoney filled in by hand) is shown as "XYZ 1,234",
 * in minor units, rather than guessed at.
 *
 * Returns: (transfer full): the text, never %NULL
 */
char *
coffer_money_format (const CofferMoney *m)
{
  const CofferCurrency *currency;
  GString *string;
  guint64 magnitude, unit;
  guint exponent = 0;
  char code[4];

  g_return_val_if_fail (m != NULL, NULL);

  currency = coffer_currency_lookup (m->currency);
  string = g_string_new (NULL);

  /* Negating in unsigned arithmetic is defined for G_MININT64 too. */
  magnitude = m->amount_minor < 0 ? -(guint64) m->amount_minor : (guint64) m->amount_minor;
  if (m->amount_minor < 0)
    g_string_append_c (string, '-');

  if (currency != NULL && currency->symbol != NULL)
    g_string_append (string, currency->symbol);
  else
    {
      copy_code_for_display (m, code);
      g_string_append_printf (string, "%s ", currency != NULL ? currency->code : code);
    }

  if (currency != NULL)
    exponent = currency->exponent;
  unit = (guint64) power_of_ten (exponent);

  append_grouped (string, magnitude / unit);
  if (exponent > 0)
    g_string_append_printf (string, ".%0*" G_GUINT64_FORMAT, (int) exponent, magnitude % unit);

  return g_string_free (string, FALSE);
}

/**
 * coffer_money_to_string:
 * @m: an amount
 *
 * Returns: (transfer full): the machine form for logs, "1234 USD": minor units and
 *   the code, which round-trips through coffer_money_parse_minor()
 */
char *
coffer_money_to_string (const CofferMoney *m)
{
  const CofferCurrency *currency;
  char code[4];

  g_return_val_if_fail (m != NULL, NULL);

  currency = coffer_currency_lookup (m->currency);
  copy_code_for_display (m, code);
  return g_strdup_printf ("%" G_GINT64_FORMAT " %s", m->amount_minor,
                          currency != NULL ? currency->code : code);
}

typedef enum
{
  RESCALE_EXACT,
  RESCALE_INEXACT,
  RESCALE_OVERFLOW,
} RescaleResult;

/* Converts @amount from @from_exponent decimal places to @to_exponent: exactly, or
 * not at all. */
static RescaleResult
rescale (gint64  amount,
         guint   from_exponent,
         guint   to_exponent,
         gint64 *out_amount)
{
  if (to_exponent >= from_exponent)
    {
      if (__builtin_mul_overflow (amount, power_of_ten (to_exponent - from_exponent),
                                  out_amount))
        return RESCALE_OVERFLOW;
      return RESCALE_EXACT;
    }

  if (amount % power_of_ten (from_exponent - to_exponent) != 0)
    return RESCALE_INEXACT;
  *out_amount = amount / power_of_ten (from_exponent - to_exponent);
  return RESCALE_EXACT;
}

/**
 * coffer_money_format_stripe:
 * @m: an amount
 * @error: return location for a #GError
 *
 * Gives the integer Stripe expects as `amount` for @m. That is amount_minor, except
 * for the currencies whose Stripe exponent differs from ISO's (see coffer-currency.c):
 * 5 ISK is "500" and 12 MGA is "12". Amounts that Stripe cannot express, such as
 * 12.34 MGA, are an error rather than rounded. Stripe's rule that three-decimal
 * charges end in 0 is not checked here: it is a rule of some endpoints, not of the
 * unit.
 *
 * Returns: (transfer full) (nullable): the decimal integer, or %NULL with @error set
 */
char *
coffer_money_format_stripe (const CofferMoney *m,
                            GError           **error)
{
  const CofferCurrency *currency;
  gint64 stripe_amount = 0;

  g_return_val_if_fail (m != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((currency = currency_of (m, error)) == NULL)
    return NULL;

  switch (rescale (m->amount_minor, currency->exponent, currency->stripe_exponent,
                   &stripe_amount))
    {
    case RESCALE_EXACT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, stripe_amount);

    case RESCALE_INEXACT:
      {
        g_autofree char *formatted = coffer_money_format (m);

        g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT,
                     "Amount %" G_GINT64_FORMAT " %s (%s) cannot be sent to Stripe, which "
                     "uses %u decimal places for %s",
                     m->amount_minor, currency->code, formatted, currency->stripe_exponent,
                     currency->code);
        return NULL;
      }

    case RESCALE_OVERFLOW:
    default:
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW,
                   "Amount %" G_GINT64_FORMAT " %s overflows when converted for Stripe, "
                   "which uses %u decimal places for %s",
                   m->amount_minor, currency->code, currency->stripe_exponent, currency->code);
      return NULL;
    }
}

/**
 * coffer_money_from_stripe:
 * @stripe_amount: an `amount` as Stripe sent it
 * @currency: Stripe's `currency`, in any case ("usd")
 * @out: (out caller-allocates): the amount in ISO minor units
 * @error: return location for a #GError
 *
 * The reverse of coffer_money_format_stripe(): Stripe's 500 ISK is 5 ISK. A Stripe
 * amount with a fraction ISO does not have (550 ISK, from before Stripe made ISK
 * whole-króna only) is an error rather than rounded.
 *
 * Returns: %TRUE on success
 */
gboolean
coffer_money_from_stripe (gint64       stripe_amount,
                          const char  *currency,
                          CofferMoney *out,
                          GError     **error)
{
  const CofferCurrency *found;
  gint64 amount_minor = 0;

  g_return_val_if_fail (currency != NULL && out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((found = lookup_currency (currency, error)) == NULL)
    return FALSE;

  switch (rescale (stripe_amount, found->stripe_exponent, found->exponent, &amount_minor))
    {
    case RESCALE_EXACT:
      set_money (out, amount_minor, found);
      return TRUE;

    case RESCALE_INEXACT:
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_INVALID_AMOUNT,
                   "Stripe amount %" G_GINT64_FORMAT " %s is not a whole number of %s minor "
                   "units: Stripe uses %u decimal places for %s, ISO 4217 %u",
                   stripe_amount, found->code, found->code, found->stripe_exponent,
                   found->code, found->exponent);
      return FALSE;

    case RESCALE_OVERFLOW:
    default:
      g_set_error (error, COFFER_MONEY_ERROR, COFFER_MONEY_ERROR_OVERFLOW,
                   "Stripe amount %" G_GINT64_FORMAT " %s overflows when converted to ISO "
                   "4217's %u decimal places",
                   stripe_amount, found->code, found->exponent);
      return FALSE;
    }
}
