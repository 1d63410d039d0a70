-- Two transactions storing the same email can number their requests in one order and merge them
-- into its queue row in the other. The row keeps the newest request's seq and values whatever the
-- order, and counts its merges: a claim finishes its row only when nothing merged after it, even
-- a request numbered before the claimed seq. A constant default: no table rewrite.
ALTER TABLE sync_queue ADD COLUMN merges bigint NOT NULL DEFAULT 0;
-- The merges a claim saw (set by each claim, read by its finish)
ALTER TABLE sync_queue ADD COLUMN claimed_merges bigint;
