-- tenant_tags — grain: one row per tag for one tenant in the period: API spend of requests carrying it.
SELECT tag, sum(requests)::BIGINT AS requests, sum(tokens)::BIGINT AS tokens,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd
FROM mart_tag_spend_daily
WHERE tenant = $tenant AND in_scope($tenants, tenant) AND day BETWEEN $start AND $end
GROUP BY tag
ORDER BY effective_cost_usd DESC NULLS LAST, tag
