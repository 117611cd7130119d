-- int_gpu_capacity_hourly — grain: one row per (deployment_id, hour) from the deployment's first to last
-- telemetry hour: what the hour costs, from telemetry and GPU rates alone.  The bill is gpu_count ×
-- $/device-hour for every hour, whether or not a sample arrived or a request was served (idle hours cost the
-- same); owned GPUs add energy = measured kWh × PUE × $/kWh (rounded to the micro-dollar).  Kept apart from
-- the requests served (int_gpu_hourly adds them) so that models summing over requests can price GPU time
-- without depending on another sum over requests.
-- Devices: a deployment of whole GPUs pays $/GPU-hour per GPU.  A MIG deployment (mig_profile set) runs on
-- gpu_count MIG instances and pays per instance its slice of the GPU's rate, ⌊$/GPU-hour × mig_slices /
-- gpu_slices⌋ in micro-dollars: rounded down, so a GPU's instances (Σ slices ≤ 1) never cost more than the
-- GPU.  Its energy is its slice of the GPU's power (each instance reports its whole GPU's power).
-- Telemetry: a MIG deployment reads the instances on its hosts with its profile's compute slices (matched on
-- g, not the name: the exporter can misname the memory part, e.g. 7g.79gb for 7g.80gb); a whole-GPU
-- deployment reads every device on its hosts except the instances a MIG deployment on that host claims.
-- Utilisation is the mean over readings weighted by slice (a 3g instance counts 3× a 1g one; whole GPU = 1;
-- unknown slice = 1); power is averaged per (GPU, scrape) first, so a GPU split in 7 counts once.
CREATE OR REPLACE TABLE int_gpu_capacity_hourly AS
WITH claimed AS (
    SELECT DISTINCT host, mig_slices FROM stg_gpu_deployments WHERE mig_profile IS NOT NULL
),
matched AS (
    SELECT d.deployment_id, s.hour, s.ts, s.gpu_uuid, s.parent_gpu_uuid, s.util_gpu_pct, s.power_w,
        coalesce(s.slice_fraction, 1.0) AS weight
    FROM stg_gpu_samples s
    JOIN stg_gpu_deployments d ON d.host = s.host
    LEFT JOIN claimed c ON c.host = s.host AND c.mig_slices = s.mig_slices
    WHERE (d.mig_profile IS NULL AND c.host IS NULL) OR (d.mig_profile IS NOT NULL AND d.mig_slices = s.mig_slices)
),
samples AS (
    SELECT deployment_id, hour,
        count(*) AS samples,
        -- a reading without utilisation (nvidia-smi "[N/A]" in MIG mode) counts for power, not for the average
        sum(util_gpu_pct * weight) / sum(weight) FILTER (WHERE util_gpu_pct IS NOT NULL) AS avg_util_pct,
        count(DISTINCT gpu_uuid) AS gpus_reporting
    FROM matched
    GROUP BY ALL
),
power AS (
    SELECT deployment_id, hour, avg(power_w) AS avg_power_w
    FROM (SELECT deployment_id, hour, parent_gpu_uuid, ts, avg(power_w)::DECIMAL(9, 2) AS power_w
          FROM matched GROUP BY ALL)
    GROUP BY ALL
),
span AS (  -- hours filled in only inside the plausible window (build_window, written by the build)
    SELECT deployment_id,
        greatest(min(hour), (SELECT date_trunc('hour', max(earliest)) FROM build_window)) AS first_hour,
        least(max(hour), (SELECT date_trunc('hour', max(latest)) FROM build_window)) AS last_hour
    FROM samples GROUP BY ALL
),
hours AS (
    SELECT span.deployment_id, t.hour
    FROM span CROSS JOIN unnest(generate_series(span.first_hour, span.last_hour, INTERVAL 1 HOUR)) AS t(hour)
),
priced AS (
    SELECT h.deployment_id, h.hour, r.usd_per_gpu_hour, r.kind, r.pue, r.usd_per_kwh,
        CASE WHEN dep.mig_profile IS NULL THEN r.usd_per_gpu_hour
             ELSE ((r.usd_per_gpu_hour * 1000000)::HUGEINT * dep.mig_slices // dep.gpu_slices * 0.000001)
                 ::DECIMAL(12, 6)
        END AS usd_per_device_hour,
        CASE WHEN dep.mig_profile IS NULL THEN 1.0 ELSE dep.mig_slices::DOUBLE / dep.gpu_slices END AS slice_fraction
    FROM hours h
    JOIN gpu_deployments dep USING (deployment_id)
    LEFT JOIN stg_gpu_rates r
        ON r.rate_ref = dep.gpu_rate_ref AND in_force(h.hour, r.valid_from, r.valid_to)
)
SELECT
    p.deployment_id, p.hour, dep.cluster, dep.gpu_type, dep.gpu_count, dep.model, dep."precision", dep.engine,
    dep.gpu_rate_ref, p.usd_per_gpu_hour, p.kind AS rate_kind,
    coalesce(s.samples, 0) AS samples,
    s.gpus_reporting,
    s.avg_util_pct,
    w.avg_power_w,
    -- energy over the hour from mean power of the GPUs that reported, scaled to all devices (× slice)
    (w.avg_power_w * dep.gpu_count * p.slice_fraction / 1000.0) AS energy_kwh,
    (dep.gpu_count * p.usd_per_device_hour)::DECIMAL(38, 6) AS capacity_cost_usd,
    round(coalesce(w.avg_power_w * dep.gpu_count * p.slice_fraction / 1000.0 * p.pue * p.usd_per_kwh, 0), 6)
        ::DECIMAL(38, 6) AS energy_cost_usd,
    (dep.gpu_count * p.usd_per_device_hour
        + round(coalesce(w.avg_power_w * dep.gpu_count * p.slice_fraction / 1000.0 * p.pue * p.usd_per_kwh, 0), 6))
        ::DECIMAL(38, 6) AS gpu_cost_usd,
    dep.mig_profile, dep.mig_slices, dep.gpu_slices, p.usd_per_device_hour
FROM priced p
JOIN gpu_deployments dep USING (deployment_id)
LEFT JOIN samples s ON s.deployment_id = p.deployment_id AND s.hour = p.hour
LEFT JOIN power w ON w.deployment_id = p.deployment_id AND w.hour = p.hour;
