-- The content hash of a canonical request: equal hashes mean the same request delivered again (a duplicate),
-- a different hash under a known request id is a conflict.  Used by the SQL request sources (JSON lines,
-- canonical Parquet without a row_hash column); the Parquet lake carries each row's hash as loaded, so a
-- row read back from it dedupes against the row first loaded from the gateway's logs.
CREATE OR REPLACE TEMP MACRO _request_row_hash(request_id, start_time, end_time, tenant, team, project, user_hash,
        api_key_hash, tags, provider, requested_model, resolved_model, deployment, region, service_tier,
        uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
        reasoning_tokens, status, is_stream, ttft_ms, latency_ms, gateway_cache, reported_cost_usd) AS
    md5(concat_ws('|', request_id, epoch_us(start_time), epoch_us(end_time), tenant, team, project, user_hash,
        api_key_hash, array_to_string(tags, ','), provider, requested_model, resolved_model, deployment, region,
        service_tier, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
        output_tokens, reasoning_tokens, status, is_stream, ttft_ms, latency_ms, gateway_cache,
        reported_cost_usd))
