-- nvidia-smi rows read by nvidia_smi_read.sql (_gpu_read) → checked, deduplicated raw_gpu_samples.
-- grain of _gpu_rows: one row per CSV data line.
CREATE OR REPLACE TEMP TABLE _gpu_rows AS
WITH typed AS (
    SELECT line_no,
        concat_ws(',', ts_raw, gpu_name, pci_bus_id, gpu_uuid, util_gpu_raw, util_mem_raw, mem_used_raw,
                  mem_total_raw, power_raw, power_limit_raw) AS raw,
        timezone($tz, try_strptime(trim(ts_raw), ['%Y/%m/%d %H:%M:%S.%g', '%Y/%m/%d %H:%M:%S'])) AS ts,
        trim(gpu_uuid) AS gpu_uuid,
        coalesce(trim(gpu_name), 'unknown') AS gpu_name,
        util_gpu_raw, _num(util_gpu_raw) AS util_gpu,
        _num(util_mem_raw) AS util_mem,
        _num(mem_used_raw) AS mem_used,
        _num(mem_total_raw) AS mem_total,
        _num(power_raw) AS power,
        power_raw,
        _num(power_limit_raw) AS power_limit
    FROM _gpu_read
)
SELECT *,
    list_filter([
        CASE WHEN ts IS NULL THEN 'timestamp is not YYYY/MM/DD HH:MM:SS.mmm' END,
        CASE WHEN coalesce(gpu_uuid, '') = '' THEN 'uuid is missing' END,
        -- "[N/A]" (a GPU in MIG mode reports no whole-GPU utilisation) is unknown, kept as NULL
        CASE WHEN util_gpu IS NULL AND NOT _unknown(util_gpu_raw) THEN 'utilization.gpu is not a number' END,
        CASE WHEN util_gpu NOT BETWEEN 0 AND 100 THEN 'utilization.gpu outside 0..100' END,
        CASE WHEN NOT _unknown(power_raw) AND (power IS NULL OR power < 0 OR power > 5000) THEN 'power.draw is not a plausible wattage' END
    ], x -> x IS NOT NULL) AS reasons,
    row_number() OVER (PARTITION BY gpu_uuid, ts ORDER BY line_no) AS nth
FROM typed;

CREATE OR REPLACE TEMP TABLE _gpu_outcome AS
SELECT line_no, raw, 'quarantined' AS outcome, array_to_string(reasons, '; ') AS reason FROM _gpu_rows WHERE len(reasons) > 0
UNION ALL
SELECT line_no, raw, 'duplicate', NULL FROM _gpu_rows r
WHERE len(reasons) = 0 AND (nth > 1 OR EXISTS (
    SELECT 1 FROM raw_gpu_samples e WHERE e.host = $host AND e.gpu_uuid = r.gpu_uuid AND e.ts = r.ts))
UNION ALL
SELECT line AS line_no, any_value(csv_line), 'quarantined', 'unreadable CSV line: ' || string_agg(DISTINCT error_type, ', ')
FROM _gpu_errors GROUP BY line;

INSERT INTO raw_gpu_samples (ts, host, gpu_uuid, gpu_name, util_gpu_pct, util_mem_pct, mem_used_mib, mem_total_mib,
    power_w, power_limit_w, source, run_id)
SELECT ts, $host, gpu_uuid, gpu_name, util_gpu::SMALLINT, util_mem::SMALLINT, mem_used::INTEGER, mem_total::INTEGER,
    power::DECIMAL(9, 2), power_limit::DECIMAL(9, 2), $source, $run_id
FROM _gpu_rows r
WHERE len(reasons) = 0 AND line_no NOT IN (SELECT line_no FROM _gpu_outcome)
