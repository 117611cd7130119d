-- batch_classes — grain: one row per latency class in scope: traffic, cost now, the batch-tier price,
-- savings realised (already batch) and available (moving latency-tolerant traffic to batch; any traffic on neither
-- tier to flex, where the vendor has one), and mean latency.
SELECT latency_class, sum(requests)::BIGINT AS requests, sum(requests_with_batch_price)::BIGINT AS with_batch_price,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    sum(batch_list_usd)::DECIMAL(18, 2) AS batch_list_usd,
    coalesce(sum(realised_batch_savings_usd), 0)::DECIMAL(18, 2) AS realised_savings_usd,
    coalesce(sum(move_to_batch_savings_usd), 0)::DECIMAL(18, 2) AS move_to_batch_savings_usd,
    coalesce(sum(move_to_flex_savings_usd), 0)::DECIMAL(18, 2) AS move_to_flex_savings_usd,
    round(sum(latency_ms_sum) / nullif(sum(requests_with_latency), 0) / 1000, 1) AS mean_latency_s,
    latency_class IN ('tagged_offline', 'off_hours', 'slow') AS candidate
FROM mart_batch_daily
WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
  AND in_scope($models, model)
GROUP BY latency_class
ORDER BY candidate DESC, move_to_batch_savings_usd DESC
