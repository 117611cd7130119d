-- chargeback_kpis — grain: one row for the filter set: the statement lines' cents (tokenomics/chargeback.py
-- fixed them once; registered as chargeback_lines) by section — the same figures a statement, its CSV and
-- the exports show — plus requests and the unpriced share.
SELECT
    coalesce(sum(effective_usd), 0)::DECIMAL(18, 2) AS total_usd,
    coalesce(sum(effective_usd) FILTER (WHERE section = 'api'), 0)::DECIMAL(18, 2) AS api_usd,
    coalesce(sum(list_usd) FILTER (WHERE section = 'api'), 0)::DECIMAL(18, 2) AS api_list_usd,
    coalesce(sum(discount_usd) FILTER (WHERE section = 'api'), 0)::DECIMAL(18, 2) AS discount_usd,
    coalesce(sum(effective_usd) FILTER (WHERE section IN ('self_hosted', 'idle_share')), 0)::DECIMAL(18, 2)
        AS self_hosted_usd,
    coalesce(sum(effective_usd) FILTER (WHERE section = 'idle_share'), 0)::DECIMAL(18, 2) AS idle_share_usd,
    coalesce(sum(effective_usd) FILTER (WHERE section = 'idle'), 0)::DECIMAL(18, 2) AS idle_usd,
    -- idle GPU time in all (= bill − busy time, the GPU fleet page's idle cost), charged to tenants or not
    coalesce(sum(effective_usd) FILTER (WHERE section IN ('idle_share', 'idle')), 0)::DECIMAL(18, 2) AS idle_total_usd,
    coalesce(sum(requests), 0)::BIGINT AS requests,
    coalesce(sum(unpriced_requests), 0)::BIGINT AS unpriced_requests,
    coalesce(sum(unpriced_requests) / nullif(sum(requests), 0), 0) AS unpriced_share,
    coalesce(sum(input_tokens + output_tokens), 0)::BIGINT AS tokens,
    (sum(effective_usd) FILTER (WHERE section <> 'idle') * 1000000
        / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok,
    count(DISTINCT tenant) FILTER (WHERE section <> 'idle') AS tenants
FROM chargeback_lines
WHERE in_scope($tenants, tenant) AND in_scope($providers, provider) AND in_scope($models, model)
