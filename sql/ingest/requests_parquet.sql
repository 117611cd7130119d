-- Canonical request rows from Parquet (the Tokenomics lake, or any file with raw_requests' columns) → _candidates.
-- Input: _parquet_src — the file's rows with every canonical column (missing optional ones NULL), built by
-- ingest/requests_parquet.  Tokens are already in disjoint buckets; nothing is renamed, only typed and checked.
-- grain of _candidates: one row per Parquet row (line_no = the row's 1-based ordinal in the file).
CREATE OR REPLACE TEMP TABLE _candidates AS
WITH typed AS (
    SELECT file_row_number + 1 AS line_no,
        coalesce(nullif(src_source, ''), $source) AS source,
        TRY_CAST(request_id AS VARCHAR) AS request_id,
        TRY_CAST(start_time AS TIMESTAMPTZ) AS start_time,
        TRY_CAST(end_time AS TIMESTAMPTZ) AS end_time,
        TRY_CAST(tenant AS VARCHAR) AS tenant,
        TRY_CAST(tenant_rule AS VARCHAR) AS tenant_rule,
        TRY_CAST(team AS VARCHAR) AS team,
        TRY_CAST(project AS VARCHAR) AS project,
        TRY_CAST(user_hash AS VARCHAR) AS user_hash,
        TRY_CAST(api_key_hash AS VARCHAR) AS api_key_hash,
        coalesce(TRY_CAST(tags AS VARCHAR[]), []) AS tags,
        TRY_CAST(provider AS VARCHAR) AS provider,
        TRY_CAST(requested_model AS VARCHAR) AS requested_model,
        TRY_CAST(resolved_model AS VARCHAR) AS resolved_model,
        TRY_CAST(deployment AS VARCHAR) AS deployment,
        TRY_CAST(region AS VARCHAR) AS region,
        TRY_CAST(service_tier AS VARCHAR) AS service_tier,
        TRY_CAST(uncached_input_tokens AS BIGINT) AS uncached_input_tokens,
        TRY_CAST(cache_read_tokens AS BIGINT) AS cache_read_tokens,
        TRY_CAST(cache_write_5m_tokens AS BIGINT) AS cache_write_5m_tokens,
        TRY_CAST(cache_write_1h_tokens AS BIGINT) AS cache_write_1h_tokens,
        TRY_CAST(output_tokens AS BIGINT) AS output_tokens,
        TRY_CAST(reasoning_tokens AS BIGINT) AS reasoning_tokens,
        TRY_CAST(status AS VARCHAR) AS status,
        TRY_CAST(is_stream AS BOOLEAN) AS is_stream,
        TRY_CAST(ttft_ms AS INTEGER) AS ttft_ms,
        TRY_CAST(latency_ms AS BIGINT) AS latency_ms,
        TRY_CAST(gateway_cache AS VARCHAR) AS gateway_cache,
        TRY_CAST(reported_cost_usd AS DECIMAL(38, 12)) AS reported_cost_usd,
        TRY_CAST(given_row_hash AS VARCHAR) AS given_row_hash
    FROM _parquet_src
),
checked AS (
    SELECT *, list_filter([
            CASE WHEN coalesce(request_id, '') = '' THEN 'request_id is missing' END,
            CASE WHEN start_time IS NULL THEN 'start_time is missing or not a timestamp' END,
            CASE WHEN end_time IS NULL THEN 'end_time is missing or not a timestamp' END,
            CASE WHEN end_time < start_time THEN 'end_time is before start_time' END,
            -- the plausible window (tokenomics.config.plausible_window)
            CASE WHEN start_time < $earliest THEN 'start_time ' || start_time || ' is before ' || $earliest::DATE || ' (TOKENOMICS_EARLIEST)'
                 WHEN start_time > $latest OR end_time > $latest THEN 'start_time or end_time is after now + TOKENOMICS_AHEAD_HOURS' END,
            CASE WHEN coalesce(tenant, '') = '' THEN 'tenant is missing' END,
            CASE WHEN coalesce(provider, '') = '' THEN 'provider is missing' END,
            CASE WHEN coalesce(resolved_model, '') = '' THEN 'resolved_model is missing' END,
            CASE WHEN coalesce(service_tier, '') NOT IN ('standard', 'batch', 'flex', 'priority')
                 THEN 'service_tier is not standard/batch/flex/priority (' || coalesce(service_tier, 'null') || ')' END,
            CASE WHEN coalesce(status, '') NOT IN ('success', 'failure') THEN 'status is not success/failure' END,
            CASE WHEN coalesce(gateway_cache, '') NOT IN ('miss', 'exact', 'semantic') THEN 'gateway_cache is not miss/exact/semantic' END,
            CASE WHEN is_stream IS NULL THEN 'is_stream is missing' END,
            CASE WHEN latency_ms NOT BETWEEN 0 AND 2147483647 THEN 'latency_ms is out of range' END,  -- NULL: unknown
            CASE WHEN ttft_ms < 0 THEN 'ttft_ms is negative' END,
            CASE WHEN reported_cost_usd < 0 THEN 'reported_cost_usd is negative' END,
            CASE WHEN list_bool_or([t IS NULL OR t < 0 OR t > 10000000 FOR t IN [uncached_input_tokens, cache_read_tokens,
                     cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens]])
                 THEN 'a token count is missing, negative or absurd' END
        ], x -> x IS NOT NULL) AS reasons
    FROM typed
)
SELECT * EXCLUDE (given_row_hash) REPLACE (coalesce(requested_model, resolved_model) AS requested_model),
    coalesce(given_row_hash, _request_row_hash(request_id, start_time, end_time, tenant, team, project, user_hash,
        api_key_hash, tags, provider, coalesce(requested_model, resolved_model), resolved_model, deployment, region,
        service_tier, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
        output_tokens, reasoning_tokens, status, is_stream, ttft_ms, latency_ms, gateway_cache, reported_cost_usd))
        AS row_hash
FROM checked
