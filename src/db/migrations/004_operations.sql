-- A failed request sent again becomes 'replayed', pointing at the request that resends it.
-- NOT VALID: the new rule holds for every write without a scan of the whole table under lock;
-- the old rule (a subset) already holds for every existing row.
ALTER TABLE contact_requests DROP CONSTRAINT contact_requests_status_check;
ALTER TABLE contact_requests ADD CONSTRAINT contact_requests_status_check
  CHECK (status IN ('queued', 'synced', 'failed', 'replayed')) NOT VALID;
ALTER TABLE contact_requests ADD COLUMN replayed_as uuid;
ALTER TABLE contact_requests ADD COLUMN replayed_at timestamptz;
-- The failed list pages newest first by (created_at, id); replayed ones are listed the same way
DROP INDEX contact_requests_failed;
CREATE INDEX contact_requests_failed ON contact_requests (created_at, id) WHERE status = 'failed';
CREATE INDEX contact_requests_replayed ON contact_requests (created_at, id) WHERE status = 'replayed';

-- What happened each minute, added up from every replica: /v1/stats and /status read it
-- instead of scanning contact_requests (a day can hold millions of rows).
CREATE TABLE activity_minutes (
  minute timestamptz PRIMARY KEY,
  accepted bigint NOT NULL DEFAULT 0,
  -- answered API requests (health probes, metrics, the status page and docs not counted) and their 5xx
  requests bigint NOT NULL DEFAULT 0,
  server_errors bigint NOT NULL DEFAULT 0,
  synced bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  hubspot_calls bigint NOT NULL DEFAULT 0,
  hubspot_rate_limited bigint NOT NULL DEFAULT 0,
  hubspot_errors bigint NOT NULL DEFAULT 0,
  -- counts of 202 → synced latencies per bucket (src/lib/latency-histogram.ts)
  sync_latency bigint[] NOT NULL DEFAULT '{}'
);
