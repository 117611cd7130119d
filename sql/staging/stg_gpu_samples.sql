-- stg_gpu_samples — grain: one row per (host, gpu_uuid, ts) reading, with its hour bucket.
CREATE OR REPLACE VIEW stg_gpu_samples AS
SELECT ts, date_trunc('hour', ts) AS hour, host, gpu_uuid, gpu_name,
    util_gpu_pct, util_mem_pct, mem_used_mib, mem_total_mib, power_w, power_limit_w
FROM raw_gpu_samples;
