-- int_request_tier_prices — grain: one row per priced API request (source, request_id): its list cost at
-- the standard, the batch and the flex tier of the same provider/model/context tier in force at its start
-- (NULL where that tier has no card or lacks a price the request needs), plus what the batch advisor
-- needs to judge latency tolerance.  Standard vs batch (asynchronous) and flex (synchronous, slower, may be
-- refused when the vendor is busy) is the whole batch-vs-realtime question.
-- A view: mart_batch_daily is its only reader.
CREATE OR REPLACE VIEW int_request_tier_prices AS
WITH req AS (
    SELECT source, request_id, start_time, day, tenant, team, provider, model, service_tier, is_stream, tagged_offline,
        latency_ms, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
        output_tokens, reasoning_tokens, prompt_tokens, list_cost_usd, discount_pct, effective_cost_usd
    FROM int_request_costs
    WHERE pricing_status = 'priced'
)
-- one card per tier matches (valid windows and context tiers do not overlap): two equality + range
-- LEFT JOINs (in_force, in_tier: sql/macros/rate_card.sql), without OR so they run as hash joins
SELECT req.*,
    extract('hour' FROM req.start_time) AS hour_utc,
    -- a standard request's standard price is its own list cost: only look up what is missing
    (CASE WHEN req.service_tier = 'standard' THEN req.list_cost_usd
          WHEN st.model IS NOT NULL THEN token_cost(req.uncached_input_tokens, req.cache_read_tokens, req.cache_write_5m_tokens,
                          req.cache_write_1h_tokens, req.output_tokens, req.reasoning_tokens,
                          st.uncached_input_micro_per_mtok, st.cache_read_micro_per_mtok, st.cache_write_5m_micro_per_mtok,
                          st.cache_write_1h_micro_per_mtok, st.output_micro_per_mtok, st.reasoning_micro_per_mtok)
     END)::DECIMAL(38, 12) AS standard_list_usd,
    (CASE WHEN bt.model IS NOT NULL  -- no card: NULL, even for a request without tokens
          THEN token_cost(req.uncached_input_tokens, req.cache_read_tokens, req.cache_write_5m_tokens,
                          req.cache_write_1h_tokens, req.output_tokens, req.reasoning_tokens,
                          bt.uncached_input_micro_per_mtok, bt.cache_read_micro_per_mtok, bt.cache_write_5m_micro_per_mtok,
                          bt.cache_write_1h_micro_per_mtok, bt.output_micro_per_mtok, bt.reasoning_micro_per_mtok)
     END)::DECIMAL(38, 12) AS batch_list_usd,
    (CASE WHEN ft.model IS NOT NULL
          THEN token_cost(req.uncached_input_tokens, req.cache_read_tokens, req.cache_write_5m_tokens,
                          req.cache_write_1h_tokens, req.output_tokens, req.reasoning_tokens,
                          ft.uncached_input_micro_per_mtok, ft.cache_read_micro_per_mtok, ft.cache_write_5m_micro_per_mtok,
                          ft.cache_write_1h_micro_per_mtok, ft.output_micro_per_mtok, ft.reasoning_micro_per_mtok)
     END)::DECIMAL(38, 12) AS flex_list_usd
FROM req
LEFT JOIN stg_rate_cards st
    ON st.provider = req.provider AND st.model = req.model AND st.service_tier = 'standard'
    AND req.service_tier <> 'standard'
    AND in_force(req.start_time, st.valid_from, st.valid_to)
    AND in_tier(req.prompt_tokens, st.min_input_tokens, st.max_input_tokens)
LEFT JOIN stg_rate_cards bt
    ON bt.provider = req.provider AND bt.model = req.model AND bt.service_tier = 'batch'
    AND in_force(req.start_time, bt.valid_from, bt.valid_to)
    AND in_tier(req.prompt_tokens, bt.min_input_tokens, bt.max_input_tokens)
LEFT JOIN stg_rate_cards ft
    ON ft.provider = req.provider AND ft.model = req.model AND ft.service_tier = 'flex'
    AND in_force(req.start_time, ft.valid_from, ft.valid_to)
    AND in_tier(req.prompt_tokens, ft.min_input_tokens, ft.max_input_tokens);
