"""GPU and model catalogs (data/*.toml): the facts the performance model needs, each entry with its source."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from core.errors import SizerError
from core.names import normalise

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PRECISION_BYTES = {"fp16": 2.0, "bf16": 2.0, "fp8": 1.0, "fp4": 0.5625}  # NVFP4 with its block scales
GIB = 2**30


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_gb: float          # as the vendor labels it
    memory_gib: float         # what the driver reports and engines allocate from (nvidia-smi)
    bandwidth_tb_s: float
    stream_tb_s: float        # what a streaming copy achieves (measured where a measurement exists)
    tflops_fp16: float
    tflops_fp8: float
    tflops_fp4: float
    interconnect: str         # "NVLink 4", "PCIe Gen4 x16": what tensor-parallel all-reduces cross
    link_gb_s_per_direction: float
    allreduce_8gpu_us: float  # latency of one small all-reduce across 8 GPUs (measured where a measurement exists)
    gpus_per_server: int
    power_w: float
    source: str
    aliases: tuple[str, ...] = ()

    @property
    def memory_bytes(self) -> float:
        return self.memory_gib * GIB

    def tflops(self, precision: str) -> float:
        """Dense tensor TFLOPS at a precision; 0 when the GPU has no such tensor cores."""
        key = precision_key(precision)
        return {"fp16": self.tflops_fp16, "bf16": self.tflops_fp16, "fp8": self.tflops_fp8,
                "fp4": self.tflops_fp4}[key]

    @property
    def precisions(self) -> tuple[str, ...]:
        return tuple(p for p in ("fp16", "bf16", "fp8", "fp4") if self.tflops(p) > 0)


@dataclass(frozen=True)
class Model:
    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    max_context: int
    params_b: float
    active_params_b: float
    source: str
    experts: int = 1
    experts_per_token: int = 1
    tied_embeddings: bool = False
    aliases: tuple[str, ...] = field(default=())

    @property
    def embedding_params_b(self) -> float:
        """Input embedding and LM head (one matrix when tied): kept in 16 bits by FP8 and FP4 checkpoints."""
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2) / 1e9

    @property
    def expert_params_b(self) -> float:
        """One expert's weights over all layers (0 for a dense model): what a token that routes there reads."""
        if self.experts <= 1:
            return 0.0
        return (self.params_b - self.active_params_b) / (self.experts - self.experts_per_token)

    def kv_bytes_per_token(self, kv_bytes: float, tp: int = 1) -> float:
        """K and V for every layer; KV heads split across TP (replicated when TP exceeds them)."""
        heads_per_gpu = -(-self.kv_heads // tp)
        return 2 * self.layers * heads_per_gpu * self.head_dim * kv_bytes


def precision_key(precision: str) -> str:
    key = str(precision).strip().lower()
    if key not in PRECISION_BYTES:
        raise SizerError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISION_BYTES)}")
    return key


@cache
def gpus() -> dict[str, Gpu]:
    return {name: Gpu(name=name, **_entry(entry)) for name, entry in _load("gpus.toml")["gpus"].items()}


@cache
def models() -> dict[str, Model]:
    return {name: Model(name=name, **_entry(entry)) for name, entry in _load("models.toml")["models"].items()}


def resolve_gpu(name: str) -> Gpu | None:
    """The catalog GPU a data file's name means (H100_80GB_HBM3 is H100 SXM), or None."""
    return _resolve(name, gpus())


def resolve_model(name: str) -> Model | None:
    return _resolve(name, models())


def gpu(name: str) -> Gpu:
    found = resolve_gpu(name)
    if found is None:
        raise SizerError(f"unknown GPU {name!r}; the catalog has {', '.join(gpus())}")
    return found


def model(name: str) -> Model:
    found = resolve_model(name)
    if found is None:
        raise SizerError(f"unknown model {name!r}; the catalog has {', '.join(models())}")
    return found


def _resolve(name: str, entries: dict) -> object | None:
    wanted = normalise(name)
    for entry in entries.values():
        if wanted in {normalise(entry.name), *(normalise(a) for a in entry.aliases)}:
            return entry
    return None


def _entry(raw: dict) -> dict:
    out = dict(raw)
    out["aliases"] = tuple(out.get("aliases", ()))
    return out


def _load(file: str) -> dict:
    with (DATA_DIR / file).open("rb") as fh:
        return tomllib.load(fh)
