-- mart_usage_hourly — grain: one row per (hour, tenant, provider, model, deployment, pricing_status,
-- gateway_cache).  Request shape and load per hour: what the what-if page sizes a fleet from (mean
-- input/output length, busiest-hour rate, concurrency = request-seconds in flight / 3600) and what
-- the fleet comparison reads for self-hosted deployments.
-- incremental: hour by day, summing requests, prompt_tokens, completion_tokens, requests_with_latency, latency_ms_sum, requests_with_ttft, ttft_ms_sum
CREATE OR REPLACE TABLE mart_usage_hourly AS
SELECT
    date_trunc('hour', start_time) AS hour, tenant, provider, model, deployment, pricing_status, gateway_cache,
    count(*) AS requests,
    sum(prompt_tokens)::BIGINT AS prompt_tokens,
    sum(completion_tokens)::BIGINT AS completion_tokens,
    count(latency_ms) AS requests_with_latency,
    sum(latency_ms)::BIGINT AS latency_ms_sum,
    count(ttft_ms) AS requests_with_ttft,
    sum(ttft_ms)::BIGINT AS ttft_ms_sum
FROM int_request_costs
GROUP BY ALL;
