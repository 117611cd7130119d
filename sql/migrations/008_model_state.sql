-- Migration 008: what the last model build saw, so the next one can refresh incrementally.
CREATE TABLE model_state (
    -- grain: one row per key (fingerprint of model SQL and reference data, last build mode and time)
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

CREATE TABLE model_built_runs (
    -- grain: one row per ingest run whose facts are in the built models
    run_id    VARCHAR PRIMARY KEY,
    built_at  TIMESTAMPTZ NOT NULL
);
