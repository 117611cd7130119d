-- filter_options — grain: one row per (kind, value): the tenants, providers and models the global
-- filters offer, limited to the tenants in scope (biggest spenders first).
SELECT kind, value FROM (
    SELECT 'tenant' AS kind, tenant AS value, sum(effective_cost_usd) AS spend FROM mart_ledger_daily
    WHERE in_scope($tenants, tenant) AND tenant <> '__idle__' GROUP BY ALL
    UNION ALL
    SELECT 'provider', provider, sum(effective_cost_usd) FROM mart_ledger_daily WHERE in_scope($tenants, tenant) GROUP BY ALL
    UNION ALL
    SELECT 'model', model, sum(effective_cost_usd) FROM mart_ledger_daily WHERE in_scope($tenants, tenant) GROUP BY ALL
)
ORDER BY kind, spend DESC NULLS LAST, value
