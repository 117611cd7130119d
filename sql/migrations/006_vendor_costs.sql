-- Migration 006: what the vendors say they charged, from their cost APIs (OpenAI /costs, Anthropic cost
-- report) — the other side of reconciliation.  Amounts are exact decimals in USD.
CREATE TABLE vendor_costs (
    -- grain: one row per (provider, bucket_start, bucket_end, project, model, token_class, service_tier);
    -- a re-fetched window replaces the rows of that window
    provider        VARCHAR NOT NULL,
    bucket_start    TIMESTAMPTZ NOT NULL,
    bucket_end      TIMESTAMPTZ NOT NULL,
    project         VARCHAR,
    model           VARCHAR,
    token_class     VARCHAR NOT NULL,   -- uncached_input | cache_read | cache_write_5m | cache_write_1h | output | other
    service_tier    VARCHAR NOT NULL,
    amount_usd      DECIMAL(38, 12) NOT NULL,
    run_id          VARCHAR NOT NULL
);
