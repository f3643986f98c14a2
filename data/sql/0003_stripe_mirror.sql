-- The mirror: Coffer's own copy of the Stripe objects it bills with
-- (DESIGN.md, "Apply"; how events are applied: docs/events.md).
--
-- Keys are Stripe's ids, compared byte-wise (COLLATE "C"). There are no
-- foreign keys between mirror tables: events arrive late, twice and out of
-- order, so an invoice may be stored before its customer.
--
-- Every table with a state of its own remembers which event carried the state
-- it holds, as the ordering key events are compared by:
--   stripe_state_at     the event's `created` (Stripe's clock, seconds)
--   stripe_state_rank   how far along its lifecycle the object is; breaks
--                       ties between events of the same second
--   stripe_state_event  the event's id; breaks any tie left, so the order is
--                       total and every delivery order ends in the same row
-- An event is applied to a row only when its key is greater than the row's.
-- stripe_api_version is the version the state was rendered in; updated_at is
-- when Coffer wrote the row (processing time, the only column that differs
-- between two mirrors built from the same events).
--
-- Rows are updated again and again; tables that take most updates leave room
-- on each page (fillfactor) so that an update stays on its page and touches
-- no index (a HOT update).

-- Statuses Coffer validates before writing (an unknown one parks the event)
-- are enum types: unlike a CHECK, an enum costs nothing per statement.
-- Descriptive fields whose values Stripe may extend (collection method, price
-- type, interval…) are kept as text, as Stripe sends them.
CREATE TYPE stripe_subscription_status AS ENUM ('incomplete', 'incomplete_expired', 'trialing',
                                                'active', 'past_due', 'canceled', 'unpaid',
                                                'paused');
CREATE TYPE stripe_invoice_status AS ENUM ('draft', 'open', 'paid', 'uncollectible', 'void');
CREATE TYPE stripe_charge_status AS ENUM ('pending', 'succeeded', 'failed');
CREATE TYPE stripe_invoice_payment_status AS ENUM ('open', 'paid', 'canceled');
CREATE TYPE stripe_checkout_mode AS ENUM ('payment', 'setup', 'subscription');
CREATE TYPE stripe_checkout_status AS ENUM ('open', 'complete', 'expired');

-- Customers; a deleted customer is kept, since later events still name it.
CREATE TABLE customers (
  id                         text COLLATE "C" PRIMARY KEY,   -- cus_…
  email                      text,
  name                       text,
  phone                      text,
  description                text,
  preferred_locale           text,                           -- first of preferred_locales
  address_country            text,
  currency                   currency_code,                  -- NULL until first billed
  balance                    money_minor NOT NULL DEFAULT 0, -- in currency; negative is credit
  delinquent                 boolean NOT NULL DEFAULT false,
  invoice_prefix             text,
  default_payment_method_id  text COLLATE "C",               -- from invoice_settings
  metadata                   jsonb NOT NULL DEFAULT '{}',
  stripe_created_at          timestamptz NOT NULL,
  is_deleted                 boolean NOT NULL DEFAULT false,
  deleted_at                 timestamptz,
  stripe_state_at            timestamptz NOT NULL,
  stripe_state_rank          integer NOT NULL,
  stripe_state_event         text COLLATE "C" NOT NULL,
  stripe_api_version         text NOT NULL,
  updated_at                 timestamptz NOT NULL DEFAULT now (),
  CHECK (is_deleted = (deleted_at IS NOT NULL)),
  CHECK (balance = 0 OR currency IS NOT NULL)
) WITH (fillfactor = 80);

CREATE INDEX customers_email ON customers (lower (email));

-- Products, known by id from the prices that name them; name and the rest
-- come with product.* events (NULL until one is applied).
CREATE TABLE products (
  id                  text COLLATE "C" PRIMARY KEY,          -- prod_…
  name                text,
  description         text,
  active              boolean,
  is_deleted          boolean NOT NULL DEFAULT false,
  deleted_at          timestamptz,
  stripe_created_at   timestamptz,
  stripe_state_at     timestamptz,
  stripe_state_rank   integer,
  stripe_state_event  text COLLATE "C",
  stripe_api_version  text,
  updated_at          timestamptz NOT NULL DEFAULT now ()
);

-- Prices. Stripe never changes a price's product, currency, amount, scheme or
-- interval: those columns are filled from the first full price object seen
-- (embedded in a subscription item, or in an invoice line before basil, or a
-- price.* event) and never written again, so the many events that embed a
-- price never lock its row. A price named by id only (an invoice line from
-- basil on) has just its product until then. What can change (active,
-- lookup_key, nickname, tax_behavior) comes with price.* events, under the
-- ordering key (NULL until one is applied).
CREATE TABLE prices (
  id                        text COLLATE "C" PRIMARY KEY,    -- price_…
  product_id                text COLLATE "C",
  currency                  currency_code,
  unit_amount               money_minor,                     -- NULL for tiered or custom amounts
  billing_scheme            text,                            -- per_unit, tiered
  type                      text,                            -- one_time, recurring
  recurring_interval        text,                            -- day, week, month, year
  recurring_interval_count  integer,
  recurring_usage_type      text,                            -- licensed, metered
  stripe_created_at         timestamptz,                     -- NULL: known by id only
  active                    boolean,
  lookup_key                text,
  nickname                  text,
  tax_behavior              text,
  is_deleted                boolean NOT NULL DEFAULT false,
  deleted_at                timestamptz,
  stripe_state_at           timestamptz,
  stripe_state_rank         integer,
  stripe_state_event        text COLLATE "C",
  stripe_api_version        text,
  updated_at                timestamptz NOT NULL DEFAULT now (),
  CHECK (unit_amount IS NULL OR currency IS NOT NULL)
);

CREATE INDEX prices_product ON prices (product_id);

CREATE TABLE subscriptions (
  id                         text COLLATE "C" PRIMARY KEY,   -- sub_…
  customer_id                text COLLATE "C" NOT NULL,
  status                     stripe_subscription_status NOT NULL,
  currency                   currency_code NOT NULL,
  collection_method          text,                           -- charge_automatically, send_invoice
  days_until_due             integer,
  -- Before basil the period is the subscription's; from basil on each item
  -- has its own, and this is the period of the item that renews first.
  current_period_start       timestamptz,
  current_period_end         timestamptz,
  billing_cycle_anchor       timestamptz,
  start_date                 timestamptz,
  trial_start                timestamptz,
  trial_end                  timestamptz,
  trial_missing_payment_method text,                         -- trial_settings.end_behavior
  cancel_at_period_end       boolean NOT NULL DEFAULT false,
  cancel_at                  timestamptz,
  canceled_at                timestamptz,
  ended_at                   timestamptz,
  cancellation_reason        text,
  pause_collection_behavior  text,
  pause_collection_resumes_at timestamptz,
  default_payment_method_id  text COLLATE "C",
  latest_invoice_id          text COLLATE "C",
  metadata                   jsonb NOT NULL DEFAULT '{}',
  items_complete             boolean NOT NULL,               -- the state listed every item
  stripe_created_at          timestamptz NOT NULL,
  stripe_state_at            timestamptz NOT NULL,
  stripe_state_rank          integer NOT NULL,
  stripe_state_event         text COLLATE "C" NOT NULL,
  stripe_api_version         text NOT NULL,
  updated_at                 timestamptz NOT NULL DEFAULT now ()
) WITH (fillfactor = 80);

CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

-- Items are part of their subscription's state: the items the subscription's
-- state lists are written with its key, so an item is in the subscription's
-- current state exactly when it carries the subscription's stripe_state_event
-- (view current_subscription_items). An item no longer listed is kept, with
-- the last state that listed it.
CREATE TABLE subscription_items (
  id                    text COLLATE "C" PRIMARY KEY,        -- si_…
  subscription_id       text COLLATE "C" NOT NULL,
  price_id              text COLLATE "C",
  product_id            text COLLATE "C",
  quantity              bigint,                               -- NULL for metered prices
  current_period_start  timestamptz,
  current_period_end    timestamptz,
  metadata              jsonb NOT NULL DEFAULT '{}',
  stripe_created_at     timestamptz,
  stripe_state_at       timestamptz NOT NULL,
  stripe_state_rank     integer NOT NULL,
  stripe_state_event    text COLLATE "C" NOT NULL,
  stripe_api_version    text NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now ()
) WITH (fillfactor = 80);

CREATE INDEX subscription_items_subscription ON subscription_items (subscription_id);

CREATE TABLE invoices (
  id                        text COLLATE "C" PRIMARY KEY,    -- in_…
  customer_id               text COLLATE "C" NOT NULL,
  subscription_id           text COLLATE "C",
  status                    stripe_invoice_status NOT NULL,
  number                    text,
  currency                  currency_code NOT NULL,
  amount_due                money_minor NOT NULL,
  amount_paid               money_minor NOT NULL,
  amount_remaining          money_minor NOT NULL,
  subtotal                  money_minor NOT NULL,
  total                     money_minor NOT NULL,
  billing_reason            text,
  collection_method         text,
  attempt_count             integer NOT NULL DEFAULT 0,
  attempted                 boolean NOT NULL DEFAULT false,
  next_payment_attempt      timestamptz,
  due_date                  timestamptz,
  period_start              timestamptz,
  period_end                timestamptz,
  finalized_at              timestamptz,
  paid_at                   timestamptz,
  voided_at                 timestamptz,
  marked_uncollectible_at   timestamptz,
  hosted_invoice_url        text,
  -- Before basil an invoice named its payment; from basil on the link is an
  -- invoice_payment (table invoice_payments).
  charge_id                 text COLLATE "C",
  payment_intent_id         text COLLATE "C",
  lines_complete            boolean NOT NULL,                -- the state listed every line
  stripe_created_at         timestamptz NOT NULL,
  stripe_state_at           timestamptz NOT NULL,
  stripe_state_rank         integer NOT NULL,
  stripe_state_event        text COLLATE "C" NOT NULL,
  stripe_api_version        text NOT NULL,
  updated_at                timestamptz NOT NULL DEFAULT now ()
) WITH (fillfactor = 80);

CREATE INDEX invoices_customer ON invoices (customer_id);
CREATE INDEX invoices_subscription ON invoices (subscription_id);

-- Lines are part of their invoice's state, like items of a subscription
-- (view current_invoice_lines).
CREATE TABLE invoice_lines (
  invoice_id            text COLLATE "C" NOT NULL,
  id                    text COLLATE "C" NOT NULL,            -- il_…
  amount                money_minor NOT NULL,
  currency              currency_code NOT NULL,
  description           text,
  quantity              bigint,
  period_start          timestamptz,
  period_end            timestamptz,
  price_id              text COLLATE "C",
  product_id            text COLLATE "C",
  subscription_id       text COLLATE "C",
  subscription_item_id  text COLLATE "C",
  invoice_item_id       text COLLATE "C",
  is_proration          boolean NOT NULL DEFAULT false,
  stripe_state_at       timestamptz NOT NULL,
  stripe_state_rank     integer NOT NULL,
  stripe_state_event    text COLLATE "C" NOT NULL,
  stripe_api_version    text NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now (),
  PRIMARY KEY (invoice_id, id)
);

-- The preview Stripe sends a few days before a subscription renews
-- (invoice.upcoming): it has no id, so it is kept per subscription.
CREATE TABLE upcoming_invoices (
  subscription_id       text COLLATE "C" PRIMARY KEY,
  customer_id           text COLLATE "C" NOT NULL,
  currency              currency_code NOT NULL,
  amount_due            money_minor NOT NULL,
  subtotal              money_minor NOT NULL,
  total                 money_minor NOT NULL,
  renews_at             timestamptz NOT NULL,                 -- the preview's `created`
  next_payment_attempt  timestamptz,
  stripe_state_at       timestamptz NOT NULL,
  stripe_state_rank     integer NOT NULL,
  stripe_state_event    text COLLATE "C" NOT NULL,
  stripe_api_version    text NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now ()
);

-- Payment methods: brand, last four digits and expiry only, never card data.
CREATE TABLE payment_methods (
  id                 text COLLATE "C" PRIMARY KEY,           -- pm_…
  customer_id        text COLLATE "C",                       -- NULL once detached
  type               text NOT NULL,
  card_brand         text,
  card_last4         text CHECK (card_last4 ~ '^[0-9]{4}$'),
  card_exp_month     integer CHECK (card_exp_month BETWEEN 1 AND 12),
  card_exp_year      integer,
  detached_at        timestamptz,
  stripe_created_at  timestamptz NOT NULL,
  stripe_state_at    timestamptz NOT NULL,
  stripe_state_rank  integer NOT NULL,
  stripe_state_event text COLLATE "C" NOT NULL,
  stripe_api_version text NOT NULL,
  updated_at         timestamptz NOT NULL DEFAULT now ()
) WITH (fillfactor = 80);

CREATE INDEX payment_methods_customer ON payment_methods (customer_id);

-- One row per attempt to take money: a Stripe charge. The same attempt seen
-- through several events (charge.failed, invoice.payment_failed, …) is one
-- row, because the key is the charge id. Before basil a charge names its
-- invoice; from basil on, invoice_payments links it through its payment
-- intent (see the view invoice_payment_attempts).
CREATE TABLE payment_attempts (
  charge_id              text COLLATE "C" PRIMARY KEY,       -- ch_… / py_…
  payment_intent_id      text COLLATE "C",
  invoice_id             text COLLATE "C",
  customer_id            text COLLATE "C",
  payment_method_id      text COLLATE "C",
  status                 stripe_charge_status NOT NULL,
  currency               currency_code NOT NULL,
  amount                 money_minor NOT NULL,
  amount_captured        money_minor NOT NULL DEFAULT 0,
  amount_refunded        money_minor NOT NULL DEFAULT 0,
  is_refunded            boolean NOT NULL DEFAULT false,
  failure_code           text,                               -- e.g. card_declined
  failure_message        text,
  decline_code           text,                               -- e.g. insufficient_funds
  network_decline_code   text,
  outcome_type           text,                               -- authorized, issuer_declined, …
  card_brand             text,
  card_last4             text CHECK (card_last4 ~ '^[0-9]{4}$'),
  attempted_at           timestamptz NOT NULL,               -- the charge's `created`
  stripe_state_at        timestamptz NOT NULL,
  stripe_state_rank      integer NOT NULL,
  stripe_state_event     text COLLATE "C" NOT NULL,
  stripe_api_version     text NOT NULL,
  updated_at             timestamptz NOT NULL DEFAULT now ()
) WITH (fillfactor = 80);

CREATE INDEX payment_attempts_invoice ON payment_attempts (invoice_id, attempted_at);
CREATE INDEX payment_attempts_payment_intent ON payment_attempts (payment_intent_id);
CREATE INDEX payment_attempts_customer ON payment_attempts (customer_id, attempted_at);

-- Refunds, when a charge carries its refund list (older API versions, or an
-- expanded list).
CREATE TABLE refunds (
  id                  text COLLATE "C" PRIMARY KEY,          -- re_…
  charge_id           text COLLATE "C",
  payment_intent_id   text COLLATE "C",
  status              text,
  reason              text,
  currency            currency_code NOT NULL,
  amount              money_minor NOT NULL,
  stripe_created_at   timestamptz NOT NULL,
  stripe_state_at     timestamptz NOT NULL,
  stripe_state_rank   integer NOT NULL,
  stripe_state_event  text COLLATE "C" NOT NULL,
  stripe_api_version  text NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now ()
);

CREATE INDEX refunds_charge ON refunds (charge_id);

-- From basil on, the link between an invoice and the payment that paid it.
CREATE TABLE invoice_payments (
  id                  text COLLATE "C" PRIMARY KEY,          -- inpay_…
  invoice_id          text COLLATE "C" NOT NULL,
  payment_intent_id   text COLLATE "C",
  charge_id           text COLLATE "C",
  status              stripe_invoice_payment_status NOT NULL,
  is_default          boolean NOT NULL DEFAULT false,
  currency            currency_code NOT NULL,
  amount_requested    money_minor NOT NULL,
  amount_paid         money_minor,
  paid_at             timestamptz,
  canceled_at         timestamptz,
  stripe_created_at   timestamptz NOT NULL,
  stripe_state_at     timestamptz NOT NULL,
  stripe_state_rank   integer NOT NULL,
  stripe_state_event  text COLLATE "C" NOT NULL,
  stripe_api_version  text NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now ()
) WITH (fillfactor = 80);

CREATE INDEX invoice_payments_invoice ON invoice_payments (invoice_id);
CREATE INDEX invoice_payments_payment_intent ON invoice_payments (payment_intent_id);
CREATE INDEX invoice_payments_charge ON invoice_payments (charge_id);

-- Completed Checkout sessions: which sign-up (client_reference_id) became
-- which customer and subscription.
CREATE TABLE checkout_sessions (
  id                   text COLLATE "C" PRIMARY KEY,         -- cs_…
  customer_id          text COLLATE "C",
  subscription_id      text COLLATE "C",
  invoice_id           text COLLATE "C",
  payment_intent_id    text COLLATE "C",
  setup_intent_id      text COLLATE "C",
  client_reference_id  text,
  mode                 stripe_checkout_mode NOT NULL,
  status               stripe_checkout_status,
  payment_status       text,                                 -- paid, unpaid, no_payment_required
  currency             currency_code,
  amount_total         money_minor,
  stripe_created_at    timestamptz NOT NULL,
  stripe_state_at      timestamptz NOT NULL,
  stripe_state_rank    integer NOT NULL,
  stripe_state_event   text COLLATE "C" NOT NULL,
  stripe_api_version   text NOT NULL,
  updated_at           timestamptz NOT NULL DEFAULT now (),
  CHECK (amount_total IS NULL OR currency IS NOT NULL)
);

CREATE INDEX checkout_sessions_customer ON checkout_sessions (customer_id);

-- Setup intents that saved a payment method for later (e.g. a new card).
CREATE TABLE setup_intents (
  id                  text COLLATE "C" PRIMARY KEY,          -- seti_…
  customer_id         text COLLATE "C",
  payment_method_id   text COLLATE "C",
  status              text NOT NULL,
  usage               text,
  stripe_created_at   timestamptz NOT NULL,
  stripe_state_at     timestamptz NOT NULL,
  stripe_state_rank   integer NOT NULL,
  stripe_state_event  text COLLATE "C" NOT NULL,
  stripe_api_version  text NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now ()
);

CREATE INDEX setup_intents_customer ON setup_intents (customer_id);

-- The items of each subscription's current state. A list with more pages
-- than the event carried is not the whole list: then every item is kept.
CREATE VIEW current_subscription_items AS
  SELECT i.*
  FROM subscription_items i
  JOIN subscriptions s ON s.id = i.subscription_id
  WHERE i.stripe_state_event = s.stripe_state_event OR NOT s.items_complete;

CREATE VIEW current_invoice_lines AS
  SELECT l.*
  FROM invoice_lines l
  JOIN invoices v ON v.id = l.invoice_id
  WHERE l.stripe_state_event = v.stripe_state_event OR NOT v.lines_complete;

-- Every attempt on an invoice, whichever API version linked it: directly
-- (charge.invoice, before basil) or through an invoice_payment (basil on).
CREATE VIEW invoice_payment_attempts AS
  SELECT a.charge_id, coalesce (a.invoice_id, p.invoice_id) AS invoice_id, a.payment_intent_id,
         a.customer_id, a.payment_method_id, a.status, a.currency, a.amount, a.amount_captured,
         a.amount_refunded, a.is_refunded, a.failure_code, a.failure_message, a.decline_code,
         a.network_decline_code, a.outcome_type, a.card_brand, a.card_last4, a.attempted_at
  FROM payment_attempts a
  LEFT JOIN LATERAL (
    SELECT ip.invoice_id
    FROM invoice_payments ip
    WHERE ip.payment_intent_id = a.payment_intent_id OR ip.charge_id = a.charge_id
    ORDER BY ip.id
    LIMIT 1
  ) p ON a.invoice_id IS NULL;
