-- stg_budgets — grain: one row per (tenant, month).
CREATE OR REPLACE VIEW stg_budgets AS
SELECT tenant, month, budget_usd FROM budgets;
