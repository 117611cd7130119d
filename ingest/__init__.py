"""Ingest jobs: each source folder registers itself in tokenomics.ingest.runner.REGISTRY on import."""

from tokenomics.ingest import (  # noqa: F401  (registration)
    aws_pricing, bedrock, dcgm, deployments, litellm, litellm_spendlogs, mapped, nvidia_smi, rate_cards,
    requests_parquet, vendor_usage,
)
from tokenomics.ingest import documents  # noqa: F401,E402  (the bundled loader for per-request documents)
from tokenomics.ingest.vendor_usage import costs  # noqa: F401,E402  (the vendor cost APIs: a module of vendor_usage)
