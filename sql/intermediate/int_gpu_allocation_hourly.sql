-- int_gpu_allocation_hourly — grain: one row per (deployment_id, hour, driver, idle_policy, tenant, team).
-- Splits each deployment-hour's GPU bill over the tenants it served, in integer micro-dollars, so the
-- parts always sum to the bill exactly:
--   drivers     tokens          = prompt + completion tokens
--               weighted_tokens = prompt + completion × decode_token_weight (decode steps hold the GPU
--                                 longer per token than prefill; the weight is a cost setting)
--               gpu_seconds     = request-milliseconds in flight (latency), a proxy for GPU time held
--   idle policy proportional    = the whole bill goes to the tenants by driver share
--               separate        = tenants get bill × busy_fraction; the rest is tenant '__idle__'
-- An hour without traffic is all '__idle__' under both policies (nobody to charge).  Each tenant gets
-- floor(workload × weight / Σ weight); the leftover micro-dollars go one each to the largest
-- remainders (ties by tenant, team), the largest-remainder method.  A driver whose weights are all
-- zero in an hour (e.g. no latencies recorded) splits equally.
-- An hour's split reads only that hour's bill and traffic: after an ingest, the days it touched are redone.
-- incremental: hour by day
-- shadow: hour by day
CREATE OR REPLACE TABLE int_gpu_allocation_hourly AS
WITH usage AS (
    SELECT deployment AS deployment_id, hour, tenant, team,
        sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
        sum(latency_ms) AS latency_ms, sum(requests)::BIGINT AS requests
    FROM int_self_hosted_hourly
    GROUP BY ALL
),
drivers AS (
    SELECT u.*, d.driver,
        CASE d.driver
            WHEN 'tokens' THEN (prompt_tokens + completion_tokens)::HUGEINT
            WHEN 'weighted_tokens' THEN round((prompt_tokens + completion_tokens * s.decode_token_weight) * 1000)::HUGEINT
            WHEN 'gpu_seconds' THEN round(latency_ms)::HUGEINT
        END AS raw_weight
    FROM usage u
    CROSS JOIN (VALUES ('tokens'), ('weighted_tokens'), ('gpu_seconds')) d(driver)
    CROSS JOIN stg_cost_settings s
),
weighted AS (
    SELECT *, CASE WHEN sum(raw_weight) OVER w = 0 THEN 1::HUGEINT ELSE raw_weight END AS weight
    FROM drivers
    WINDOW w AS (PARTITION BY deployment_id, hour, driver)
),
bills AS (
    SELECT g.deployment_id, g.hour, g.model, g.gpu_count, p.idle_policy,
        (g.gpu_cost_usd * 1000000)::HUGEINT AS bill_micro,
        CASE WHEN p.idle_policy = 'proportional' THEN (g.gpu_cost_usd * 1000000)::HUGEINT
             ELSE round(g.gpu_cost_usd * 1000000 * g.busy_fraction)::HUGEINT END AS workload_micro
    FROM int_gpu_hourly g
    CROSS JOIN (VALUES ('proportional'), ('separate')) p(idle_policy)
    WHERE g.gpu_cost_usd IS NOT NULL
),
shares AS (
    SELECT b.deployment_id, b.hour, b.model, b.idle_policy, w.driver, w.tenant, w.team, w.requests,
        w.prompt_tokens, w.completion_tokens, b.bill_micro, b.workload_micro,
        (b.workload_micro * w.weight) // sum(w.weight) OVER k AS floor_micro,
        (b.workload_micro * w.weight) % sum(w.weight) OVER k AS remainder
    FROM bills b
    JOIN weighted w ON w.deployment_id = b.deployment_id AND w.hour = b.hour
    WINDOW k AS (PARTITION BY b.deployment_id, b.hour, b.idle_policy, w.driver)
),
ranked AS (
    SELECT *,
        workload_micro - sum(floor_micro) OVER k AS leftover,
        row_number() OVER (PARTITION BY deployment_id, hour, idle_policy, driver
                           ORDER BY remainder DESC, tenant, team) AS remainder_rank
    FROM shares
    WINDOW k AS (PARTITION BY deployment_id, hour, idle_policy, driver)
),
tenants AS (
    SELECT deployment_id, hour, model, driver, idle_policy, tenant, team, requests, prompt_tokens, completion_tokens,
        (floor_micro + CASE WHEN remainder_rank <= leftover THEN 1 ELSE 0 END)::BIGINT AS allocated_micro
    FROM ranked
),
idle AS (
    SELECT b.deployment_id, b.hour, b.model, d.driver, b.idle_policy, '__idle__' AS tenant, '' AS team,
        0 AS requests, 0 AS prompt_tokens, 0 AS completion_tokens,
        (b.bill_micro - CASE WHEN EXISTS (SELECT 1 FROM usage u WHERE u.deployment_id = b.deployment_id
                                         AND u.hour = b.hour) THEN b.workload_micro ELSE 0 END)::BIGINT
            AS allocated_micro
    FROM bills b
    CROSS JOIN (VALUES ('tokens'), ('weighted_tokens'), ('gpu_seconds')) d(driver)
)
SELECT * FROM tenants
UNION ALL
SELECT * FROM idle WHERE allocated_micro <> 0;
