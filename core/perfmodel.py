"""A calibrated analytical model of a closed-loop serving benchmark (GenAI-Perf concurrency sweeps): compute-bound
prefill, memory-bound decode, tensor-parallel all-reduces over the catalog's link, in-flight batching, and two
ceilings past which requests wait for a slot (the KV cache and the engine's maximum batch). Formulas and sources:
../shared/reference/perf-model-facts.md §1–4; the README's performance-model section says what is fitted."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from core import catalog
from core.catalog import GIB, PRECISION_BYTES, Gpu, Model, precision_key
from core.errors import SizerError
from core.schema import conform

CALIBRATION_FILE = Path(__file__).resolve().parent.parent / "data" / "calibration.json"
EMBEDDING_BYTES = 2.0  # embeddings and LM head stay 16-bit in FP8/FP4 checkpoints (perf-model-facts §4)
ACTIVATION_BYTES = 2.0  # all-reduced activations are 16-bit
# NCCL buffers per GPU by TP degree (ai-dynamo/aiconfigurator systems/*.yaml misc.nccl_mem).
NCCL_BYTES = {1: 0.0, 2: 358_612_992.0, 4: 411_041_792.0, 8: 411_041_792.0}
PROMPT_REF_TOKENS = 2000.0  # the prompt length prefill_queue_tokens is counted in
PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}


class NotFeasible(SizerError):
    """The configuration cannot run at all (it does not fit, or the GPU lacks the precision)."""


ERROR_METRICS = ("req_per_s", "ttft_ms", "itl_ms", "e2e_ms")
REGIMES = ("below_knee", "above_knee")


@dataclass(frozen=True)
class ErrorBand:
    """How far measurements fell from the model: measured ÷ modeled at the 10th (low) and 90th (high) percentile of
    the calibration residuals, so a modeled figure m was measured within [low·m, high·m] eight times in ten."""

    low: float
    high: float
    basis: str


def error_band(metric: str, regime: str, *, extrapolated: bool = False) -> ErrorBand:
    """The calibration's error band for one metric (req_per_s, ttft_ms, itl_ms, e2e_ms) below or above the knee
    (concurrency within or past capacity_seqs). extrapolated: for FP4 and GPUs never measured, the band the model
    showed when it predicted a GPU or precision it was not fitted on (never narrower than the in-sample band)."""
    if metric not in ERROR_METRICS:
        raise SizerError(f"no error band for {metric!r}; expected one of {', '.join(ERROR_METRICS)}")
    if regime not in REGIMES:
        raise SizerError(f"regime must be one of {', '.join(REGIMES)}; got {regime!r}")
    bands = (calibration_report() or {}).get("error_bands")
    if not bands:
        raise SizerError("the performance model has no calibration, so no error band; run `python -m core calibrate`")
    kind = "extrapolated" if extrapolated else "in_sample"
    entry = bands[kind][metric][regime]
    return ErrorBand(float(entry["low"]), float(entry["high"]), str(entry["basis"]))


def extrapolated(cfg: Config) -> bool:
    """True when the calibration never measured this GPU, this precision (FP4 always) or a model of this
    architecture (Llama 3.1 8B is Llama 3 8B's; Mixtral's experts are not): its figures take the extrapolated band."""
    measured = (calibration_report() or {}).get("measured", {})
    precisions = {"fp16" if x == "bf16" else x for x in measured.get("precisions", [])}
    architectures = {_architecture(m) for name in measured.get("models", []) if (m := catalog.resolve_model(name))}
    return (cfg.gpu.name not in measured.get("gpus", []) or _architecture(cfg.model) not in architectures
            or ("fp16" if cfg.precision == "bf16" else cfg.precision) not in precisions)


def _architecture(m: Model) -> tuple:
    return (m.layers, m.hidden, m.heads, m.kv_heads, m.head_dim, m.ffn, m.experts, m.experts_per_token)


@dataclass(frozen=True)
class Params:
    """The model's free parameters. core.calibration fits those it names in FITTED to measured sweeps; the rest are
    documented engine defaults or priors (each says where it comes from)."""

    eta_compute_fp16: float = 0.65        # achieved fraction of dense FP16/BF16 peak in GEMMs
    eta_compute_fp8: float = 0.45         # ... of dense FP8 peak
    eta_attention: float = 0.40           # prefill attention's fraction of the FP16 peak (FlashAttention-2 reaches
                                          # 33 % on H100, 58 % on A100: perf-model-facts §1.2)
    eta_memory: float = 0.90              # achieved fraction of streaming bandwidth reading weights
    eta_kv: float = 0.60                  # ... reading the KV cache in decode attention
    attention_serial_kb: float = 20.0     # decode attention's floor per step: KB per layer per context token at
                                          # streaming bandwidth, however few sequences (one runs on few SMs)
    kv_fp8_speedup: float = 2.0           # decode attention over an FP8 KV cache vs a 16-bit one (2: by the bytes)
    layer_overhead_us: float = 50.0       # per layer per forward pass: kernel launches, norms, synchronisation
    seq_overhead_us: float = 20.0         # per sequence per decode step: sampling, scheduling, detokenisation
    allreduce_base_us: float = 5.0        # one all-reduce's fixed cost at any TP (kernel launch, synchronisation)
    allreduce_latency_scale: float = 1.0  # × the catalog's 8-GPU all-reduce latency, pro rata (t - 1) / 7
    layer_overhead_mb: float = 10.0       # per layer per pass: small kernels' traffic (norms, activations, launch
                                          # tails) at the streaming bandwidth: the part of the overhead a faster GPU cuts
    ttft_overhead_ms: float = 2.0         # per request: HTTP, tokenisation, first-token delivery
    ttft_layer_overhead_us: float = 150.0  # ... plus per layer: the first token's dispatch through every layer, a
                                          # latency, not GPU time (AIConfigurator adds ~0.8 ms per layer to vLLM's
                                          # prefill, perf-model-facts §3.1; a GPU-blocking version fits to zero)
    residual_steps: float = 1.5           # decode steps of the batch a new request waits beyond its prefill: the rest
                                          # of the step in progress (half of one at random arrival, a whole one when
                                          # requests return right after the step that finished them) and its own step
    prefill_sync: float = 0.8             # closed-loop arrivals bunch: share of the batch a new request waits behind
    arrival_jitter_ms: float = 3.0        # ... but only those arriving within one prefill of each other: a bunch
                                          # whose arrivals are spread by this much shares P ÷ (P + jitter) of it
    prefill_queue_tokens: float = 80000   # ... fading as the prompt tokens waiting ahead approach this many
    prefill_queue_fade: float = 0.7       # ... at this power (1: the wait ahead levels off; 0.5: grows as √batch)
    prefill_queue_isl_power: float = 1.0  # ... counting a prompt as (isl / 2000)^power prompts of 2000 tokens
    kv_memory_fraction: float = 0.90      # share of the memory left after weights and reserve that holds KV cache
    ttft_wait_cv: float = 0.5             # coefficients of variation of the waiting times (fitted on measured p95)
    queue_wait_cv: float = 0.5
    itl_interference_cv: float = 0.5
    fp4_vs_fp8: float = 0.30 / 0.45       # FP4 GEMM efficiency ÷ FP8's: not measurable on nim.csv, so the ratio of
                                          # AIConfigurator's NVFP4 and FP8 utilisation levels (perf-model-facts §3.1)
    eta_link: float = 0.80                # achieved share of link bandwidth in large all-reduces (facts §1.2)
    reserve_gib: float = 3.5              # runtime, activations per GPU (aiconfigurator other_mem), plus NCCL_BYTES
    max_batch_seqs: float = 256           # engine ceiling: TensorRT-LLM max_batch_size and vLLM max_num_seqs default
    max_num_tokens: float = 8192          # tokens one engine step may carry (TensorRT-LLM and vLLM defaults)

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Params:
        """The committed calibration (defaults when it is absent)."""
        stored = (calibration_report(path) or {}).get("params", {})
        return cls(**{f.name: stored[f.name] for f in fields(cls) if f.name in stored})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Config:
    """One curve: a model on a GPU type at a TP and precision, for one input/output length."""

    model: Model
    gpu: Gpu
    tp: int
    precision: str
    isl: int
    osl: int

    @classmethod
    def from_names(cls, model: str, gpu: str, tp: int, precision: str, isl: int, osl: int) -> Config:
        return cls(catalog.model(model), catalog.gpu(gpu), int(tp), precision_key(precision), int(isl), int(osl))

    def describe(self) -> str:
        return f"{self.model.name} on {self.gpu.name} TP{self.tp} {self.precision.upper()} {self.isl}/{self.osl}"


@dataclass(frozen=True)
class Capacity:
    """The two ceilings on sequences in flight: the KV cache's and the engine's maximum batch."""

    kv_seqs: float           # sequences whose full (input + output) KV cache fits in the pool
    batch_seqs: float        # the engine's maximum batch
    weights_gib: float       # per GPU
    kv_pool_gib: float       # per GPU

    @property
    def seqs(self) -> int:
        return int(min(self.kv_seqs, self.batch_seqs))

    @property
    def binding(self) -> str:
        return "KV cache" if self.kv_seqs <= self.batch_seqs else "engine's maximum batch"

    def describe(self) -> str:
        """'capacity: 212 sequences in KV cache' — the sentence shown with a modeled curve."""
        if self.kv_seqs <= self.batch_seqs:
            return (f"capacity: {self.seqs:,} sequences in KV cache ({self.kv_pool_gib:.1f} GiB per GPU beside "
                    f"{self.weights_gib:.1f} GiB of weights)")
        return (f"capacity: {self.seqs:,} sequences, the engine's maximum batch (the KV cache would hold "
                f"{int(self.kv_seqs):,})")


def capacity(cfg: Config, params: Params | None = None) -> Capacity:
    """Refuse what cannot run, with the reason; otherwise the ceilings. The memory rule is TensorRT-LLM's: the KV
    cache gets kv_memory_fraction of what the weights, runtime reserve and NCCL buffers leave; a configuration is
    refused only when that pool cannot hold one request's KV cache."""
    p = params or Params.load()
    m, g = cfg.model, cfg.gpu
    if cfg.tp < 1 or m.heads % cfg.tp:
        raise NotFeasible(f"TP {cfg.tp} does not divide {m.name}'s {m.heads} attention heads")
    if cfg.tp > g.gpus_per_server:
        raise NotFeasible(f"TP {cfg.tp} exceeds the {g.gpus_per_server} GPUs of one {g.name} server")
    if g.tflops(cfg.precision) <= 0:
        raise NotFeasible(f"{g.name} has no {cfg.precision.upper()} tensor cores; it supports {', '.join(g.precisions)}")
    if cfg.isl < 1 or cfg.osl < 1:
        raise SizerError(f"input and output lengths must be at least 1 token; got {cfg.isl}/{cfg.osl}")
    if cfg.isl + cfg.osl > m.max_context:
        raise NotFeasible(f"{cfg.isl} + {cfg.osl} tokens exceed {m.name}'s context of {m.max_context}")
    ph = _Physics.of([cfg])
    pool = float(_kv_pool_bytes(ph, p)[0])
    weights_gib = float(ph.weights_mem[0]) / GIB
    per_seq = float(ph.kv_tok[0]) * (cfg.isl + cfg.osl)
    if pool < per_seq:
        left = g.memory_gib - weights_gib - p.reserve_gib - float(ph.nccl[0]) / GIB
        room = (f"which leaves {left:.1f} GiB after the runtime reserve" if left > 0 else
                f"{-left:.1f} GiB short of even the weights and the {p.reserve_gib:g} GiB runtime reserve")
        raise NotFeasible(f"{m.name} at {cfg.precision.upper()} needs {weights_gib:.1f} GiB of weights per GPU at "
                          f"TP {cfg.tp}; {g.name} reports {g.memory_gib:g} GiB, {room}: no room for the KV cache of "
                          f"one {cfg.isl + cfg.osl:,}-token request ({per_seq / GIB:.2f} GiB)")
    return Capacity(pool / per_seq, float(p.max_batch_seqs), weights_gib, pool / GIB)


def check(cfg: Config, params: Params | None = None) -> int:
    """How many sequences the engine holds at once (refusing what cannot run)."""
    return capacity(cfg, params).seqs


def sweep(cfg: Config, concurrency: np.ndarray | list[float], params: Params | None = None) -> pd.DataFrame:
    """Modeled GenAI-Perf metrics at each concurrency, as canonical rows with provenance 'modeled' and the
    capacity_seqs column (concurrency ≤ capacity_seqs is below the knee)."""
    p = params or Params.load()
    cap = capacity(cfg, p)
    c = np.asarray(concurrency, dtype="float64")
    if c.size == 0 or not np.all(np.isfinite(c)) or np.any(c < 1):
        raise SizerError("concurrency must be a list of numbers of at least 1")
    m = evaluate(_Physics.of([cfg]), p, c)
    return conform(pd.DataFrame({
        "model": cfg.model.name, "gpu": cfg.gpu.name, "tp": cfg.tp, "pp": 1, "gpus_per_instance": cfg.tp,
        "precision": cfg.precision, "engine": "modeled", "isl": cfg.isl, "osl": cfg.osl, "load_mode": "concurrency",
        "concurrency": c, **table_columns(m), "capacity_seqs": float(cap.seqs), "runs": 1,
        "source": "performance model", "provenance": "modeled",
    }))


def table_columns(m: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The canonical metric columns of evaluate()'s output."""
    out = {"req_per_s": m["req_per_s"], "out_tok_per_s": m["out_tok_per_s"]}
    for metric in ("ttft", "itl", "e2e"):
        for stat in ("avg", *PERCENTILES):
            out[f"{metric}_ms_{stat}"] = m[f"{metric}_ms_{stat}"]
    return out


@dataclass(frozen=True)
class _Physics:
    """Everything about a configuration that does not depend on the fitted parameters, one array entry per row, so
    one evaluation covers a whole calibration set (or one curve broadcast over many concurrencies)."""

    layers: np.ndarray
    hidden: np.ndarray
    tp: np.ndarray
    isl: np.ndarray
    osl: np.ndarray
    precision: np.ndarray        # 0 FP16/BF16, 1 FP8, 2 FP4
    peak_flops: np.ndarray       # dense, at the precision
    peak_flops_16: np.ndarray    # dense FP16/BF16: prefill attention runs there (FlashAttention)
    bandwidth: np.ndarray        # bytes/s a streaming copy achieves
    memory: np.ndarray           # bytes the driver reports
    weights_mem: np.ndarray      # bytes of weights per GPU
    shared_read: np.ndarray      # bytes per GPU every step reads (dense layers, attention, LM head)
    expert_read: np.ndarray      # bytes per GPU of one expert (0 for dense models)
    experts: np.ndarray
    experts_per_token: np.ndarray
    gemm_flops_tok: np.ndarray   # per token per GPU through the active weights
    attn_flops_sq: np.ndarray    # per GPU, × tokens² for causal prefill attention
    kv_tok: np.ndarray           # KV bytes per token per GPU
    kv_fp8: np.ndarray           # 1 where the KV cache is FP8
    link_bw: np.ndarray          # bytes/s per direction
    link_latency: np.ndarray     # s, of one all-reduce across 8 GPUs
    ring: np.ndarray             # 2(t-1)/t: the share of a message a ring all-reduce moves per GPU
    nccl: np.ndarray             # bytes

    @classmethod
    def of(cls, cfgs: list[Config]) -> _Physics:
        rows = [_physics_row(cfg) for cfg in cfgs]  # cached per configuration
        return cls(**{f.name: np.array([r[f.name] for r in rows], dtype="float64") for f in fields(cls)})

    def take(self, index: np.ndarray) -> _Physics:
        return _Physics(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


@cache
def _physics_row(cfg: Config) -> dict[str, float]:
    m, g, t = cfg.model, cfg.gpu, cfg.tp
    b = PRECISION_BYTES[cfg.precision]
    embedding = m.embedding_params_b * 1e9
    head = m.vocab * m.hidden  # the LM head, read every step; the embedding table only a row per token
    expert = m.expert_params_b * 1e9
    body = m.params_b * 1e9 - embedding
    return {
        "layers": m.layers, "hidden": m.hidden, "tp": t, "isl": cfg.isl, "osl": cfg.osl,
        "precision": {"fp16": 0, "bf16": 0, "fp8": 1, "fp4": 2}[cfg.precision],
        "peak_flops": g.tflops(cfg.precision) * 1e12, "peak_flops_16": g.tflops_fp16 * 1e12,
        "bandwidth": g.stream_tb_s * 1e12,
        "memory": g.memory_bytes,
        "weights_mem": (body * b + embedding * EMBEDDING_BYTES) / t,
        "shared_read": ((body - m.experts * expert) * b + head * EMBEDDING_BYTES) / t,
        "expert_read": expert * b / t, "experts": m.experts, "experts_per_token": m.experts_per_token,
        "gemm_flops_tok": 2 * (m.active_params_b * 1e9 - embedding + head) / t,
        "attn_flops_sq": 2 * m.layers * m.heads * m.head_dim / t,
        # FP8 and FP4 deployments keep an FP8 KV cache; FP16/BF16 ones a 16-bit cache.
        "kv_tok": m.kv_bytes_per_token(2.0 if cfg.precision in ("fp16", "bf16") else 1.0, t),
        "kv_fp8": 0.0 if cfg.precision in ("fp16", "bf16") else 1.0,
        "link_bw": g.link_gb_s_per_direction * 1e9, "link_latency": g.allreduce_8gpu_us * 1e-6,
        "ring": 2 * (t - 1) / t, "nccl": NCCL_BYTES.get(t, NCCL_BYTES[8]),
    }


def _kv_pool_bytes(ph: _Physics, p: Params) -> np.ndarray:
    return p.kv_memory_fraction * (ph.memory - ph.weights_mem - p.reserve_gib * GIB - ph.nccl)


def evaluate(ph: _Physics, p: Params, c: np.ndarray, percentiles: tuple[str, ...] | None = None,
             whole_sequences: bool = True) -> dict[str, np.ndarray]:
    """The closed loop in steady state (ph and c broadcast against each other).

    B = min(C, N) requests are in flight, N the lower ceiling. Over one end-to-end latency the GPU runs the B
    prefills of the requests that cycle through, osl - 1 decode steps at batch B and the steps the request sat out
    before its first token (work conservation; Little's law: X = B / E2E), so throughput saturates as the
    per-sequence costs take over. A new request waits for the prefills of the bunch it arrived with (closed-loop
    arrivals bunch; only those within one prefill of each other queue together, and the bunch fades as its prompt
    tokens approach prefill_queue_tokens; never more than the other requests' prefills of one cycle), and sits out
    decode steps meanwhile: the rest of the step in progress, its own, and those the engine interleaves between the
    bunch's prefills (max_num_tokens per step). The C - B requests past the ceiling wait for a slot: Little's law
    on the waiting line gives (C - B) / X. percentiles: which of p50/p90/p95/p99 to compute (all by default; the
    solver asks only for those its limits use). whole_sequences: the KV cache holds a whole number of sequences; the
    calibration relaxes it so the memory fraction has a slope."""
    c = np.asarray(c, dtype="float64")
    n = np.clip(_kv_pool_bytes(ph, p) / (ph.kv_tok * (ph.isl + ph.osl)), 1.0, p.max_batch_seqs)
    n = np.floor(n) if whole_sequences else n
    batch = np.minimum(c, n)
    t_prefill, t_marginal = _prefill_s(ph, p)
    steps = np.maximum(ph.osl - 1, 1)
    overhead = p.ttft_overhead_ms / 1e3 + ph.layers * p.ttft_layer_overhead_us / 1e6

    # The wait for a first token: behind the prefills of the bunch a request arrives with, and through the decode
    # steps it sits out meanwhile (the rest of the step in progress, its own, those the engine interleaves between
    # the bunch's prefills at max_num_tokens per step). With one output token there is no decode step at all.
    ahead = _prefills_ahead(ph, p, batch, t_marginal)
    behind = np.where(ph.osl > 1, ahead, batch - 1) * t_marginal
    sat_out = (ahead * np.minimum(ph.isl / p.max_num_tokens, 1) + (1 - 1 / batch) * p.residual_steps)
    sat_out = np.where(ph.osl > 1, sat_out, 0.0)
    # A waiting request does not decode: over a cycle the engine runs osl - 1 + sat_out steps, and the batch of a
    # step is the in-flight requests' share of them (Little's law on the decode batch).
    decoding = batch * steps / (steps + sat_out)
    t_step = _decode_step_s(ph, p, decoding)
    wait = behind + sat_out * t_step
    # Work conservation sets the cycle, so throughput: every request's prefill once and every step of the cycle.
    e2e_in = overhead + t_prefill + (batch - 1) * t_marginal + np.where(ph.osl > 1, steps + sat_out, 0.0) * t_step
    ttft_in = overhead + t_prefill + wait
    rate = batch / e2e_in
    queue = (c - batch) / rate
    itl = np.where(ph.osl > 1, (e2e_in - ttft_in) / steps, t_step)  # one token: what a second would take
    interference = itl - t_step  # the other requests' prefills, spread over this one's decode steps

    ttft, e2e = ttft_in + queue, e2e_in + queue
    out = {"req_per_s": rate * np.ones_like(c), "out_tok_per_s": rate * ph.osl * np.ones_like(c),
           "ttft_ms_avg": ttft * 1e3, "itl_ms_avg": itl * 1e3 * np.ones_like(c), "e2e_ms_avg": e2e * 1e3,
           "capacity_seqs": n * np.ones_like(c)}
    # Each latency is a fixed service time plus waiting times, modeled as one gamma variable with their total mean
    # and variance (the coefficients of variation are fitted on the measured p95).
    parts = {
        "ttft": (overhead + t_prefill, [(wait, p.ttft_wait_cv), (queue, p.queue_wait_cv)]),
        "itl": (t_step, [(interference, p.itl_interference_cv)]),
        "e2e": (e2e - wait - queue - steps * interference,
                [(wait, p.ttft_wait_cv), (queue, p.queue_wait_cv), (steps * interference, p.itl_interference_cv)]),
    }
    for metric, (service, waits) in parts.items():
        mean = sum(w for w, _ in waits)
        var = sum((w * cv) ** 2 for w, cv in waits)
        for stat in PERCENTILES if percentiles is None else percentiles:
            q = PERCENTILES[stat]
            out[f"{metric}_ms_{stat}"] = (service + _gamma_quantile(q, mean, var)) * 1e3 * np.ones_like(c)
    return out


def _prefills_ahead(ph: _Physics, p: Params, batch: np.ndarray, t_marginal: np.ndarray) -> np.ndarray:
    """How many prefills a new request waits behind. Closed-loop arrivals come in bunches (requests that started
    together finish together): a share prefill_sync of the others, none at batch 1. Only arrivals that fall within one
    prefill of each other queue together: client and HTTP timing spread a bunch by arrival_jitter_ms, so short
    prompts on fast GPUs (a 200-token prompt of an 8B model on an H100 takes ~2 ms) mostly meet an empty queue, long
    ones (25 ms and more) almost always a full one. The bunch fades as its prompt tokens grow (long prompts spread the
    arrivals); never more than the other requests in flight, and never falling as the batch grows."""
    joined = t_marginal / (t_marginal + p.arrival_jitter_ms / 1e3)
    bunch = p.prefill_sync * (batch - 1) * (1 - 1 / batch) * joined
    tokens = PROMPT_REF_TOKENS * (ph.isl / PROMPT_REF_TOKENS) ** p.prefill_queue_isl_power
    return np.minimum(bunch / (1 + bunch * tokens / p.prefill_queue_tokens) ** p.prefill_queue_fade, batch - 1)


def _gamma_quantile(q: float, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Quantile of a gamma variable with this mean and variance (0 where the mean is 0)."""
    mean = np.maximum(np.asarray(mean, dtype="float64"), 0.0)
    var = np.maximum(np.asarray(var, dtype="float64"), 1e-30)
    shape = np.maximum(mean**2 / var, 1e-6)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = stats.gamma.ppf(q, shape, scale=var / np.maximum(mean, 1e-30))
    return np.where(mean > 0, np.nan_to_num(value), 0.0)


def _eta_compute(ph: _Physics, p: Params) -> np.ndarray:
    return np.choose(ph.precision.astype(int), [p.eta_compute_fp16, p.eta_compute_fp8, p.eta_compute_fp8 * p.fp4_vs_fp8])


def _allreduce_s(ph: _Physics, p: Params, message_bytes: np.ndarray) -> np.ndarray:
    """Ring all-reduce: a latency that grows with the ring's length plus 2(t-1)/t of the message over one direction
    of the link."""
    latency = p.allreduce_base_us * 1e-6 + p.allreduce_latency_scale * ph.link_latency * (ph.tp - 1) / 7
    cost = latency + ph.ring * message_bytes / (ph.link_bw * p.eta_link)
    return np.where(ph.tp > 1, cost, 0.0)


def _weights_read(ph: _Physics, tokens: np.ndarray) -> np.ndarray:
    """Dense models read every weight each pass; MoE reads the experts its tokens route to (expected number
    touched per layer: E·(1 − (1 − k/E)^tokens), which grows with the batch)."""
    touched = ph.experts * (1 - (1 - ph.experts_per_token / np.maximum(ph.experts, 1)) ** tokens)
    return ph.shared_read + np.where(ph.experts > 1, touched, 0.0) * ph.expert_read


def _prefill_s(ph: _Physics, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """One prompt's prefill alone (at least one read of the weights), and what it adds to a step it shares with
    other prefills and decodes (its compute and its share of the all-reduced activations only)."""
    compute = (ph.gemm_flops_tok * ph.isl / (ph.peak_flops * _eta_compute(ph, p))
               + ph.attn_flops_sq * ph.isl**2 / (ph.peak_flops_16 * p.eta_attention))
    memory = _weights_read(ph, ph.isl) / (ph.bandwidth * p.eta_memory)
    message = ph.isl * ph.hidden * ACTIVATION_BYTES
    comm = 2 * ph.layers * _allreduce_s(ph, p, message)
    alone = np.maximum(compute, memory) + comm + _layer_overhead_s(ph, p)
    shared = compute + 2 * ph.layers * ph.ring * message / (ph.link_bw * p.eta_link)
    return alone, shared


def _decode_step_s(ph: _Physics, p: Params, batch: np.ndarray) -> np.ndarray:
    weights = np.maximum(_weights_read(ph, batch) / (ph.bandwidth * p.eta_memory),
                         batch * ph.gemm_flops_tok / (ph.peak_flops * _eta_compute(ph, p)))
    context = ph.isl + ph.osl / 2
    kv_speed = np.where(ph.kv_fp8 > 0, p.kv_fp8_speedup / 2, 1.0)  # an FP8 cache has half the bytes
    kv = batch * context * ph.kv_tok / (ph.bandwidth * p.eta_kv * kv_speed)
    kv = kv + ph.layers * context * p.attention_serial_kb * 1e3 / ph.bandwidth
    comm = 2 * ph.layers * _allreduce_s(ph, p, batch * ph.hidden * ACTIVATION_BYTES)
    return weights + kv + comm + _layer_overhead_s(ph, p) + batch * p.seq_overhead_us * 1e-6


def _layer_overhead_s(ph: _Physics, p: Params) -> np.ndarray:
    """What every forward pass costs per layer beyond its GEMMs, attention and all-reduces."""
    return ph.layers * (p.layer_overhead_us * 1e-6 + p.layer_overhead_mb * 1e6 / ph.bandwidth)


@cache
def calibration_report(path: Path = CALIBRATION_FILE) -> dict | None:
    """The calibration file, read once per process (every rerun and every sweep asks for it)."""
    return json.loads(path.read_text()) if path.exists() else None


def accuracy_note(path: Path = CALIBRATION_FILE) -> str:
    """The calibration's honest error, in one line, for every place that shows modeled numbers."""
    report = calibration_report(path)
    if report is None:
        return "model estimates (not calibrated)"
    e = report["errors"]
    return (f"model estimates, calibrated on {report['points']} measured points ({report['source']}); median error "
            f"req/s {e['req_per_s']['median_pct']:g} %, inter-token {e['itl_ms_avg']['median_pct']:g} %, "
            f"end-to-end {e['e2e_ms_avg']['median_pct']:g} %, TTFT {e['ttft_ms_avg']['median_pct']:g} % "
            f"(90th percentile {e['req_per_s']['p90_pct']:g} / {e['itl_ms_avg']['p90_pct']:g} / "
            f"{e['e2e_ms_avg']['p90_pct']:g} / {e['ttft_ms_avg']['p90_pct']:g} %)")


def predict_like(table: pd.DataFrame, params: Params | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Modeled rows for every measured row of a table, named as it names them: concurrency sweeps at their
    concurrency; request-rate runs at the concurrency whose modeled throughput is that rate (Little's law), or
    not at all past the modeled saturation."""
    p = params or Params.load()
    out, problems = [], []
    keys = ["model", "gpu", "tp", "precision", "isl", "osl"]
    for key, rows in table.groupby(keys, sort=False):
        model, gpu, tp, precision, isl, osl = key
        try:
            cfg = Config.from_names(model, gpu, tp, precision, isl, osl)
            modeled = _modeled_like(cfg, rows, p)
        except SizerError as exc:
            problems.append(f"{model} on {gpu} TP{tp} {precision} {isl}/{osl}: {exc}")
            continue
        out.append(modeled.assign(model=model, gpu=gpu, precision=precision))
    result = pd.concat(out, ignore_index=True) if out else conform(pd.DataFrame())
    return result, problems


def _modeled_like(cfg: Config, rows: pd.DataFrame, p: Params) -> pd.DataFrame:
    by_concurrency = rows[rows["load_mode"] != "request_rate"]["concurrency"].dropna().unique()
    frames = [sweep(cfg, sorted(by_concurrency), p)] if len(by_concurrency) else []
    rates = rows[rows["load_mode"] == "request_rate"]["request_rate"].dropna().unique()
    if len(rates):
        at = [concurrency_for_rate(cfg, float(r), p) for r in sorted(rates)]
        frames += [sweep(cfg, [c], p).assign(load_mode="request_rate", request_rate=r)
                   for r, c in zip(sorted(rates), at) if c is not None]
    if not frames:
        raise SizerError("every request rate is past the modeled saturation")
    return pd.concat(frames, ignore_index=True)


def concurrency_for_rate(cfg: Config, req_per_s: float, params: Params | None = None) -> float | None:
    """The concurrency at which the modeled closed loop serves this many requests per second (None when the rate
    is past what the configuration can serve): how an open-loop request-rate run maps onto the model."""
    from scipy.optimize import brentq

    p = params or Params.load()
    top = float(capacity(cfg, p).seqs)
    ph = _Physics.of([cfg])

    def gap(c: float) -> float:
        return float(evaluate(ph, p, np.array([c]))["req_per_s"][0]) - req_per_s

    if gap(top) < 0:
        return None
    if gap(1.0) >= 0:
        return 1.0
    return float(brentq(gap, 1.0, top, xtol=1e-6, rtol=1e-10))


def regime(concurrency: float, capacity_seqs: float) -> str:
    """below_knee while every request has a slot; above_knee once requests wait for one."""
    return "below_knee" if concurrency <= capacity_seqs else "above_knee"

