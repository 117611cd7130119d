-- nvidia-smi rows read by nvidia_smi_read.sql (_gpu_read) → checked, deduplicated raw_gpu_samples.
-- grain of _gpu_rows: one row per data line of the piece that was split into fields.
CREATE OR REPLACE TEMP TABLE _gpu_rows AS
WITH parsed AS (
    SELECT line_no, raw, ts_raw,
        timezone($tz, try_strptime(ts_raw, ['%Y/%m/%d %H:%M:%S.%g', '%Y/%m/%d %H:%M:%S'])) AS ts,
        CASE WHEN NOT _unknown(gpu_uuid) THEN gpu_uuid END AS gpu_uuid,
        CASE WHEN _unknown(gpu_name) THEN 'unknown' ELSE gpu_name END AS gpu_name,
        util_gpu_raw, util_mem_raw, mem_used_raw, mem_total_raw, power_raw, power_limit_raw,
        _num(util_gpu_raw, '%') AS util_gpu_x, _num(util_mem_raw, '%') AS util_mem_x,
        _num(mem_used_raw, 'MiB') AS mem_used_x, _num(mem_total_raw, 'MiB') AS mem_total_x,
        _num(power_raw, 'W') AS power_x, _num(power_limit_raw, 'W') AS power_limit_x
    FROM _gpu_read
), typed AS (
    SELECT line_no, raw, ts_raw, ts, gpu_uuid, gpu_name,
        list_filter([
            CASE WHEN ts IS NULL THEN 'timestamp ''' || left(coalesce(ts_raw, ''), 40) || ''' is not YYYY/MM/DD HH:MM:SS.mmm' END,
            -- the plausible window (tokenomics.config.plausible_window): a reading dated 9999 is a bad clock
            CASE WHEN ts < $earliest THEN 'timestamp ' || ts || ' is before ' || $earliest::DATE || ' (TOKENOMICS_EARLIEST)'
                 WHEN ts > $latest THEN 'timestamp ' || ts || ' is after now + TOKENOMICS_AHEAD_HOURS' END,
            CASE WHEN gpu_uuid IS NULL THEN 'uuid is missing' END,
            -- "[N/A]" (a GPU in MIG mode reports no whole-GPU utilisation) is unknown, kept as NULL
            _bad('utilization.gpu', util_gpu_raw, util_gpu_x, '%', 0, 100),
            _bad('utilization.memory', util_mem_raw, util_mem_x, '%', 0, 100),
            _bad('memory.used', mem_used_raw, mem_used_x, 'MiB', 0, 2147483647),
            _bad('memory.total', mem_total_raw, mem_total_x, 'MiB', 0, 2147483647),
            _bad('power.draw', power_raw, power_x, 'W', 0, 5000),
            _bad('power.limit', power_limit_raw, power_limit_x, 'W', 0, 5000)
        ], x -> x IS NOT NULL) AS reasons,
        -- typed as stored; NULL when unknown or bad (a bad value's line is quarantined by its reason)
        try_cast(util_gpu_x AS SMALLINT) AS util_gpu, try_cast(util_mem_x AS SMALLINT) AS util_mem,
        try_cast(mem_used_x AS INTEGER) AS mem_used, try_cast(mem_total_x AS INTEGER) AS mem_total,
        try_cast(power_x AS DECIMAL(9, 2)) AS power, try_cast(power_limit_x AS DECIMAL(9, 2)) AS power_limit
    FROM parsed
)
SELECT *,
    -- what a reading says: the same (GPU, time) with the same values is a duplicate, with others a conflict
    {'name': gpu_name, 'util_gpu': util_gpu, 'util_mem': util_mem, 'mem_used': mem_used, 'mem_total': mem_total,
     'power': power, 'power_limit': power_limit} AS vals
FROM typed;

-- grain of _gpu_outcome: one row per line of the piece (loaded, duplicate or quarantined) and its reason.
CREATE OR REPLACE TEMP TABLE _gpu_outcome AS
WITH good AS (
    SELECT line_no, raw, ts_raw, ts, gpu_uuid, vals,
        first_value(line_no) OVER w AS first_line, first_value(vals) OVER w AS first_vals
    FROM _gpu_rows WHERE len(reasons) = 0
    WINDOW w AS (PARTITION BY gpu_uuid, ts ORDER BY line_no)
), stored AS (  -- readings stored before (an earlier file, run or piece of this file) for the same GPU and time
    SELECT g.line_no, bool_or({'name': e.gpu_name, 'util_gpu': e.util_gpu_pct, 'util_mem': e.util_mem_pct, 'mem_used': e.mem_used_mib,
                     'mem_total': e.mem_total_mib, 'power': e.power_w, 'power_limit': e.power_limit_w}
                    IS NOT DISTINCT FROM g.vals) AS same,
        min(e.run_id) AS run_id
    FROM good g JOIN raw_gpu_samples e ON e.host = $host AND e.gpu_uuid = g.gpu_uuid AND e.ts = g.ts
    GROUP BY g.line_no
)
SELECT line_no, raw,
    CASE WHEN s.same OR (s.line_no IS NULL AND line_no <> first_line AND vals IS NOT DISTINCT FROM first_vals) THEN 'duplicate'
         WHEN s.line_no IS NULL AND line_no = first_line THEN 'loaded'
         ELSE 'quarantined' END AS outcome,
    CASE WHEN s.line_no IS NOT NULL AND NOT s.same THEN 'reading for ' || gpu_uuid || ' at ' || ts_raw
             || ' repeated with different values (one is stored already, run ' || s.run_id || ')'
         WHEN s.line_no IS NULL AND line_no <> first_line AND vals IS DISTINCT FROM first_vals THEN 'reading for '
             || gpu_uuid || ' at ' || ts_raw || ' repeated with different values (first at line ' || first_line || ')'
    END AS reason
FROM good LEFT JOIN stored s USING (line_no)
UNION ALL
SELECT line_no, raw, 'quarantined', array_to_string(reasons, '; ') FROM _gpu_rows WHERE len(reasons) > 0
UNION ALL
SELECT line_no, raw, 'quarantined', reason FROM _gpu_rejects;

INSERT INTO raw_gpu_samples (ts, host, gpu_uuid, gpu_name, util_gpu_pct, util_mem_pct, mem_used_mib, mem_total_mib,
    power_w, power_limit_w, source, run_id)
SELECT ts, $host, gpu_uuid, gpu_name, util_gpu, util_mem, mem_used, mem_total, power, power_limit, $source, $run_id
FROM _gpu_rows JOIN _gpu_outcome USING (line_no)
WHERE outcome = 'loaded'
