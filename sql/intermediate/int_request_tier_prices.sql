-- int_request_tier_prices — grain: one row per priced API request (source, request_id): its list cost at
-- the standard and at the batch tier of the same provider/model/context tier in force at its start
-- (NULL where that tier has no card or lacks a price the request needs), plus what the batch advisor
-- needs to judge latency tolerance.  Standard vs batch is the whole batch-vs-realtime question.
CREATE OR REPLACE TABLE int_request_tier_prices AS
WITH req AS (
    SELECT source, request_id, start_time, day, tenant, team, provider, model, service_tier, is_stream, tags,
        latency_ms, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
        output_tokens, reasoning_tokens, prompt_tokens, list_cost_usd, discount_pct, effective_cost_usd
    FROM int_request_costs
    WHERE pricing_status = 'priced'
),
tiered AS (
    SELECT req.source, req.request_id, rc.service_tier AS card_tier,
        CASE WHEN (req.uncached_input_tokens > 0 AND rc.uncached_input_usd_per_mtok IS NULL)
              OR (req.cache_read_tokens > 0 AND rc.cache_read_usd_per_mtok IS NULL)
              OR (req.cache_write_5m_tokens > 0 AND rc.cache_write_5m_usd_per_mtok IS NULL)
              OR (req.cache_write_1h_tokens > 0 AND rc.cache_write_1h_usd_per_mtok IS NULL)
              OR (req.output_tokens > 0 AND rc.output_usd_per_mtok IS NULL)
              OR (req.reasoning_tokens > 0 AND rc.reasoning_usd_per_mtok IS NULL) THEN NULL
        ELSE (req.uncached_input_tokens * coalesce(rc.uncached_input_usd_per_mtok, 0)
            + req.cache_read_tokens * coalesce(rc.cache_read_usd_per_mtok, 0)
            + req.cache_write_5m_tokens * coalesce(rc.cache_write_5m_usd_per_mtok, 0)
            + req.cache_write_1h_tokens * coalesce(rc.cache_write_1h_usd_per_mtok, 0)
            + req.output_tokens * coalesce(rc.output_usd_per_mtok, 0)
            + req.reasoning_tokens * coalesce(rc.reasoning_usd_per_mtok, 0)) * 0.000001 END AS list_usd
    FROM req
    JOIN stg_rate_cards rc
        ON rc.provider = req.provider AND rc.model = req.model
        AND rc.service_tier IN ('standard', 'batch')
        AND req.start_time >= rc.valid_from AND (rc.valid_to IS NULL OR req.start_time < rc.valid_to)
        AND req.prompt_tokens >= rc.min_input_tokens
        AND (rc.max_input_tokens IS NULL OR req.prompt_tokens < rc.max_input_tokens)
)
SELECT req.*,
    extract('hour' FROM req.start_time) AS hour_utc,
    (max(t.list_usd) FILTER (WHERE t.card_tier = 'standard'))::DECIMAL(38, 12) AS standard_list_usd,
    (max(t.list_usd) FILTER (WHERE t.card_tier = 'batch'))::DECIMAL(38, 12) AS batch_list_usd
FROM req
LEFT JOIN tiered t USING (source, request_id)
GROUP BY ALL;
