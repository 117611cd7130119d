-- stg_gpu_rates — grain: one row per (rate_ref, valid_from); valid_to defaults to the next row's valid_from.
-- usd_per_kwh / pue are set for owned GPUs (energy billed from telemetry on top of the hourly rate).
CREATE OR REPLACE VIEW stg_gpu_rates AS
SELECT rate_ref, gpu_type, kind, usd_per_gpu_hour, usd_per_kwh, pue, valid_from,
    coalesce(valid_to, lead(valid_from) OVER (PARTITION BY rate_ref ORDER BY valid_from)) AS valid_to
FROM gpu_rates;
