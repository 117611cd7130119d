-- nvidia-smi --query-gpu=... --format=csv output → raw_gpu_samples.
-- The header names the fields and their units ("utilization.gpu [%]", "power.draw [W]"); the caller maps
-- header positions to canonical names ($names).  Timestamps are "YYYY/MM/DD HH:MM:SS.mmm" in the host's
-- local zone ($tz).  "[N/A]" and "[Not Supported]" mean unknown (NULL), not bad rows.
-- grain of _gpu_rows: one row per CSV data line.
DROP TABLE IF EXISTS _gpu_errors;
DROP TABLE IF EXISTS _gpu_scans;
CREATE OR REPLACE TEMP MACRO _num(v) AS try_cast(regexp_extract(v, '^\s*(-?[0-9]+(\.[0-9]+)?)', 1) AS DOUBLE);
CREATE OR REPLACE TEMP MACRO _unknown(v) AS v IS NULL OR trim(v) IN ('[N/A]', '[Not Supported]', 'N/A', '');
CREATE OR REPLACE TEMP TABLE _gpu_read AS
SELECT row_number() OVER () + 1 AS line_no, *
FROM read_csv($path, header = false, skip = 1, delim = ',', quote = '"', all_varchar = true, auto_detect = false,
              columns = $columns, null_padding = true, strict_mode = false,
              ignore_errors = true, store_rejects = true, rejects_table = '_gpu_errors', rejects_scan = '_gpu_scans');
