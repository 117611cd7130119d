-- period — grain: one row: the first and last day with any cost in the ledger.
SELECT min(day) AS first_day, max(day) AS last_day FROM mart_ledger_daily
