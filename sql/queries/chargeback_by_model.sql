-- chargeback_by_model — grain: one row per (provider/model, section): the statement lines' cents with tokens and
-- $/1M tokens, API and self-hosted side by side.
SELECT provider || '/' || model AS model, section,
    sum(effective_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    sum(requests)::BIGINT AS requests,
    sum(unpriced_requests)::BIGINT AS unpriced_requests,
    sum(input_tokens + output_tokens)::BIGINT AS tokens,
    (sum(effective_usd) * 1000000 / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM chargeback_lines
WHERE section <> 'idle' AND in_scope($tenants, tenant) AND in_scope($providers, provider) AND in_scope($models, model)
GROUP BY ALL
ORDER BY effective_cost_usd DESC NULLS LAST, model
