-- mart_reconciliation_daily — grain: one row per (day, provider, model, service_tier).
-- Our computed vendor cost next to the cost the source reported (LiteLLM's response_cost today; vendor
-- cost reports when ingested), with our cost split by token class so a variance can be traced to the
-- class whose price differs.  Only requests where both sides have a number are compared.  Daily, so an
-- ingest refreshes the days it touched; mart_reconciliation_monthly rolls it up.
-- incremental: day by day, summing requests, compared_requests, list_uncached_input_usd, list_cache_read_usd, list_cache_write_usd, list_output_usd, list_reasoning_usd, computed_list_usd, computed_effective_usd, reported_usd
CREATE OR REPLACE TABLE mart_reconciliation_daily AS
SELECT
    day, provider, model, service_tier,
    count(*) AS requests,
    count(*) FILTER (WHERE reported_cost_usd IS NOT NULL AND pricing_status = 'priced') AS compared_requests,
    (sum(uncached_input_tokens * price_uncached_input) * 0.000001)::DECIMAL(38, 12) AS list_uncached_input_usd,
    (sum(cache_read_tokens * coalesce(price_cache_read, 0)) * 0.000001)::DECIMAL(38, 12) AS list_cache_read_usd,
    (sum(cache_write_5m_tokens * coalesce(price_cache_write_5m, 0) + cache_write_1h_tokens * coalesce(price_cache_write_1h, 0))
        * 0.000001)::DECIMAL(38, 12) AS list_cache_write_usd,
    (sum(output_tokens * coalesce(price_output, 0)) * 0.000001)::DECIMAL(38, 12) AS list_output_usd,
    (sum(reasoning_tokens * coalesce(price_reasoning, 0)) * 0.000001)::DECIMAL(38, 12) AS list_reasoning_usd,
    sum(list_cost_usd) FILTER (WHERE reported_cost_usd IS NOT NULL)::DECIMAL(38, 12) AS computed_list_usd,
    sum(effective_cost_usd) FILTER (WHERE reported_cost_usd IS NOT NULL)::DECIMAL(38, 12) AS computed_effective_usd,
    sum(reported_cost_usd) FILTER (WHERE list_cost_usd IS NOT NULL)::DECIMAL(38, 12) AS reported_usd
FROM int_request_costs
WHERE pricing_status = 'priced'
GROUP BY ALL;
