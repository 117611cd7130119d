-- Migration 011: the priced ledger (int_request_costs) became a view — builds price requests in batches that
-- the marts add up and never store them per request — so no table tracks which runs it holds any more.
DROP TABLE IF EXISTS ledger_built_runs;
