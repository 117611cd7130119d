-- gpu_contract_rates — grain: one row per (rate_ref) in force on $day: your own $/GPU-hour rates
-- (committed, on-demand, owned) from ingested contract files, for the what-if page's "contract" tier.
SELECT rate_ref, gpu_type, kind, usd_per_gpu_hour
FROM stg_gpu_rates
WHERE in_force($day, valid_from, valid_to)
ORDER BY gpu_type, usd_per_gpu_hour
