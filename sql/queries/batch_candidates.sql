-- batch_candidates — grain: one row per (tenant, provider, model) with latency-tolerant traffic in scope:
-- what moving it to the vendor batch tier (24 h turnaround) would save.
SELECT tenant, provider, model, sum(requests)::BIGINT AS requests,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    sum(move_to_batch_savings_usd)::DECIMAL(18, 2) AS move_to_batch_savings_usd,
    round(sum(latency_ms_sum) / nullif(sum(requests_with_latency), 0) / 1000, 1) AS mean_latency_s
FROM mart_batch_daily
WHERE latency_class IN ('tagged_offline', 'off_hours', 'slow') AND move_to_batch_savings_usd IS NOT NULL
  AND day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
  AND in_scope($models, model)
GROUP BY ALL
ORDER BY move_to_batch_savings_usd DESC, tenant, model
LIMIT 200
