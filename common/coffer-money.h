/* coffer-money.h: CofferMoney, an exact amount in a currency's minor unit, and its arithmetic. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define COFFER_MONEY_ERROR (coffer_money_error_quark ())

typedef enum
{
  COFFER_MONEY_ERROR_UNKNOWN_CURRENCY,
  COFFER_MONEY_ERROR_CURRENCY_MISMATCH,
  COFFER_MONEY_ERROR_OVERFLOW,
  COFFER_MONEY_ERROR_INVALID_AMOUNT,
  COFFER_MONEY_ERROR_DIVISION_BY_ZERO,
} CofferMoneyError;

/**
 * CofferRounding:
 * @COFFER_ROUNDING_HALF_UP: to the nearest; halves away from zero (2.5 → 3, -2.5 → -3).
 * @COFFER_ROUNDING_HALF_EVEN: to the nearest; halves to the even neighbour (2.5 → 2,
 *   3.5 → 4), the banker's rounding.
 * @COFFER_ROUNDING_HALF_DOWN: to the nearest; halves toward zero (2.5 → 2, -2.5 → -2).
 * @COFFER_ROUNDING_FLOOR: toward negative infinity (-2.1 → -3).
 * @COFFER_ROUNDING_CEILING: toward positive infinity (2.1 → 3).
 * @COFFER_ROUNDING_TOWARD_ZERO: drop the fraction (2.9 → 2, -2.9 → -2).
 */
typedef enum
{
  COFFER_ROUNDING_HALF_UP,
  COFFER_ROUNDING_HALF_EVEN,
  COFFER_ROUNDING_HALF_DOWN,
  COFFER_ROUNDING_FLOOR,
  COFFER_ROUNDING_CEILING,
  COFFER_ROUNDING_TOWARD_ZERO,
} CofferRounding;

/**
 * CofferMoney:
 * @amount_minor: the amount in the currency's ISO 4217 minor unit (cents for USD,
 *   yen for JPY, fils for KWD).
 * @currency: the ISO 4217 code, upper case and NUL-terminated.
 *
 * A value: copy it by assignment, keep it on the stack. Make one with
 * coffer_money_init() or a parse function so that the currency is known to be
 * valid; the arithmetic, comparison and Stripe functions look it up again anyway and
 * fail with %COFFER_MONEY_ERROR_UNKNOWN_CURRENCY for a code that is not in the table.
 */
typedef struct
{
  gint64 amount_minor;
  char   currency[4];
} CofferMoney;

GQuark   coffer_money_error_quark    (void);

gboolean coffer_money_init           (CofferMoney       *out,
                                      gint64             amount_minor,
                                      const char        *currency,
                                      GError           **error);

gboolean coffer_money_add            (const CofferMoney *a,
                                      const CofferMoney *b,
                                      CofferMoney       *out,
                                      GError           **error);
gboolean coffer_money_subtract       (const CofferMoney *a,
                                      const CofferMoney *b,
                                      CofferMoney       *out,
                                      GError           **error);
gboolean coffer_money_negate         (const CofferMoney *a,
                                      CofferMoney       *out,
                                      GError           **error);
gboolean coffer_money_multiply_ratio (const CofferMoney *a,
                                      gint64             numerator,
                                      gint64             denominator,
                                      CofferRounding     rounding,
                                      CofferMoney       *out,
                                      GError           **error);

gboolean coffer_money_compare        (const CofferMoney *a,
                                      const CofferMoney *b,
                                      int               *out_cmp,
                                      GError           **error);
gboolean coffer_money_equal          (const CofferMoney *a,
                                      const CofferMoney *b);
gboolean coffer_money_is_zero        (const CofferMoney *m);
gboolean coffer_money_is_negative    (const CofferMoney *m);

gboolean coffer_money_parse          (const char        *text,
                                      const char        *currency,
                                      CofferMoney       *out,
                                      GError           **error);
gboolean coffer_money_parse_minor    (const char        *text,
                                      const char        *currency,
                                      CofferMoney       *out,
                                      GError           **error);

char    *coffer_money_format         (const CofferMoney *m);
char    *coffer_money_to_string      (const CofferMoney *m);

char    *coffer_money_format_stripe  (const CofferMoney *m,
                                      GError           **error);
gboolean coffer_money_from_stripe    (gint64             stripe_amount,
                                      const char        *currency,
                                      CofferMoney       *out,
                                      GError           **error);

G_END_DECLS
