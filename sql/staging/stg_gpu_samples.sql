-- stg_gpu_samples — grain: one row per (host, gpu_uuid, ts) reading of one device, with its hour bucket.
-- A device is a whole GPU (gpu_uuid = parent_gpu_uuid) or a MIG instance of one (gpu_uuid '<UUID>/GI<id>',
-- parent_gpu_uuid the GPU's UUID, mig_profile e.g. '1g.10gb', mig_slices of the GPU's gpu_slices).
-- slice_fraction = the device's share of its GPU's compute: 1 for a whole GPU, mig_slices / gpu_slices for
-- an instance, NULL when its profile or GPU model is unknown.  It weighs telemetry only; cost is computed
-- from the integers (int_gpu_capacity_hourly).  Σ slice_fraction over one GPU's instances in a scrape ≤ 1.
CREATE OR REPLACE VIEW stg_gpu_samples AS
SELECT ts, date_trunc('hour', ts) AS hour, host, gpu_uuid, gpu_name,
    util_gpu_pct, util_mem_pct, mem_used_mib, mem_total_mib, power_w, power_limit_w,
    coalesce(parent_gpu_uuid, gpu_uuid) AS parent_gpu_uuid, mig_instance_id, mig_profile, mig_slices, gpu_slices,
    CASE WHEN mig_profile IS NULL THEN 1.0 ELSE mig_slices::DOUBLE / gpu_slices END AS slice_fraction
FROM raw_gpu_samples;
