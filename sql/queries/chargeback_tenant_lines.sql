-- chargeback_tenant_lines — grain: one row per (section, provider, model) of one tenant for the filter set: its
-- statement lines' cents (list − discount = effective on every line).
SELECT section, provider, model,
    sum(requests)::BIGINT AS requests, sum(unpriced_requests)::BIGINT AS unpriced_requests,
    sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
    sum(list_usd)::DECIMAL(18, 2) AS list_usd, sum(discount_usd)::DECIMAL(18, 2) AS discount_usd,
    sum(effective_usd)::DECIMAL(18, 2) AS effective_usd,
    (sum(effective_usd) * 1000000 / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM chargeback_lines
WHERE tenant = $tenant AND in_scope($tenants, tenant) AND in_scope($providers, provider) AND in_scope($models, model)
GROUP BY ALL
ORDER BY effective_usd DESC NULLS LAST, section, model
