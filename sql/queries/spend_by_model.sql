-- spend_by_model — grain: one row per (provider, model, cost source): cost, tokens and $/1M tokens —
-- API and self-hosted side by side, comparable per token.
SELECT provider || '/' || model AS model, cost_source,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    sum(requests)::BIGINT AS requests,
    sum(unpriced_requests)::BIGINT AS unpriced_requests,
    sum(input_tokens + output_tokens)::BIGINT AS tokens,
    (sum(effective_cost_usd) * 1000000 / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM mart_ledger_daily
WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
  AND in_scope($models, model) AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
  AND cost_source <> 'idle'
GROUP BY ALL
ORDER BY effective_cost_usd DESC NULLS LAST, model
