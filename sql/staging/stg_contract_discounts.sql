-- stg_contract_discounts — grain: one row per (contract_id, provider, model_pattern, valid_from).
CREATE OR REPLACE VIEW stg_contract_discounts AS
SELECT contract_id, provider, model_pattern, discount_pct, valid_from, valid_to
FROM contract_discounts;
