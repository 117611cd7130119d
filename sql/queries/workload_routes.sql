-- workload_routes — grain: one row per provider/model with model-served traffic in the period
-- (optionally for one tenant): the what-if page's "traffic of route Y" choices, busiest first.
SELECT provider || '/' || model AS route, sum(requests)::BIGINT AS requests
FROM mart_usage_hourly
WHERE hour >= $start AND hour < $end + INTERVAL 1 DAY
  AND gateway_cache = 'miss'
  AND in_scope($tenants, tenant)
GROUP BY ALL
ORDER BY requests DESC, route
