-- mart_batch_daily — grain: one row per (day, tenant, provider, model, service_tier, latency_class).
-- Batch vs realtime: what priced API traffic costs now, at the standard tier and at the vendor's batch
-- tier (same model, time and context tier).  latency_class says how latency-tolerant it looks:
--   batch          already on the batch tier (realised saving = standard − batch list)
--   tagged_offline tagged workload:offline / offline / batch by the caller
--   off_hours      non-streaming and started 00:00–05:59 UTC
--   slow           non-streaming and took ≥ 30 s (the caller already waits)
--   non_streaming  other non-streaming traffic (possible, not obvious)
--   interactive    streaming: a person is waiting — not a candidate
-- Move-to-batch saving = effective now − batch list × (1 − discount); NULL where no batch card exists.
-- Move-to-flex saving = the same at the flex tier (synchronous, slower, refused when the vendor is busy), for traffic
-- on neither the batch nor the flex tier; NULL where no flex card exists.
-- incremental: day by day, summing requests, requests_with_batch_price, requests_with_latency, latency_ms_sum, effective_cost_usd, standard_list_usd, batch_list_usd, realised_batch_savings_usd, move_to_batch_savings_usd, requests_with_flex_price, move_to_flex_savings_usd
CREATE OR REPLACE TABLE mart_batch_daily AS
WITH classified AS (
    SELECT *,
        CASE
            WHEN service_tier = 'batch' THEN 'batch'
            WHEN tagged_offline THEN 'tagged_offline'
            WHEN is_stream THEN 'interactive'
            WHEN hour_utc < 6 THEN 'off_hours'
            WHEN latency_ms >= 30000 THEN 'slow'
            ELSE 'non_streaming'
        END AS latency_class
    FROM int_request_tier_prices
),
-- summed per discount rate first, so the discount (net_of_discount, sql/macros/pricing.sql) applies to a sum
-- rather than to every request
by_discount AS (
    SELECT day, tenant, provider, model, service_tier, latency_class, discount_pct,
        count(*) AS requests,
        count(batch_list_usd) AS requests_with_batch_price,
        count(latency_ms) AS requests_with_latency,  -- a source may not say (Bedrock without metrics)
        sum(latency_ms) AS latency_ms_sum,
        sum(effective_cost_usd) AS effective_cost_usd,
        sum(standard_list_usd) AS standard_list_usd,
        sum(batch_list_usd) AS batch_list_usd,
        sum(CASE WHEN service_tier = 'batch' THEN standard_list_usd - list_cost_usd END) AS batch_tier_gap_usd,
        sum(CASE WHEN service_tier <> 'batch' AND batch_list_usd IS NOT NULL THEN effective_cost_usd END) AS movable_effective_usd,
        sum(CASE WHEN service_tier <> 'batch' THEN batch_list_usd END) AS movable_batch_list_usd,
        count(flex_list_usd) AS requests_with_flex_price,
        sum(CASE WHEN service_tier NOT IN ('batch', 'flex') AND flex_list_usd IS NOT NULL THEN effective_cost_usd END)
            AS flex_movable_effective_usd,
        sum(CASE WHEN service_tier NOT IN ('batch', 'flex') THEN flex_list_usd END) AS movable_flex_list_usd
    FROM classified
    GROUP BY ALL
)
SELECT day, tenant, provider, model, service_tier, latency_class,
    sum(requests)::BIGINT AS requests,
    sum(requests_with_batch_price)::BIGINT AS requests_with_batch_price,
    sum(requests_with_latency)::BIGINT AS requests_with_latency,
    sum(latency_ms_sum)::BIGINT AS latency_ms_sum,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS effective_cost_usd,
    sum(standard_list_usd)::DECIMAL(38, 12) AS standard_list_usd,
    sum(batch_list_usd)::DECIMAL(38, 12) AS batch_list_usd,
    sum(net_of_discount(batch_tier_gap_usd, discount_pct))::DECIMAL(38, 12) AS realised_batch_savings_usd,
    sum(movable_effective_usd - net_of_discount(movable_batch_list_usd, discount_pct))::DECIMAL(38, 12)
        AS move_to_batch_savings_usd,
    sum(requests_with_flex_price)::BIGINT AS requests_with_flex_price,
    sum(flex_movable_effective_usd - net_of_discount(movable_flex_list_usd, discount_pct))::DECIMAL(38, 12)
        AS move_to_flex_savings_usd
FROM by_discount
GROUP BY day, tenant, provider, model, service_tier, latency_class;
