-- Migration 005: usage reported by the vendors' own usage APIs (OpenAI organization usage, Anthropic
-- usage report), aggregated per time bucket — the vendor's side for reconciliation.
CREATE TABLE vendor_usage (
    -- grain: one row per (provider, bucket_start, bucket_end, project, api_key_hash, user_hash, model,
    -- service_tier, batch); a re-fetched window replaces the rows of that window, never adds to them
    provider                VARCHAR NOT NULL,
    bucket_start            TIMESTAMPTZ NOT NULL,
    bucket_end              TIMESTAMPTZ NOT NULL,
    project                 VARCHAR,
    api_key_hash            VARCHAR,
    user_hash               VARCHAR,
    model                   VARCHAR NOT NULL,
    service_tier            VARCHAR NOT NULL,
    batch                   BOOLEAN NOT NULL,
    requests                BIGINT NOT NULL,
    uncached_input_tokens   BIGINT NOT NULL,
    cache_read_tokens       BIGINT NOT NULL,
    cache_write_5m_tokens   BIGINT NOT NULL,
    cache_write_1h_tokens   BIGINT NOT NULL,
    output_tokens           BIGINT NOT NULL,
    run_id                  VARCHAR NOT NULL
);
