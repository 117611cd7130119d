-- tenant_breakdown — grain: one row per (team, provider, model, service_tier, pricing_status) for one tenant.
SELECT team, provider, model, service_tier, pricing_status,
    sum(requests) AS requests,
    sum(uncached_input_tokens) AS uncached_input_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_5m_tokens + cache_write_1h_tokens) AS cache_write_tokens,
    sum(output_tokens) AS output_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    sum(list_cost_usd)::DECIMAL(18, 2) AS list_cost_usd,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    (sum(effective_cost_usd) * 1000000 / nullif(sum(total_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM mart_spend_daily
WHERE tenant = $tenant AND day BETWEEN $start AND $end
GROUP BY ALL
ORDER BY effective_cost_usd DESC NULLS LAST, requests DESC
