-- The durable inbox of Stripe webhook events (DESIGN.md, "Webhook in").
--
-- A row is written, and committed, before Stripe gets its 2xx; nothing is
-- ever deleted by the workers. Stripe's event id is the key, so a delivery
-- that arrives twice is acknowledged without a second row.

CREATE TYPE stripe_event_status AS ENUM ('pending', 'processed', 'ignored', 'parked');

CREATE TABLE stripe_event_inbox (
  id              text PRIMARY KEY,                 -- evt_…
  type            text NOT NULL,
  api_version     text,
  livemode        boolean NOT NULL,
  stripe_created  timestamptz NOT NULL,             -- the event's own "created"
  payload         jsonb NOT NULL,                   -- the whole event as Stripe sent it
  received_at     timestamptz NOT NULL DEFAULT now (),
  status          stripe_event_status NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now (),
  last_error      text,
  processed_at    timestamptz,
  parked_at       timestamptz,
  CHECK (id ~ '^evt_[A-Za-z0-9_]+$')
);

-- Workers claim pending events oldest first, walking this index; a row whose
-- retry is not yet due is skipped as they go.
CREATE INDEX stripe_event_inbox_pending
  ON stripe_event_inbox (stripe_created, received_at)
  WHERE status = 'pending';

-- When the next retry is due, for a worker with nothing to do.
CREATE INDEX stripe_event_inbox_due
  ON stripe_event_inbox (next_attempt_at)
  WHERE status = 'pending';

CREATE INDEX stripe_event_inbox_parked
  ON stripe_event_inbox (parked_at)
  WHERE status = 'parked';

CREATE INDEX stripe_event_inbox_type_received
  ON stripe_event_inbox (type, received_at);

-- Every attempt to apply an event, for people reading its history.
CREATE TABLE stripe_event_attempts (
  event_id     text NOT NULL REFERENCES stripe_event_inbox (id),
  attempt      integer NOT NULL,
  started_at   timestamptz NOT NULL,
  duration_ms  integer NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('processed', 'ignored', 'failed', 'parked', 'replayed')),
  error        text,
  -- A replay is recorded against the attempt it follows.
  PRIMARY KEY (event_id, attempt, outcome)
);

-- Wakes the workers within milliseconds of a commit, without polling.
CREATE FUNCTION stripe_event_inbox_notify () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify ('coffer_inbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER stripe_event_inbox_notify
  AFTER INSERT OR UPDATE OF status, next_attempt_at ON stripe_event_inbox
  FOR EACH STATEMENT EXECUTE FUNCTION stripe_event_inbox_notify ();
