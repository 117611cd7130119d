-- mart_reconciliation_monthly — grain: one row per (month, provider, model, service_tier): the daily
-- reconciliation summed (every column is a sum, so the roll-up is exact); variance = computed list cost
-- − reported cost, over the requests where both sides have a number.
CREATE OR REPLACE VIEW mart_reconciliation_monthly AS
SELECT
    date_trunc('month', day)::DATE AS month, provider, model, service_tier,
    sum(requests)::BIGINT AS requests,
    sum(compared_requests)::BIGINT AS compared_requests,
    sum(list_uncached_input_usd)::DECIMAL(38, 12) AS list_uncached_input_usd,
    sum(list_cache_read_usd)::DECIMAL(38, 12) AS list_cache_read_usd,
    sum(list_cache_write_usd)::DECIMAL(38, 12) AS list_cache_write_usd,
    sum(list_output_usd)::DECIMAL(38, 12) AS list_output_usd,
    sum(list_reasoning_usd)::DECIMAL(38, 12) AS list_reasoning_usd,
    sum(computed_list_usd)::DECIMAL(38, 12) AS computed_list_usd,
    sum(computed_effective_usd)::DECIMAL(38, 12) AS computed_effective_usd,
    sum(reported_usd)::DECIMAL(38, 12) AS reported_usd,
    (sum(computed_list_usd) - sum(reported_usd))::DECIMAL(38, 12) AS variance_usd
FROM mart_reconciliation_daily
GROUP BY ALL;
