-- Baseline: conventions every later migration relies on.
--
-- Times are timestamptz in UTC; money is bigint minor units beside a
-- three-letter currency code (see common/coffer-money.h). Mirror rows keep
-- Stripe's ids as keys. schema_migrations itself is created by the migrator.

-- A trigger function that keeps an updated_at column current.
CREATE FUNCTION coffer_touch_updated_at () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now ();
  RETURN NEW;
END;
$$;

-- ISO 4217 alphabetic codes as Coffer stores them: three upper-case letters.
CREATE DOMAIN currency_code AS char(3)
  CHECK (VALUE ~ '^[A-Z]{3}$');

-- Amounts in a currency's minor unit.
CREATE DOMAIN money_minor AS bigint;
