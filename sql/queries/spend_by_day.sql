-- spend_by_day — grain: one row per (day, category): API spend per provider, self-hosted GPU cost
-- allocated to the scoped tenants under the policy (incl. their share of idle time), and GPU time charged to no tenant.
SELECT day,
    CASE cost_source WHEN 'api' THEN provider WHEN 'self_hosted' THEN 'self-hosted GPUs (charged to tenants)'
         ELSE 'unallocated idle GPU time' END AS category,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS cost_usd
FROM mart_ledger_daily
WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
  AND in_scope($models, model) AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
  AND effective_cost_usd IS NOT NULL
GROUP BY ALL
ORDER BY day, category
