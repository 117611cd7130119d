-- Migration 013: MIG (Multi-Instance GPU) instances are devices of their own.
-- raw_gpu_samples: a MIG instance's reading has gpu_uuid = '<GPU UUID>/GI<GPU_I_ID>' and keeps its GPU's UUID
-- in parent_gpu_uuid, its GPU instance id, its profile ('1g.10gb') and its compute slices: mig_slices of the
-- GPU's gpu_slices (1 of 7 for an H100 1g.10gb; NULL when the profile or the GPU model is unknown).  A whole
-- GPU's reading has parent_gpu_uuid = gpu_uuid (NULL in rows loaded before this migration: the same thing).
-- Integers, not a fraction: g / 7 has no exact decimal, and cost is computed from the integers.
ALTER TABLE raw_gpu_samples ADD COLUMN parent_gpu_uuid VARCHAR;
ALTER TABLE raw_gpu_samples ADD COLUMN mig_instance_id INTEGER;
ALTER TABLE raw_gpu_samples ADD COLUMN mig_profile VARCHAR;
ALTER TABLE raw_gpu_samples ADD COLUMN mig_slices SMALLINT;
ALTER TABLE raw_gpu_samples ADD COLUMN gpu_slices SMALLINT;
-- gpu_deployments: a deployment that runs on MIG instances names their profile; gpu_count then counts
-- instances, and each costs ⌊$/GPU-hour × mig_slices / gpu_slices⌋ (micro-dollars) — its slice of the GPU.
ALTER TABLE gpu_deployments ADD COLUMN mig_profile VARCHAR;
ALTER TABLE gpu_deployments ADD COLUMN mig_slices SMALLINT;
ALTER TABLE gpu_deployments ADD COLUMN gpu_slices SMALLINT;
-- A reading may lack utilisation: nvidia-smi writes "[N/A]" for a GPU in MIG mode (NULL: unknown, not a bad row).
ALTER TABLE raw_gpu_samples ALTER COLUMN util_gpu_pct DROP NOT NULL;
