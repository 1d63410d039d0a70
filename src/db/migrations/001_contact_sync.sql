-- Every accepted upsert, as the caller sent it: what GET /v1/contacts/requests/:id reports.
CREATE TABLE contact_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  email text NOT NULL,
  properties jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'synced', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  hubspot_id text,
  created boolean,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  synced_at timestamptz
);
CREATE INDEX contact_requests_queued_by_email ON contact_requests (email, seq) WHERE status = 'queued';
CREATE INDEX contact_requests_failed ON contact_requests (created_at) WHERE status = 'failed';

-- The queue: one row per email waiting for HubSpot, holding the merge of its queued requests.
CREATE TABLE sync_queue (
  email text PRIMARY KEY,
  properties jsonb NOT NULL DEFAULT '{}',
  -- the newest request merged in; a sync covers the requests up to the seq it claimed
  last_request_seq bigint NOT NULL,
  first_queued_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  claimed_seq bigint,
  last_error text
);
CREATE INDEX sync_queue_due ON sync_queue (next_attempt_at, first_queued_at);

-- What HubSpot holds, as far as the service knows: filled by syncs and lookups, read by search.
CREATE TABLE contacts (
  email text PRIMARY KEY,
  -- null: HubSpot answered 404 at checked_at
  hubspot_id text,
  properties jsonb NOT NULL DEFAULT '{}',
  synced_at timestamptz,
  checked_at timestamptz NOT NULL DEFAULT now()
);
