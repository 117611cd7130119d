-- mart_ledger_daily — grain: one row per (day, tenant, team, provider, model, cost_source, driver, idle_policy).
-- One ledger for both ways of paying for tokens:
--   cost_source 'api'          per-token vendor spend (driver, idle_policy NULL: not allocated)
--   cost_source 'self_hosted'  GPU cost allocated to the tenant by driver and idle policy
--   cost_source 'idle'         unused GPU time under idle_policy 'separate' (tenant '__idle__')
-- Pick one allocation with `driver IS NULL OR (driver = ? AND idle_policy = ?)`; $/1M tokens is then
-- comparable across API and self-hosted rows.  Unpriced API requests are counted, never costed as $0.
-- incremental: day by day
CREATE OR REPLACE TABLE mart_ledger_daily AS
SELECT day, tenant, coalesce(team, '') AS team, provider, model, 'api' AS cost_source,
    NULL::VARCHAR AS driver, NULL::VARCHAR AS idle_policy,
    sum(requests) AS requests,
    coalesce(sum(requests) FILTER (WHERE pricing_status = 'unpriced'), 0) AS unpriced_requests,
    sum(uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens) AS input_tokens,
    sum(output_tokens + reasoning_tokens) AS output_tokens,
    sum(list_cost_usd)::DECIMAL(38, 12) AS list_cost_usd,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS effective_cost_usd
FROM mart_spend_daily
WHERE pricing_status IN ('priced', 'unpriced', 'gateway_cache_hit')
GROUP BY ALL
UNION ALL
SELECT day, tenant, team, 'self-hosted' AS provider, model,
    CASE WHEN tenant = '__idle__' THEN 'idle' ELSE 'self_hosted' END AS cost_source,
    driver, idle_policy,
    sum(requests), 0, sum(prompt_tokens), sum(completion_tokens),
    sum(allocated_usd)::DECIMAL(38, 12), sum(allocated_usd)::DECIMAL(38, 12)
FROM mart_gpu_allocation_daily
GROUP BY ALL;
