-- Idempotency-Key on POST /v1/contacts: the first request stored under each key, per API key,
-- so that the same key again within 24 hours gets that request's id instead of a new one.
CREATE TABLE idempotency_keys (
  -- SHA-256 of the API key (hex), '' when the service runs without keys
  key_id text NOT NULL,
  key text NOT NULL,
  -- SHA-256 of what was asked (email and properties): the same key with another body is refused
  body_hash text NOT NULL,
  request_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key_id, key)
);
