-- Migration 001: raw layer, ingest bookkeeping and reference data.
-- Raw tables hold canonical records exactly as ingested (normalised at the edge, never re-derived).

CREATE TABLE ingest_runs (
    -- grain: one row per (ingest run, input file or object)
    run_id            VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    uri               VARCHAR NOT NULL,
    sha256            VARCHAR,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    status            VARCHAR NOT NULL,          -- loaded | skipped_already_ingested | failed
    rows_read         BIGINT NOT NULL DEFAULT 0,
    rows_loaded       BIGINT NOT NULL DEFAULT 0,
    rows_quarantined  BIGINT NOT NULL DEFAULT 0,
    rows_duplicate    BIGINT NOT NULL DEFAULT 0,
    message           VARCHAR
);

CREATE TABLE ingest_manifest (
    -- grain: one row per distinct input file content per source (the idempotency key)
    source       VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    uri          VARCHAR NOT NULL,
    bytes        BIGINT NOT NULL,
    run_id       VARCHAR NOT NULL,
    ingested_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, sha256)
);

CREATE TABLE quarantine (
    -- grain: one row per rejected input row
    run_id          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    uri             VARCHAR NOT NULL,
    line_no         BIGINT,
    raw             VARCHAR,
    reason          VARCHAR NOT NULL,
    quarantined_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE raw_requests (
    -- grain: one row per gateway request (source, request_id); token buckets are disjoint
    source                  VARCHAR NOT NULL,
    request_id              VARCHAR NOT NULL,
    row_hash                VARCHAR NOT NULL,
    start_time              TIMESTAMPTZ NOT NULL,
    end_time                TIMESTAMPTZ NOT NULL,
    tenant                  VARCHAR NOT NULL,
    team                    VARCHAR,
    project                 VARCHAR,
    user_hash               VARCHAR,
    api_key_hash            VARCHAR,
    tags                    VARCHAR[],
    provider                VARCHAR NOT NULL,
    requested_model         VARCHAR NOT NULL,
    resolved_model          VARCHAR NOT NULL,
    deployment              VARCHAR,
    region                  VARCHAR,
    service_tier            VARCHAR NOT NULL,
    uncached_input_tokens   BIGINT NOT NULL,
    cache_read_tokens       BIGINT NOT NULL,
    cache_write_5m_tokens   BIGINT NOT NULL,
    cache_write_1h_tokens   BIGINT NOT NULL,
    output_tokens           BIGINT NOT NULL,
    reasoning_tokens        BIGINT NOT NULL,
    status                  VARCHAR NOT NULL,
    is_stream               BOOLEAN NOT NULL,
    ttft_ms                 INTEGER,
    latency_ms              INTEGER NOT NULL,
    gateway_cache           VARCHAR NOT NULL,
    reported_cost_usd       DECIMAL(38, 12),
    run_id                  VARCHAR NOT NULL
);

CREATE TABLE raw_gpu_samples (
    -- grain: one row per (host, gpu_uuid, ts) telemetry reading
    ts              TIMESTAMPTZ NOT NULL,
    host            VARCHAR NOT NULL,
    gpu_uuid        VARCHAR NOT NULL,
    gpu_name        VARCHAR NOT NULL,
    util_gpu_pct    SMALLINT NOT NULL,
    util_mem_pct    SMALLINT,
    mem_used_mib    INTEGER,
    mem_total_mib   INTEGER,
    power_w         DECIMAL(9, 2),
    power_limit_w   DECIMAL(9, 2),
    source          VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);

CREATE TABLE rate_cards (
    -- grain: one row per (provider, model, service_tier, min_input_tokens, valid_from)
    provider                      VARCHAR NOT NULL,
    model                         VARCHAR NOT NULL,
    service_tier                  VARCHAR NOT NULL,
    min_input_tokens              BIGINT NOT NULL,
    valid_from                    TIMESTAMPTZ NOT NULL,
    valid_to                      TIMESTAMPTZ,      -- NULL: until the next card for the same key
    uncached_input_usd_per_mtok   DECIMAL(18, 6),
    cache_read_usd_per_mtok       DECIMAL(18, 6),
    cache_write_5m_usd_per_mtok   DECIMAL(18, 6),
    cache_write_1h_usd_per_mtok   DECIMAL(18, 6),
    output_usd_per_mtok           DECIMAL(18, 6),
    reasoning_usd_per_mtok        DECIMAL(18, 6),
    source                        VARCHAR NOT NULL,
    run_id                        VARCHAR NOT NULL
);

CREATE TABLE contract_discounts (
    -- grain: one row per (contract_id, provider, model_pattern, valid_from)
    contract_id     VARCHAR NOT NULL,
    provider        VARCHAR NOT NULL,
    model_pattern   VARCHAR NOT NULL,
    discount_pct    DECIMAL(7, 4) NOT NULL,
    valid_from      TIMESTAMPTZ NOT NULL,
    valid_to        TIMESTAMPTZ,
    run_id          VARCHAR NOT NULL
);

CREATE TABLE gpu_rates (
    -- grain: one row per (rate_ref, valid_from)
    rate_ref           VARCHAR NOT NULL,
    gpu_type           VARCHAR NOT NULL,
    kind               VARCHAR NOT NULL,
    usd_per_gpu_hour   DECIMAL(12, 6) NOT NULL,
    valid_from         TIMESTAMPTZ NOT NULL,
    valid_to           TIMESTAMPTZ,
    run_id             VARCHAR NOT NULL
);

CREATE TABLE gpu_deployments (
    -- grain: one row per deployment_id (latest definition wins on re-ingest)
    deployment_id   VARCHAR NOT NULL,
    cluster         VARCHAR NOT NULL,
    gpu_type        VARCHAR NOT NULL,
    gpu_count       INTEGER NOT NULL,
    hosts           VARCHAR[] NOT NULL,
    model           VARCHAR NOT NULL,
    "precision"     VARCHAR NOT NULL,
    engine          VARCHAR NOT NULL,
    gpu_rate_ref    VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);
