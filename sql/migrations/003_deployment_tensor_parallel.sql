-- Migration 003: tensor-parallel size per deployment (GPUs per model replica), so the what-if model can
-- predict a deployment's throughput; NULL = not declared (the model infers the smallest TP that fits).
ALTER TABLE gpu_deployments ADD COLUMN tensor_parallel INTEGER;
