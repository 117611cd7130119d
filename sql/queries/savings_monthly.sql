-- savings_monthly — grain: one row per (month, mechanism) in scope: what caching saved, gross, write
-- premium and net (list), and net after contract discounts.
SELECT date_trunc('month', day)::DATE AS month, mechanism, sum(requests)::BIGINT AS requests,
    sum(cached_tokens)::BIGINT AS cached_tokens,
    sum(gross_savings_usd)::DECIMAL(18, 2) AS gross_savings_usd, sum(write_premium_usd)::DECIMAL(18, 2) AS write_premium_usd,
    sum(net_savings_usd)::DECIMAL(18, 2) AS net_savings_usd,
    sum(net_savings_effective_usd)::DECIMAL(18, 2) AS net_savings_effective_usd
FROM mart_cache_savings_daily
WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
  AND in_scope($models, model)
GROUP BY ALL
ORDER BY month, mechanism
