-- Migration 002: record which Tokenomics version wrote each ingest run (audit trail for re-runs).
ALTER TABLE ingest_runs ADD COLUMN tool_version VARCHAR;
