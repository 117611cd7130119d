-- recommend_batch — grain: one row per (provider, model): latency-tolerant API traffic in the period and what moving
-- it to the vendor's batch tier saves — the batch advisor's own numbers (mart_batch_daily), summed over tenants.
SELECT provider, model, sum(requests)::BIGINT AS requests,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS today_usd,
    sum(move_to_batch_savings_usd)::DECIMAL(38, 12) AS saving_usd,
    string_agg(DISTINCT latency_class, ', ' ORDER BY latency_class) AS latency_classes
FROM mart_batch_daily
WHERE latency_class IN ('tagged_offline', 'off_hours', 'slow') AND move_to_batch_savings_usd IS NOT NULL
  AND day BETWEEN $start AND $end
GROUP BY ALL
HAVING sum(move_to_batch_savings_usd) > 0
ORDER BY saving_usd DESC, provider, model
