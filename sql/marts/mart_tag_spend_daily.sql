-- mart_tag_spend_daily — grain: one row per (day, tenant, tag) for API requests carrying the tag.
-- A request with several tags counts under each of them, so tags do not add up to the tenant total
-- (the page says so); untagged requests appear under '(untagged)'.
-- incremental: day by day, summing requests, tokens, effective_cost_usd
CREATE OR REPLACE TABLE mart_tag_spend_daily AS
WITH by_tag_set AS (
    -- requests share few distinct tag lists: sum per list first, unnest the handful of groups after
    SELECT day, tenant, tags, count(*) AS requests, sum(prompt_tokens + completion_tokens)::BIGINT AS tokens,
        sum(effective_cost_usd) AS effective_cost_usd
    FROM int_request_costs
    WHERE pricing_status IN ('priced', 'unpriced')
    GROUP BY ALL
)
SELECT day, tenant, tag, sum(requests)::BIGINT AS requests, sum(tokens)::BIGINT AS tokens,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS effective_cost_usd
FROM by_tag_set
CROSS JOIN unnest(CASE WHEN len(coalesce(tags, [])) = 0 THEN ['(untagged)'] ELSE tags END) AS t(tag)
GROUP BY ALL;
