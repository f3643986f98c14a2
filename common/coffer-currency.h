/* coffer-currency.h: the table of active ISO 4217 currencies, their minor units and Stripe's. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * CofferCurrency:
 * @code: the ISO 4217 alphabetic code, upper case ("USD").
 * @numeric: the ISO 4217 numeric code (840).
 * @exponent: the ISO 4217 minor unit: how many decimal places an amount has
 *   (JPY 0, USD 2, KWD 3, CLF 4). Coffer stores every amount in this unit.
 * @stripe_exponent: the decimal places Stripe's API uses for `amount` in this
 *   currency. Equal to @exponent except where Stripe deliberately differs
 *   (ISK, MGA); see coffer-currency.c.
 * @name: the ISO 4217 English name ("Yen", "Pound Sterling").
 * @symbol: a display symbol ("$", "€", "CA$"), or %NULL when people are better
 *   served by the code ("CHF 10.00").
 *
 * One row of the currency table. Rows are static: never free or modify them.
 */
typedef struct
{
  const char *code;
  guint16     numeric;
  guint8      exponent;
  guint8      stripe_exponent;
  const char *name;
  const char *symbol;
} CofferCurrency;

const CofferCurrency *coffer_currency_lookup  (const char *code);
const CofferCurrency *coffer_currency_get_all (gsize      *n_currencies);

G_END_DECLS
