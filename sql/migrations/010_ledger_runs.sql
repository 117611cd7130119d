-- Migration 010: which ingest runs the per-request priced ledger (int_request_costs) holds.  An incremental
-- build publishes the marts first and appends the new runs' priced requests to the ledger afterwards, in a
-- transaction of its own; a run built into the marts but not yet here is appended by the next build.
CREATE TABLE ledger_built_runs (
    -- grain: one row per ingest run whose priced requests are in int_request_costs
    run_id    VARCHAR PRIMARY KEY,
    built_at  TIMESTAMPTZ NOT NULL
);

-- until now the ledger was appended in the same transaction as the marts: it holds every built run
INSERT INTO ledger_built_runs SELECT run_id, built_at FROM model_built_runs
