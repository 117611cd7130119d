-- savings_by_tenant — grain: one row per (tenant, month) in scope: net savings by mechanism.
SELECT tenant, date_trunc('month', day)::DATE AS month,
    coalesce(sum(net_savings_usd) FILTER (WHERE mechanism = 'provider_prompt_cache'), 0)::DECIMAL(18, 2) AS provider_cache_usd,
    coalesce(sum(net_savings_usd) FILTER (WHERE mechanism = 'gateway_cache'), 0)::DECIMAL(18, 2) AS gateway_cache_usd,
    coalesce(sum(net_savings_usd) FILTER (WHERE mechanism = 'self_hosted_prefix'), 0)::DECIMAL(18, 2) AS self_hosted_prefix_usd,
    sum(net_savings_usd)::DECIMAL(18, 2) AS net_savings_usd
FROM mart_cache_savings_daily
WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
  AND in_scope($models, model)
GROUP BY ALL
ORDER BY net_savings_usd DESC, tenant, month
