-- mart_gpu_allocation_daily — grain: one row per (day, deployment_id, driver, idle_policy, tenant, team).
-- Self-hosted GPU cost charged to each tenant (and '__idle__'), by driver and idle policy; Σ over tenants
-- of a (day, deployment, driver, policy) equals that day's GPU bill exactly.
-- incremental: day by day
CREATE OR REPLACE TABLE mart_gpu_allocation_daily AS
SELECT
    hour::DATE AS day, deployment_id, model, driver, idle_policy, tenant, team,
    sum(requests) AS requests,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens,
    (sum(allocated_micro) * 0.000001)::DECIMAL(38, 6) AS allocated_usd
FROM int_gpu_allocation_hourly
GROUP BY ALL;
