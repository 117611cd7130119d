-- mart_unpriced — grain: one row per (provider, model, service_tier, unpriced_reason).
-- Requests we could not price: shown, counted, never treated as $0.
CREATE OR REPLACE TABLE mart_unpriced AS
SELECT provider, model, service_tier, unpriced_reason,
    count(*) AS requests,
    count(DISTINCT tenant) AS tenants,
    sum(prompt_tokens + completion_tokens) AS total_tokens,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM int_request_costs
WHERE pricing_status = 'unpriced'
GROUP BY ALL;
