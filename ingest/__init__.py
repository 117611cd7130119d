"""Ingest jobs: each source folder registers itself in ingest.runner.REGISTRY on import."""

from ingest import bedrock, dcgm, deployments, litellm, mapped, nvidia_smi, rate_cards, vendor_usage  # noqa: F401,E501  (registration)
