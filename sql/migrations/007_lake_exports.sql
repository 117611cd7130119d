-- Migration 007: which ingest runs' raw facts were written to which Parquet lake (tokenomics lake).
CREATE TABLE lake_exports (
    -- grain: one row per (destination, relation, ingest run); written after the run's files are in place
    dest         VARCHAR NOT NULL,
    relation     VARCHAR NOT NULL,
    run_id       VARCHAR NOT NULL,
    rows         BIGINT NOT NULL,
    files        INTEGER NOT NULL,
    exported_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dest, relation, run_id)
);
