"""The what-if model's fixed vocabularies, importable without loading the catalogues (CLI start-up)."""

ENGINES = ("vllm", "trtllm", "sglang")  # serving engines with calibration data
TIERS = ("on_demand", "reserved_1y", "owned")  # $/GPU-hour tiers
