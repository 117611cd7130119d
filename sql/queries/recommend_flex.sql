-- recommend_flex — grain: one row per (provider, model): API traffic in the period that nobody streams but that the batch
-- advisor does not call latency-tolerant (class non_streaming: a caller waits for the answer), and what the vendor's
-- flex tier (synchronous, slower, refused when the vendor is busy) saves on it — mart_batch_daily's own numbers,
-- summed over tenants.  Disjoint from recommend_batch's traffic, so the two savings add up.
SELECT provider, model, sum(requests)::BIGINT AS requests,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS today_usd,
    sum(move_to_flex_savings_usd)::DECIMAL(38, 12) AS saving_usd
FROM mart_batch_daily
WHERE latency_class = 'non_streaming' AND move_to_flex_savings_usd IS NOT NULL
  AND day BETWEEN $start AND $end
GROUP BY ALL
HAVING sum(move_to_flex_savings_usd) > 0
ORDER BY saving_usd DESC, provider, model
