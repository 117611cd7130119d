"""Tokenomics: cost analytics for LLM inference."""

__version__ = "0.1.0"
