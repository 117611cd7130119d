-- overview_kpis — grain: one row for the selected period and tenants.
WITH api AS (
    SELECT * FROM mart_spend_daily
    WHERE day BETWEEN $start AND $end AND (len($tenants) = 0 OR list_contains($tenants, tenant))
)
SELECT
    coalesce(sum(effective_cost_usd), 0)::DECIMAL(18, 2) AS api_effective_usd,
    coalesce(sum(list_cost_usd), 0)::DECIMAL(18, 2) AS api_list_usd,
    coalesce(sum(discount_usd), 0)::DECIMAL(18, 2) AS api_discount_usd,
    (SELECT coalesce(sum(gpu_cost_usd), 0) FROM mart_gpu_daily WHERE day BETWEEN $start AND $end)::DECIMAL(18, 2)
        AS gpu_cost_usd,
    coalesce(sum(requests), 0) AS requests,
    coalesce(sum(requests) FILTER (WHERE pricing_status = 'unpriced'), 0) AS unpriced_requests,
    coalesce(sum(requests) FILTER (WHERE pricing_status = 'unpriced') / nullif(sum(requests), 0), 0) AS unpriced_share,
    coalesce(sum(requests) FILTER (WHERE pricing_status = 'self_hosted'), 0) AS self_hosted_requests,
    coalesce(sum(total_tokens), 0) AS total_tokens,
    count(DISTINCT tenant) AS tenants
FROM api
