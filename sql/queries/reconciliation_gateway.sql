-- reconciliation_gateway — grain: one row per (provider, model, service_tier) in the period: our list
-- cost next to the cost the gateway reported for the same requests (only requests where both sides
-- have a number), the variance and where it comes from.  Provider-wide: not narrowed to tenants.
SELECT provider, model, service_tier,
    sum(requests)::BIGINT AS requests,
    sum(compared_requests)::BIGINT AS compared_requests,
    sum(computed_list_usd)::DECIMAL(38, 6) AS computed_list_usd,
    sum(reported_usd)::DECIMAL(38, 6) AS reported_usd,
    (sum(computed_list_usd) - sum(reported_usd))::DECIMAL(38, 6) AS variance_usd,
    round((sum(computed_list_usd) - sum(reported_usd)) * 100 / nullif(sum(reported_usd), 0), 2) AS variance_pct
FROM mart_reconciliation_daily
WHERE day BETWEEN $start AND $end AND in_scope($providers, provider) AND in_scope($models, model)
GROUP BY ALL
ORDER BY abs(coalesce(variance_usd, 0)) DESC, provider, model, service_tier
