-- int_self_hosted_hourly — grain: one row per (deployment, hour, tenant, team, gateway_cache) for requests
-- served by a self-hosted GPU deployment: what the GPU bill (int_gpu_hourly) and its split over tenants
-- (int_gpu_allocation_hourly) need from the requests, summed once per hour so those two rebuild from a
-- few rows per deployment-hour instead of every request.  Refreshed by day after an ingest.
-- incremental: hour by day, summing requests, prompt_tokens, completion_tokens, latency_ms
-- shadow: hour by day
CREATE OR REPLACE TABLE int_self_hosted_hourly AS
SELECT deployment, date_trunc('hour', start_time) AS hour, tenant, coalesce(team, '') AS team, gateway_cache,
    count(*) AS requests,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens,
    sum(coalesce(latency_ms, 0)) AS latency_ms
FROM int_request_costs
WHERE pricing_status = 'self_hosted'
GROUP BY ALL;
