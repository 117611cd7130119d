-- Migration 012: real gateway logs.  tenant_rule says which attribution rule named a request's tenant
-- (ingest/attribution.py: explicit, map:<kind>, org_id, team_alias, team_id, unattributed; NULL for sources
-- that carry the tenant themselves); latency_ms may be unknown (a Bedrock record without metrics.latencyMs
-- is NULL, never 0 ms).
ALTER TABLE raw_requests ADD COLUMN tenant_rule VARCHAR;
ALTER TABLE raw_requests ALTER COLUMN latency_ms DROP NOT NULL;
