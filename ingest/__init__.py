"""Ingest jobs: each source folder registers itself in ingest.runner.REGISTRY on import."""

from ingest import (  # noqa: F401  (registration)
    aws_pricing, bedrock, dcgm, deployments, litellm, litellm_spendlogs, mapped, nvidia_smi, rate_cards,
    requests_parquet, vendor_usage,
)
