-- mart_cache_savings_daily — grain: one row per (day, tenant, provider, model, mechanism).
-- What caching saved, as counterfactual minus actual, at list prices (and net of contract discount):
--   provider_prompt_cache  gross = cache-read tokens × (input price − cache-read price);
--                          premium = 5m writes × (5m write − input) + 1h writes × (1h write − input);
--                          net = gross − premium (negative when writes are not read back enough)
--   gateway_cache          gross = net = the avoided request at the list price it would have had
--   self_hosted_prefix     gross = net = cached prompt tokens × prefill GPU-seconds per token ×
--                          the deployment's $/GPU-second that hour (ref_deployment_perf: the what-if
--                          model's estimate of prefill time for the deployment's GPU, model and precision)
-- incremental: day by day, summing requests, cached_tokens, cache_write_tokens, gross_savings_usd, write_premium_usd, net_savings_usd, net_savings_effective_usd
CREATE OR REPLACE TABLE mart_cache_savings_daily AS
-- the API mechanisms summed per discount rate first, so the discount (net_of_discount, sql/macros/pricing.sql:
-- the ledger's rounding) applies to a sum rather than to every request
WITH provider_by_discount AS (
    SELECT day, tenant, provider, model, discount_pct,
        count(*) FILTER (WHERE cache_read_tokens > 0) AS requests,
        sum(cache_read_tokens) AS cached_tokens,
        sum(cache_write_5m_tokens + cache_write_1h_tokens) AS cache_write_tokens,
        sum(cache_read_tokens * (price_uncached_input - price_cache_read)) * 0.000001 AS gross_usd,
        sum(cache_write_5m_tokens * coalesce(price_cache_write_5m - price_uncached_input, 0)
            + cache_write_1h_tokens * coalesce(price_cache_write_1h - price_uncached_input, 0)) * 0.000001 AS premium_usd
    FROM int_request_costs
    WHERE pricing_status = 'priced' AND (cache_read_tokens > 0 OR cache_write_5m_tokens > 0 OR cache_write_1h_tokens > 0)
    GROUP BY ALL
),
provider AS (
    SELECT day, tenant, provider, model, 'provider_prompt_cache' AS mechanism,
        sum(requests)::BIGINT AS requests, sum(cached_tokens) AS cached_tokens,
        sum(cache_write_tokens) AS cache_write_tokens, sum(gross_usd) AS gross_usd, sum(premium_usd) AS premium_usd,
        sum(net_of_discount(gross_usd - premium_usd, discount_pct)) AS net_effective_usd
    FROM provider_by_discount
    GROUP BY ALL
),
gateway AS (
    SELECT day, tenant, provider, model, 'gateway_cache' AS mechanism, sum(requests)::BIGINT AS requests,
        sum(cached_tokens) AS cached_tokens, 0 AS cache_write_tokens,
        sum(gross_usd) AS gross_usd, 0 AS premium_usd,
        sum(net_of_discount(gross_usd, discount_pct)) AS net_effective_usd
    FROM (SELECT day, tenant, provider, model, discount_pct, count(*) AS requests, sum(prompt_tokens) AS cached_tokens,
              sum(avoided_list_usd) AS gross_usd
          FROM int_request_costs
          WHERE pricing_status = 'gateway_cache_hit' AND avoided_list_usd IS NOT NULL
          GROUP BY ALL)
    GROUP BY ALL
),
self_hosted AS (
    SELECT r.day, r.tenant, r.provider, r.model, 'self_hosted_prefix' AS mechanism,
        count(*) AS requests, sum(r.cache_read_tokens) AS cached_tokens, 0 AS cache_write_tokens,
        -- an estimate (seconds per token come from the perf model), fixed per request at 12 decimals so the
        -- day's total is the same however its requests are grouped
        sum((r.cache_read_tokens * p.prefill_gpu_seconds_per_token * h.capacity_cost_usd / h.gpu_count / 3600)
            ::DECIMAL(38, 12)) AS gross_usd,
        0 AS premium_usd,
        sum((r.cache_read_tokens * p.prefill_gpu_seconds_per_token * h.capacity_cost_usd / h.gpu_count / 3600)
            ::DECIMAL(38, 12)) AS net_effective_usd
    FROM int_request_costs r
    JOIN ref_deployment_perf p ON p.deployment_id = r.deployment
    JOIN int_gpu_capacity_hourly h ON h.deployment_id = r.deployment AND h.hour = date_trunc('hour', r.start_time)
    WHERE r.pricing_status = 'self_hosted' AND r.cache_read_tokens > 0
    GROUP BY ALL
)
SELECT day, tenant, provider, model, mechanism, requests, cached_tokens, cache_write_tokens,
    gross_usd::DECIMAL(38, 12) AS gross_savings_usd,
    premium_usd::DECIMAL(38, 12) AS write_premium_usd,
    (gross_usd - premium_usd)::DECIMAL(38, 12) AS net_savings_usd,
    net_effective_usd::DECIMAL(38, 12) AS net_savings_effective_usd
FROM (SELECT * FROM provider UNION ALL SELECT * FROM gateway UNION ALL SELECT * FROM self_hosted);
