-- spend_by_day — grain: one row per (day, category): API effective spend per provider, plus the
-- self-hosted GPU bill (not yet allocated to tenants, so it ignores the tenant filter).
SELECT day, provider AS category, sum(effective_cost_usd)::DECIMAL(18, 2) AS cost_usd
FROM mart_spend_daily
WHERE day BETWEEN $start AND $end AND pricing_status = 'priced'
  AND (len($tenants) = 0 OR list_contains($tenants, tenant))
GROUP BY ALL
UNION ALL
SELECT day, 'self-hosted GPUs' AS category, sum(gpu_cost_usd)::DECIMAL(18, 2)
FROM mart_gpu_daily
WHERE day BETWEEN $start AND $end
GROUP BY ALL
ORDER BY day, category
