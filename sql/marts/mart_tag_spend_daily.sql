-- mart_tag_spend_daily — grain: one row per (day, tenant, tag) for API requests carrying the tag.
-- A request with several tags counts under each of them, so tags do not add up to the tenant total
-- (the page says so); untagged requests appear under '(untagged)'.
-- incremental: day by day
CREATE OR REPLACE TABLE mart_tag_spend_daily AS
SELECT day, tenant, tag, count(*) AS requests,
    sum(prompt_tokens + completion_tokens) AS tokens,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS effective_cost_usd
FROM (
    SELECT c.day, c.tenant, c.prompt_tokens, c.completion_tokens, c.effective_cost_usd, t.tag
    FROM int_request_costs c
    CROSS JOIN unnest(CASE WHEN len(coalesce(c.tags, [])) = 0 THEN ['(untagged)'] ELSE c.tags END) AS t(tag)
    WHERE c.pricing_status IN ('priced', 'unpriced')
)
GROUP BY ALL;
