"""GPU, model and precision catalogues, loaded once from the YAML files in ``data/``."""

from __future__ import annotations

import re

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).parent / "data"


class Gpu(BaseModel):
    """One accelerator as the physics sees it: capacity, bandwidth, dense peak per dtype."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    vendor: str
    generation: str
    memory_gb: float = Field(gt=0)
    bandwidth_tbs: float = Field(gt=0)
    tflops: dict[str, float | None]
    tdp_w: float = Field(gt=0)
    interconnect: str
    link_gbs: float = Field(gt=0)
    source: str
    node_gpus: int = Field(default=8, gt=0)  # GPUs one server (or one NVL72 rack's NVLink domain) holds

    def gemm_for(self, precision: "Precision") -> tuple[str, float]:
        """Where a precision's GEMMs really run on this GPU: its dtype if native here, else the fallback."""
        gemm = precision.gemm
        if precision.native_vendors and self.vendor not in precision.native_vendors:
            gemm = catalogue().fallback[gemm]
        return self.peak_tflops(gemm)

    def peak_tflops(self, gemm: str) -> tuple[str, float]:
        """The dtype a GEMM really runs in on this GPU (following the fallback chain) and its peak."""
        fallback = catalogue().fallback
        while self.tflops.get(gemm) is None:
            gemm = fallback[gemm]
        return gemm, float(self.tflops[gemm])


class Model(BaseModel):
    """Architecture facts the physics needs; MoE split derived from published total/active counts."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    layers: int = Field(gt=0)
    hidden: int = Field(gt=0)
    heads: int = Field(gt=0)
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    kv_dim: int | None = None
    kv_layers: int | None = None
    sliding_layers: int = 0
    sliding_window: int = 0
    ffn: int = Field(gt=0)
    vocab: int = Field(gt=0)
    experts: int = 0
    experts_per_token: int = 0
    total_params_b: float = Field(gt=0)
    active_params_b: float = Field(gt=0)
    source: str

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    @property
    def expert_params(self) -> float:
        """Parameters in one routed expert summed over layers (0 for dense models)."""
        if not self.is_moe:
            return 0.0
        return (self.total_params_b - self.active_params_b) * 1e9 / (self.experts - self.experts_per_token)

    @property
    def dense_params(self) -> float:
        """Parameters every token touches: attention, shared experts, embeddings, dense layers."""
        return self.total_params_b * 1e9 - self.experts * self.expert_params

    @property
    def kv_elems_per_token_layer(self) -> int:
        return self.kv_dim or 2 * self.kv_heads * self.head_dim

    @property
    def attention_layers(self) -> int:
        return self.kv_layers or self.layers


class Precision(BaseModel):
    """A weight/activation format: storage cost per weight and the GEMM dtype it runs in."""

    model_config = ConfigDict(frozen=True)
    id: str
    weight_bits: float = Field(gt=0)
    gemm: str
    kv_bits: float = Field(gt=0)
    native_vendors: tuple[str, ...] = ()
    note: str = ""


class Unsupported(BaseModel):
    """A combination an engine cannot serve, per its own documentation (data/support.yaml); an empty field is any."""

    model_config = ConfigDict(frozen=True)
    engines: tuple[str, ...] = ()
    precisions: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    generations: tuple[str, ...] = ()
    why: str
    source: str

    def covers(self, engine: str, gpu: Gpu, precision: str) -> bool:
        return all(not listed or value in listed for listed, value in (
            (self.engines, engine), (self.precisions, precision), (self.vendors, gpu.vendor),
            (self.generations, gpu.generation)))


class Catalogue(BaseModel):
    gpus: dict[str, Gpu]
    models: dict[str, Model]
    precisions: dict[str, Precision]
    fallback: dict[str, str]
    prices: dict
    unsupported: tuple[Unsupported, ...] = ()

    def why_unsupported(self, engine: str, gpu: str, precision: str) -> str | None:
        """Why ``engine`` cannot serve ``precision`` on ``gpu`` (the rule and its source), or None when it can."""
        rule = next((r for r in self.unsupported if r.covers(engine, self.gpus[gpu], precision)), None)
        return None if rule is None else f"{rule.why} (source: {rule.source})"


def _with_ids(entries: dict) -> dict:
    return {key: {"id": key, **value} for key, value in entries.items()}


@cache
def catalogue() -> Catalogue:
    """Parse and validate the YAML catalogues (cached: they are read-only data)."""
    gpus = yaml.safe_load((DATA / "gpus.yaml").read_text())
    models = yaml.safe_load((DATA / "models.yaml").read_text())
    return Catalogue(
        gpus=_with_ids(gpus["gpus"]), prices=gpus["prices"],
        models=_with_ids(models["models"]), precisions=_with_ids(models["precisions"]),
        fallback=models["fallback"],
        unsupported=yaml.safe_load((DATA / "support.yaml").read_text())["unsupported"],
    )


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


# How API vendors and gateways package an open-weights model's name, undone in order (LiteLLM's price catalogue
# spellings). Rule: only packaging goes (routing path, region/org prefix, serving tier, quantisation, API version,
# dated checkpoint); whatever else is left must equal a catalogue id or alias, so distills, fine-tunes, other sizes
# and versions models.yaml does not alias (Llama 3 vs 3.1, DeepSeek V3.2, Kimi K2.6, '-thinking') stay unresolved.
_REWRITES = [
    (r":(\d+b)(-cloud)?$", r"-\1"),                   # Ollama's 'gpt-oss:120b-cloud'
    (r"(^|\.)deepseek\.", r"\1deepseek-"),             # Bedrock's 'deepseek.v3' names the family, keep it
    (r"^([a-z-]+\.)+", ""),                            # Bedrock/OCI region and org: 'us.meta.', 'openai.', 'qwen.'
    (r"^(databricks|alibaba|fw)-", ""),               # Databricks, Gradient and Azure (Fireworks-hosted) prefixes
    (r"^meta-(?=llama)", ""),                         # 'Meta-Llama-3.1-8B', 'databricks-meta-llama-…'
    (r"(?<=\d)p(?=\d)", "."),                         # Fireworks' 'v3p1', 'k2p5'
    (r"llama-?v?(\d)[-.](\d)-(\d+b)", r"llama-\1.\2-\3"),  # 'llama3.3-70b', 'llama3-3-70b', 'llama-v3.1-8b'
    (r"^qwen-(\d)", r"qwen\1"),                        # 'qwen-3-32b'
    (r"(-instruct|-chat|-hf|-it|-turbo|-fast|-instant|-versatile|-highspeed|-lightning|-maas|-fp8-dynamic|-fp8"
     r"|-fp4|-nvfp4|-v\d+:\d+|-\d+:\d+|-\d{4})+$", ""),  # serving tier, quantisation, API version, 'MMDD' checkpoint
]


def _canon(name: str) -> str:
    """A name with its vendor packaging removed (see _REWRITES), so vendor spellings and aliases compare equal."""
    out = _norm(name).split("/")[-1]
    for pattern, repl in _REWRITES:
        out = re.sub(pattern, repl, out)
    return out


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for model in catalogue().models.values():
        for name in (model.id, *model.aliases):
            for key in (_norm(name), _norm(name.split("/")[-1]), _canon(name)):
                if out.setdefault(key, model.id) != model.id:  # two models sharing a spelling would be a guess
                    raise ValueError(f"model alias {name!r} also names {out[key]}")
    return out


def resolve_model(name: str) -> Model | None:
    """A catalogue model for an id, a Hugging Face path or a gateway or API vendor's model name; None if unknown."""
    key = next((k for c in (_norm(name), _norm(name.split("/")[-1]), _canon(name)) if (k := _aliases().get(c))), None)
    return catalogue().models.get(key) if key else None


_GPU_ALIASES = {"h100-sxm-80gb": "h100-sxm", "h200-sxm-141gb": "h200-sxm", "h100": "h100-sxm",
                "h200": "h200-sxm", "b200": "b200-sxm", "b300": "b300-sxm", "a100": "a100-sxm",
                "a100-sxm4-80gb": "a100-sxm", "h100-pcie-80gb": "h100-pcie"}


def resolve_gpu(name: str) -> Gpu | None:
    """A catalogue GPU for an id or a common spelling (``H100-SXM-80GB``, ``h200_sxm``); None if unknown."""
    key = _norm(name)
    key = _GPU_ALIASES.get(key, key)
    return catalogue().gpus.get(key)
