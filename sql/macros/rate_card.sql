-- rate_card.sql — which effective-dated row is in force (rate cards, contract discounts, GPU rates) and which
-- context tier a prompt falls in.  A join on a rate card is: equality keys AND in_force(...) AND in_tier(...).
-- Written without OR so a join on them stays a hash join on the keys plus range filters.

-- in_force(ts, valid_from, valid_to): valid_from inclusive, valid_to exclusive, NULL valid_to open-ended
CREATE OR REPLACE TEMP MACRO in_force(ts, valid_from, valid_to) AS
    (ts >= valid_from AND ts < coalesce(valid_to, 'infinity'::TIMESTAMPTZ));

-- in_tier(prompt_tokens, min_input_tokens, max_input_tokens): the long-context tier a prompt of that size is billed
-- at: min inclusive, max (the next tier's min) exclusive, NULL max unbounded
CREATE OR REPLACE TEMP MACRO in_tier(prompt_tokens, min_input_tokens, max_input_tokens) AS
    (prompt_tokens >= min_input_tokens AND prompt_tokens < coalesce(max_input_tokens, 9223372036854775807));
