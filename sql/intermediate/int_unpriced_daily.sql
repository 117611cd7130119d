-- int_unpriced_daily — grain: one row per (day, provider, model, service_tier, unpriced_reason, tenant) for
-- requests we could not price: counted and kept, never treated as $0.  Merged after each ingest (sums
-- added, first/last seen kept at their least/greatest), so mart_unpriced never rescans requests.
-- incremental: day by day, summing requests, total_tokens; min first_seen; max last_seen
CREATE OR REPLACE TABLE int_unpriced_daily AS
SELECT day, provider, model, service_tier, unpriced_reason, tenant,
    count(*) AS requests,
    sum(prompt_tokens + completion_tokens) AS total_tokens,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM int_request_costs
WHERE pricing_status = 'unpriced'
GROUP BY ALL;
