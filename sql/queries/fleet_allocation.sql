-- fleet_allocation — grain: one row per (deployment, tenant) in scope: the GPU cost charged to each
-- tenant (and '__idle__' for all-tenant roles) under the selected driver and idle policy.
SELECT deployment_id, tenant, sum(requests)::BIGINT AS requests,
    sum(prompt_tokens + completion_tokens)::BIGINT AS tokens, sum(allocated_usd)::DECIMAL(18, 2) AS allocated_usd
FROM mart_gpu_allocation_daily
WHERE day BETWEEN $start AND $end AND driver = $driver AND idle_policy = $idle_policy
  AND (in_scope($tenants, tenant) OR ($tenants IS NULL AND tenant = '__idle__'))
GROUP BY ALL
ORDER BY deployment_id, allocated_usd DESC, tenant
