-- stg_requests — grain: one row per gateway request (source, request_id).
-- Rename/derive only: day bucket and prompt-size total used for long-context tiers.
CREATE OR REPLACE VIEW stg_requests AS
SELECT
    source, request_id, start_time, end_time,
    date_trunc('day', start_time)::DATE AS day,
    tenant, team, project, user_hash, api_key_hash, tags,
    provider, requested_model, resolved_model, deployment, region, service_tier,
    uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
    output_tokens, reasoning_tokens,
    uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens AS prompt_tokens,
    output_tokens + reasoning_tokens AS completion_tokens,
    status, is_stream, ttft_ms, latency_ms, gateway_cache, reported_cost_usd, run_id
FROM raw_requests;
