-- statement_lines — grain: one row per (tenant, section, provider, model) for the days [$start, $period_end)
-- under one GPU allocation ($driver, $idle_policy): the exact amounts a statement's cents are fixed from
-- (tokenomics/chargeback.py; docs/cost_model.md rules 17–18).  Sections:
--   api          per-token vendor spend: list, contract discount, effective; unpriced requests counted
--   self_hosted  the tenant's share of its GPU deployments' busy time (the 'separate' policy's allocation)
--   idle_share   under 'proportional': the rest of what the tenant is charged (its share of idle GPU time
--                within the hours it used) — self_hosted + idle_share = the tenant's proportional allocation
--   idle         tenant '__idle__': GPU cost charged to no tenant (all idle under 'separate'; under
--                'proportional' only hours with no traffic at all)
WITH api AS (
    SELECT tenant, 'api' AS section, provider, model,
        sum(requests)::BIGINT AS requests, sum(unpriced_requests)::BIGINT AS unpriced_requests,
        sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
        sum(list_cost_usd)::DECIMAL(38, 12) AS list_usd, sum(effective_cost_usd)::DECIMAL(38, 12) AS effective_usd
    FROM mart_ledger_daily
    WHERE day >= $start AND day < $period_end AND cost_source = 'api'
    GROUP BY ALL
),
gpu AS (
    SELECT tenant, cost_source, model,
        coalesce(sum(requests) FILTER (WHERE idle_policy = $idle_policy), 0)::BIGINT AS requests,
        coalesce(sum(input_tokens) FILTER (WHERE idle_policy = $idle_policy), 0)::BIGINT AS input_tokens,
        coalesce(sum(output_tokens) FILTER (WHERE idle_policy = $idle_policy), 0)::BIGINT AS output_tokens,
        coalesce(sum(effective_cost_usd) FILTER (WHERE idle_policy = $idle_policy), 0)::DECIMAL(38, 12) AS charged,
        coalesce(sum(effective_cost_usd) FILTER (WHERE idle_policy = 'separate'), 0)::DECIMAL(38, 12) AS busy
    FROM mart_ledger_daily
    WHERE day >= $start AND day < $period_end AND driver = $driver AND cost_source IN ('self_hosted', 'idle')
    GROUP BY ALL
)
SELECT * FROM api
UNION ALL
SELECT tenant, 'self_hosted', 'self-hosted', model, requests, 0, input_tokens, output_tokens, busy, busy
FROM gpu WHERE cost_source = 'self_hosted'
UNION ALL
SELECT tenant, 'idle_share', 'self-hosted', model, 0, 0, 0, 0, charged - busy, charged - busy
FROM gpu WHERE cost_source = 'self_hosted' AND $idle_policy = 'proportional' AND charged <> busy
UNION ALL
SELECT tenant, 'idle', 'self-hosted', model, 0, 0, 0, 0, charged, charged
FROM gpu WHERE cost_source = 'idle' AND charged <> 0
ORDER BY tenant, section, provider, model
