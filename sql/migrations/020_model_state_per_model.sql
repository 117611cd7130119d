-- Migration 020: per-model build state.  Reference tables whose rows are effective-dated say so in their comment
-- ('reference, effective from <column>'): a change to one re-prices from the earliest validity start it touches,
-- not all history.  model_reference_rows keeps, per such table, each row's hash and validity start as the last
-- build priced with them, so the next build finds the rows added or removed since.
COMMENT ON TABLE rate_cards IS 'reference, effective from valid_from: list prices per provider, model, tier';
COMMENT ON TABLE contract_discounts IS 'reference, effective from valid_from: negotiated discounts';
COMMENT ON TABLE gpu_rates IS 'reference, effective from valid_from: $/GPU-hour per rate reference';
CREATE TABLE IF NOT EXISTS model_reference_rows (
    -- grain: one row per row of an effective-dated reference table as of the last build
    table_name VARCHAR NOT NULL,
    row_hash   UBIGINT NOT NULL,
    effective  TIMESTAMPTZ
);
COMMENT ON TABLE model_reference_rows IS 'engine: effective-dated reference rows the last build priced with';
