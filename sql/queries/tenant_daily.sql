-- tenant_daily — grain: one row per (day, model) for one tenant: API and allocated self-hosted cost.
SELECT day, provider || '/' || model AS model, sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    sum(requests)::BIGINT AS requests, sum(input_tokens + output_tokens)::BIGINT AS tokens
FROM mart_ledger_daily
WHERE tenant = $tenant AND in_scope($tenants, tenant) AND day BETWEEN $start AND $end
  AND in_scope($providers, provider) AND in_scope($models, model)
  AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
GROUP BY ALL
ORDER BY day, model
