-- int_request_tier_prices — grain: one row per priced API request (source, request_id): its list cost at
-- the standard and at the batch tier of the same provider/model/context tier in force at its start
-- (NULL where that tier has no card or lacks a price the request needs), plus what the batch advisor
-- needs to judge latency tolerance.  Standard vs batch is the whole batch-vs-realtime question.
-- A view: mart_batch_daily is its only reader.
CREATE OR REPLACE VIEW int_request_tier_prices AS
WITH req AS (
    SELECT source, request_id, start_time, day, tenant, team, provider, model, service_tier, is_stream, tagged_offline,
        latency_ms, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
        output_tokens, reasoning_tokens, prompt_tokens, list_cost_usd, discount_pct, effective_cost_usd
    FROM int_request_costs
    WHERE pricing_status = 'priced'
),
tiered AS (
    SELECT req.source, req.request_id, rc.service_tier AS card_tier,
        token_cost(req.uncached_input_tokens, req.cache_read_tokens, req.cache_write_5m_tokens,
                   req.cache_write_1h_tokens, req.output_tokens, req.reasoning_tokens,
                   rc.uncached_input_usd_per_mtok, rc.cache_read_usd_per_mtok, rc.cache_write_5m_usd_per_mtok,
                   rc.cache_write_1h_usd_per_mtok, rc.output_usd_per_mtok, rc.reasoning_usd_per_mtok) AS list_usd
    FROM req
    JOIN stg_rate_cards rc
        ON rc.provider = req.provider AND rc.model = req.model
        -- a standard request's standard price is its own list cost: only look up what is missing
        AND (rc.service_tier = 'batch' OR (rc.service_tier = 'standard' AND req.service_tier <> 'standard'))
        AND req.start_time >= rc.valid_from AND (rc.valid_to IS NULL OR req.start_time < rc.valid_to)
        AND req.prompt_tokens >= rc.min_input_tokens
        AND (rc.max_input_tokens IS NULL OR req.prompt_tokens < rc.max_input_tokens)
),
pivoted AS (
    SELECT source, request_id,
        max(list_usd) FILTER (WHERE card_tier = 'standard') AS standard_list_usd,
        max(list_usd) FILTER (WHERE card_tier = 'batch') AS batch_list_usd
    FROM tiered
    GROUP BY source, request_id
)
SELECT req.*,
    extract('hour' FROM req.start_time) AS hour_utc,
    (CASE WHEN req.service_tier = 'standard' THEN req.list_cost_usd ELSE p.standard_list_usd END)::DECIMAL(38, 12)
        AS standard_list_usd,
    p.batch_list_usd::DECIMAL(38, 12) AS batch_list_usd
FROM req
LEFT JOIN pivoted p USING (source, request_id);
