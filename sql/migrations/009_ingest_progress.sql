-- Migration 009: how far a large file's ingest has committed, so a crashed one resumes where it stopped.
-- A JSON-lines file of many pieces commits piece by piece (memory stays bounded); this row moves in the
-- same transaction as each piece's rows and is deleted when the file's manifest row is written.
CREATE TABLE ingest_progress (
    -- grain: one row per (source, file content) being ingested
    source       VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    run_id       VARCHAR NOT NULL,
    bytes_done   BIGINT NOT NULL,
    lines_done   BIGINT NOT NULL,
    rows_read        BIGINT NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_duplicate   BIGINT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, sha256)
);
