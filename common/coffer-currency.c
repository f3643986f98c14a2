/* coffer-currency.c: the table of active ISO 4217 currencies, their minor units and Stripe's. */
#include "coffer-currency.h"

#include <stdlib.h>

/*
 * The source is ISO 4217 List One (SIX, the maintenance agency) as amended up to
 * 2025: every currency and fund that is active and has a minor unit. Codes, numerics
 * and names match Debian's iso-codes package, which predates XCG and ZWG.
 *
 * Deliberately left out:
 *  - Codes whose minor unit ISO gives as "N.A.": the precious metals (XAU, XAG, XPD,
 *    XPT), the bond-market and settlement units (XBA, XBB, XBC, XBD, XDR, XSU, XUA)
 *    and XTS and XXX. They have no minor unit, so no amount in minor units can be
 *    stored for them, and nobody subscribes in them.
 *  - Withdrawn codes, even recent ones: ANG (replaced by XCG on 2025-03-31; XCG reuses
 *    its numeric 532), CUC (2021), HRK (2023, now EUR), SLL (2023, now SLE), ZWL
 *    (replaced by ZWG in 2024). An amount in one of them is an unknown currency.
 *
 * Funds codes that do have a minor unit are kept, because Stripe or an accountant may
 * name them: BOV, CHE, CHW, CLF (4 decimals), COU, MXV, USN, UYI (0) and UYW (4).
 *
 * stripe_exponent is the number of decimal places Stripe's API uses for `amount`,
 * taken from https://docs.stripe.com/currencies. It equals the ISO exponent except:
 *  - ISK: ISO has 0 decimals and card networks accept whole krónur only (since
 *    2023-04-14), but for backwards compatibility Stripe still takes ISK as a
 *    two-decimal currency: 5 ISK is amount 500, and amounts must be multiples of 100.
 *  - UGX: the same as ISK. ISO made UGX zero-decimal, and Stripe lists it among its
 *    zero-decimal currencies, yet its "special cases" section (which wins) says that
 *    for backwards compatibility UGX is sent as a two-decimal value whose decimals
 *    are always 00: 5 UGX is amount 500, and Stripe rejects amounts not divisible by
 *    100 ("Currency UGX has become effectively zero-decimal ..."). Integrations that
 *    took the zero-decimal list at its word charged a hundredth of the price.
 *  - MGA: ISO has 2 decimals (the iraimbilanja is in fact 1/5 ariary), but MGA is on
 *    Stripe's zero-decimal list: 5 MGA is amount 5.
 * The other currencies on Stripe's zero-decimal list (BIF CLP DJF GNF JPY KMF KRW PYG
 * RWF VND VUV XAF XOF XPF) are zero-decimal in ISO too, and its three-decimal
 * currencies (BHD JOD KWD OMR TND) are three-decimal in ISO, so they need no
 * conversion. Special cases that are not an exponent difference, and so are not
 * modelled here:
 *  - BHD JOD KWD OMR TND: Stripe wants the last digit of a charge amount to be 0
 *    (5.124 KWD must be sent as 5120 or 5130).
 *  - HUF and TWD: two-decimal for charges, but payouts must be whole units (amounts
 *    divisible by 100).
 * Currencies Stripe does not support at all (IQD, LYD, CLF, ...) keep their ISO
 * exponent; whether Stripe accepts a currency is not this table's business.
 *
 * Symbols are CLDR's English ("en") symbols where those differ from the code and are
 * not bare letters; every other currency is shown by its code ("CHF 10.00"), which
 * is never ambiguous. "$" and "¥" mean USD and JPY only: CA$, A$, CN¥ and so on keep
 * the others apart.
 *
 * The table is sorted by code: coffer_currency_lookup() relies on it.
 */
static const CofferCurrency currencies[] = {
  { "AED", 784, 2, 2, "UAE Dirham",                                NULL },
  { "AFN", 971, 2, 2, "Afghani",                                   NULL },
  { "ALL",   8, 2, 2, "Lek",                                       NULL },
  { "AMD",  51, 2, 2, "Armenian Dram",                             NULL },
  { "AOA", 973, 2, 2, "Kwanza",                                    NULL },
  { "ARS",  32, 2, 2, "Argentine Peso",                            NULL },
  { "AUD",  36, 2, 2, "Australian Dollar",                         "A$" },
  { "AWG", 533, 2, 2, "Aruban Florin",                             NULL },
  { "AZN", 944, 2, 2, "Azerbaijan Manat",                          NULL },
  { "BAM", 977, 2, 2, "Convertible Mark",                          NULL },
  { "BBD",  52, 2, 2, "Barbados Dollar",                           NULL },
  { "BDT",  50, 2, 2, "Taka",                                      NULL },
  { "BGN", 975, 2, 2, "Bulgarian Lev",                             NULL },
  { "BHD",  48, 3, 3, "Bahraini Dinar",                            NULL },
  { "BIF", 108, 0, 0, "Burundi Franc",                             NULL },
  { "BMD",  60, 2, 2, "Bermudian Dollar",                          NULL },
  { "BND",  96, 2, 2, "Brunei Dollar",                             NULL },
  { "BOB",  68, 2, 2, "Boliviano",                                 NULL },
  { "BOV", 984, 2, 2, "Mvdol",                                     NULL },
  { "BRL", 986, 2, 2, "Brazilian Real",                            "R$" },
  { "BSD",  44, 2, 2, "Bahamian Dollar",                           NULL },
  { "BTN",  64, 2, 2, "Ngultrum",                                  NULL },
  { "BWP",  72, 2, 2, "Pula",                                      NULL },
  { "BYN", 933, 2, 2, "Belarusian Ruble",                          NULL },
  { "BZD",  84, 2, 2, "Belize Dollar",                             NULL },
  { "CAD", 124, 2, 2, "Canadian Dollar",                           "CA$" },
  { "CDF", 976, 2, 2, "Congolese Franc",                           NULL },
  { "CHE", 947, 2, 2, "WIR Euro",                                  NULL },
  { "CHF", 756, 2, 2, "Swiss Franc",                               NULL },
  { "CHW", 948, 2, 2, "WIR Franc",                                 NULL },
  { "CLF", 990, 4, 4, "Unidad de Fomento",                         NULL },
  { "CLP", 152, 0, 0, "Chilean Peso",                              NULL },
  { "CNY", 156, 2, 2, "Yuan Renminbi",                             "CN¥" },
  { "COP", 170, 2, 2, "Colombian Peso",                            NULL },
  { "COU", 970, 2, 2, "Unidad de Valor Real",                      NULL },
  { "CRC", 188, 2, 2, "Costa Rican Colon",                         NULL },
  { "CUP", 192, 2, 2, "Cuban Peso",                                NULL },
  { "CVE", 132, 2, 2, "Cabo Verde Escudo",                         NULL },
  { "CZK", 203, 2, 2, "Czech Koruna",                              NULL },
  { "DJF", 262, 0, 0, "Djibouti Franc",                            NULL },
  { "DKK", 208, 2, 2, "Danish Krone",                              NULL },
  { "DOP", 214, 2, 2, "Dominican Peso",                            NULL },
  { "DZD",  12, 2, 2, "Algerian Dinar",                            NULL },
  { "EGP", 818, 2, 2, "Egyptian Pound",                            NULL },
  { "ERN", 232, 2, 2, "Nakfa",                                     NULL },
  { "ETB", 230, 2, 2, "Ethiopian Birr",                            NULL },
  { "EUR", 978, 2, 2, "Euro",                                      "€" },
  { "FJD", 242, 2, 2, "Fiji Dollar",                               NULL },
  { "FKP", 238, 2, 2, "Falkland Islands Pound",                    NULL },
  { "GBP", 826, 2, 2, "Pound Sterling",                            "£" },
  { "GEL", 981, 2, 2, "Lari",                                      NULL },
  { "GHS", 936, 2, 2, "Ghana Cedi",                                NULL },
  { "GIP", 292, 2, 2, "Gibraltar Pound",                           NULL },
  { "GMD", 270, 2, 2, "Dalasi",                                    NULL },
  { "GNF", 324, 0, 0, "Guinean Franc",                             NULL },
  { "GTQ", 320, 2, 2, "Quetzal",                                   NULL },
  { "GYD", 328, 2, 2, "Guyana Dollar",                             NULL },
  { "HKD", 344, 2, 2, "Hong Kong Dollar",                          "HK$" },
  { "HNL", 340, 2, 2, "Lempira",                                   NULL },
  { "HTG", 332, 2, 2, "Gourde",                                    NULL },
  { "HUF", 348, 2, 2, "Forint",                                    NULL },
  { "IDR", 360, 2, 2, "Rupiah",                                    NULL },
  { "ILS", 376, 2, 2, "New Israeli Sheqel",                        "₪" },
  { "INR", 356, 2, 2, "Indian Rupee",                              "₹" },
  { "IQD", 368, 3, 3, "Iraqi Dinar",                               NULL },
  { "IRR", 364, 2, 2, "Iranian Rial",                              NULL },
  { "ISK", 352, 0, 2, "Iceland Krona",                             NULL },
  { "JMD", 388, 2, 2, "Jamaican Dollar",                           NULL },
  { "JOD", 400, 3, 3, "Jordanian Dinar",                           NULL },
  { "JPY", 392, 0, 0, "Yen",                                       "¥" },
  { "KES", 404, 2, 2, "Kenyan Shilling",                           NULL },
  { "KGS", 417, 2, 2, "Som",                                       NULL },
  { "KHR", 116, 2, 2, "Riel",                                      NULL },
  { "KMF", 174, 0, 0, "Comorian Franc",                            NULL },
  { "KPW", 408, 2, 2, "North Korean Won",                          NULL },
  { "KRW", 410, 0, 0, "Won",                                       "₩" },
  { "KWD", 414, 3, 3, "Kuwaiti Dinar",                             NULL },
  { "KYD", 136, 2, 2, "Cayman Islands Dollar",                     NULL },
  { "KZT", 398, 2, 2, "Tenge",                                     NULL },
  { "LAK", 418, 2, 2, "Lao Kip",                                   NULL },
  { "LBP", 422, 2, 2, "Lebanese Pound",                            NULL },
  { "LKR", 144, 2, 2, "Sri Lanka Rupee",                           NULL },
  { "LRD", 430, 2, 2, "Liberian Dollar",                           NULL },
  { "LSL", 426, 2, 2, "Loti",                                      NULL },
  { "LYD", 434, 3, 3, "Libyan Dinar",                              NULL },
  { "MAD", 504, 2, 2, "Moroccan Dirham",                           NULL },
  { "MDL", 498, 2, 2, "Moldovan Leu",                              NULL },
  { "MGA", 969, 2, 0, "Malagasy Ariary",                           NULL },
  { "MKD", 807, 2, 2, "Denar",                                     NULL },
  { "MMK", 104, 2, 2, "Kyat",                                      NULL },
  { "MNT", 496, 2, 2, "Tugrik",                                    NULL },
  { "MOP", 446, 2, 2, "Pataca",                                    NULL },
  { "MRU", 929, 2, 2, "Ouguiya",                                   NULL },
  { "MUR", 480, 2, 2, "Mauritius Rupee",                           NULL },
  { "MVR", 462, 2, 2, "Rufiyaa",                                   NULL },
  { "MWK", 454, 2, 2, "Malawi Kwacha",                             NULL },
  { "MXN", 484, 2, 2, "Mexican Peso",                              "MX$" },
  { "MXV", 979, 2, 2, "Mexican Unidad de Inversion (UDI)",         NULL },
  { "MYR", 458, 2, 2, "Malaysian Ringgit",                         NULL },
  { "MZN", 943, 2, 2, "Mozambique Metical",                        NULL },
  { "NAD", 516, 2, 2, "Namibia Dollar",                            NULL },
  { "NGN", 566, 2, 2, "Naira",                                     NULL },
  { "NIO", 558, 2, 2, "Cordoba Oro",                               NULL },
  { "NOK", 578, 2, 2, "Norwegian Krone",                           NULL },
  { "NPR", 524, 2, 2, "Nepalese Rupee",                            NULL },
  { "NZD", 554, 2, 2, "New Zealand Dollar",                        "NZ$" },
  { "OMR", 512, 3, 3, "Rial Omani",                                NULL },
  { "PAB", 590, 2, 2, "Balboa",                                    NULL },
  { "PEN", 604, 2, 2, "Sol",                                       NULL },
  { "PGK", 598, 2, 2, "Kina",                                      NULL },
  { "PHP", 608, 2, 2, "Philippine Peso",                           "₱" },
  { "PKR", 586, 2, 2, "Pakistan Rupee",                            NULL },
  { "PLN", 985, 2, 2, "Zloty",                                     NULL },
  { "PYG", 600, 0, 0, "Guarani",                                   NULL },
  { "QAR", 634, 2, 2, "Qatari Rial",                               NULL },
  { "RON", 946, 2, 2, "Romanian Leu",                              NULL },
  { "RSD", 941, 2, 2, "Serbian Dinar",                             NULL },
  { "RUB", 643, 2, 2, "Russian Ruble",                             NULL },
  { "RWF", 646, 0, 0, "Rwanda Franc",                              NULL },
  { "SAR", 682, 2, 2, "Saudi Riyal",                               NULL },
  { "SBD",  90, 2, 2, "Solomon Islands Dollar",                    NULL },
  { "SCR", 690, 2, 2, "Seychelles Rupee",                          NULL },
  { "SDG", 938, 2, 2, "Sudanese Pound",                            NULL },
  { "SEK", 752, 2, 2, "Swedish Krona",                             NULL },
  { "SGD", 702, 2, 2, "Singapore Dollar",                          NULL },
  { "SHP", 654, 2, 2, "Saint Helena Pound",                        NULL },
  { "SLE", 925, 2, 2, "Leone",                                     NULL },
  { "SOS", 706, 2, 2, "Somali Shilling",                           NULL },
  { "SRD", 968, 2, 2, "Surinam Dollar",                            NULL },
  { "SSP", 728, 2, 2, "South Sudanese Pound",                      NULL },
  { "STN", 930, 2, 2, "Dobra",                                     NULL },
  { "SVC", 222, 2, 2, "El Salvador Colon",                         NULL },
  { "SYP", 760, 2, 2, "Syrian Pound",                              NULL },
  { "SZL", 748, 2, 2, "Lilangeni",                                 NULL },
  { "THB", 764, 2, 2, "Baht",                                      NULL },
  { "TJS", 972, 2, 2, "Somoni",                                    NULL },
  { "TMT", 934, 2, 2, "Turkmenistan New Manat",                    NULL },
  { "TND", 788, 3, 3, "Tunisian Dinar",                            NULL },
  { "TOP", 776, 2, 2, "Pa’anga",                                   NULL },
  { "TRY", 949, 2, 2, "Turkish Lira",                              NULL },
  { "TTD", 780, 2, 2, "Trinidad and Tobago Dollar",                NULL },
  { "TWD", 901, 2, 2, "New Taiwan Dollar",                         "NT$" },
  { "TZS", 834, 2, 2, "Tanzanian Shilling",                        NULL },
  { "UAH", 980, 2, 2, "Hryvnia",                                   NULL },
  { "UGX", 800, 0, 2, "Uganda Shilling",                           NULL },
  { "USD", 840, 2, 2, "US Dollar",                                 "$" },
  { "USN", 997, 2, 2, "US Dollar (Next day)",                      NULL },
  { "UYI", 940, 0, 0, "Uruguay Peso en Unidades Indexadas (UI)",   NULL },
  { "UYU", 858, 2, 2, "Peso Uruguayo",                             NULL },
  { "UYW", 927, 4, 4, "Unidad Previsional",                        NULL },
  { "UZS", 860, 2, 2, "Uzbekistan Sum",                            NULL },
  { "VED", 926, 2, 2, "Bolívar Soberano",                          NULL },
  { "VES", 928, 2, 2, "Bolívar Soberano",                          NULL },
  { "VND", 704, 0, 0, "Dong",                                      "₫" },
  { "VUV", 548, 0, 0, "Vatu",                                      NULL },
  { "WST", 882, 2, 2, "Tala",                                      NULL },
  { "XAF", 950, 0, 0, "CFA Franc BEAC",                            NULL },
  { "XCD", 951, 2, 2, "East Caribbean Dollar",                     "EC$" },
  { "XCG", 532, 2, 2, "Caribbean Guilder",                         NULL },
  { "XOF", 952, 0, 0, "CFA Franc BCEAO",                           NULL },
  { "XPF", 953, 0, 0, "CFP Franc",                                 NULL },
  { "YER", 886, 2, 2, "Yemeni Rial",                               NULL },
  { "ZAR", 710, 2, 2, "Rand",                                      NULL },
  { "ZMW", 967, 2, 2, "Zambian Kwacha",                            NULL },
  { "ZWG", 924, 2, 2, "Zimbabwe Gold",                             NULL },
};

static int
compare_code (const void *key,
              const void *element)
{
  const CofferCurrency *currency = element;

  return g_ascii_strcasecmp (key, currency->code);
}

/**
 * coffer_currency_lookup:
 * @code: an ISO 4217 alphabetic code, in any case ("USD", "usd")
 *
 * Returns: (transfer none) (nullable): the currency, or %NULL if @code is not an
 *   active ISO 4217 currency with a minor unit.
 */
const CofferCurrency *
coffer_currency_lookup (const char *code)
{
  g_return_val_if_fail (code != NULL, NULL);

  /* Only exactly three ASCII letters can match; checking first keeps "USD " and
   * "US" from reaching the comparison at all. */
  for (gsize i = 0; i < 3; i++)
    {
      if (!g_ascii_isalpha (code[i]))
        return NULL;
    }
  if (code[3] != '\0')
    return NULL;

  return bsearch (code, currencies, G_N_ELEMENTS (currencies), sizeof currencies[0],
                  compare_code);
}

/**
 * coffer_currency_get_all:
 * @n_currencies: (out) (optional): where to store the number of currencies
 *
 * Returns: (transfer none) (array length=n_currencies): every currency, sorted by code.
 */
const CofferCurrency *
coffer_currency_get_all (gsize *n_currencies)
{
  if (n_currencies != NULL)
    *n_currencies = G_N_ELEMENTS (currencies);

  return currencies;
}
