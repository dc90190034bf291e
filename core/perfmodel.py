"""A calibrated analytical model of a GenAI-Perf concurrency sweep: prefill compute-bound, decode memory-bound,
in-flight batching, a KV-cache capacity past which requests queue. Formulas: ../shared/reference/perf-model-facts.md §4."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from core import catalog
from core.catalog import PRECISION_BYTES, Gpu, Model, precision_key
from core.errors import SizerError
from core.schema import conform

CALIBRATION_FILE = Path(__file__).resolve().parent.parent / "data" / "calibration.json"


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


@dataclass(frozen=True)
class Params:
    """The model's free parameters; the first ten are fitted to measurements by `core.calibration`."""

    eta_compute_fp16: float = 0.65       # achieved fraction of dense FP16/BF16 peak in prefill GEMMs
    eta_compute_fp8: float = 0.45        # ... of dense FP8 peak
    eta_memory: float = 0.80             # achieved fraction of HBM bandwidth in decode
    layer_overhead_us: float = 40.0      # per layer per decode step: kernel launch, scheduling, sampling
    layer_overhead_tp_us: float = 30.0   # extra per layer per step when TP > 1 (synchronisation)
    allreduce_latency_us: float = 10.0   # fixed cost of one all-reduce
    ttft_overhead_ms: float = 10.0       # per request: HTTP, tokenisation, detokenisation
    seq_overhead_us: float = 20.0        # per sequence per decode step: sampling, scheduling, detokenisation
    prefill_sync: float = 1.0            # 1: arrivals fully bunched (each waits for half the cohort's prefills); 0: none
    prefill_queue_tokens: float = 65536  # the scheduler interleaves prefills past this many tokens waiting ahead
    eta_compute_fp4: float = 0.30        # not measurable on nim.csv: the Blackwell prior of perf-model-facts §4
    memory_fraction: float = 0.90        # share of GPU memory the engine takes
    reserve_gb: float = 4.0              # runtime, activations and NCCL buffers per GPU
    ttft_p95_ratio: float = 1.2          # p95 ÷ mean, medians of the measured ratios
    itl_p95_ratio: float = 1.1
    e2e_p95_ratio: float = 1.02

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


def check(cfg: Config, params: Params) -> int:
    """Refuse what cannot run, with the reason; return how many sequences the KV cache holds."""
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
    weights_gb = _weights_bytes(cfg) / 1e9
    pool = _kv_pool_bytes(cfg, params)
    if pool <= 0:
        raise NotFeasible(f"{m.name} at {cfg.precision.upper()} needs {weights_gb:.1f} GB of weights per GPU at TP {cfg.tp}; "
                          f"{g.name} has {g.memory_gb:g} GB")
    fits = int(pool // (_kv_per_token(cfg) * (cfg.isl + cfg.osl)))
    if fits < 1:
        raise NotFeasible(f"the KV cache of one {cfg.isl + cfg.osl}-token sequence does not fit beside the weights")
    return fits


def sweep(cfg: Config, concurrency: np.ndarray | list[float], params: Params | None = None) -> pd.DataFrame:
    """Modeled GenAI-Perf metrics at each concurrency, as canonical rows with provenance 'modeled'."""
    p = params or Params.load()
    n_max = check(cfg, p)
    c = np.asarray(concurrency, dtype="float64")
    if c.size == 0 or not np.all(np.isfinite(c)) or np.any(c < 1):
        raise SizerError("concurrency must be a list of numbers of at least 1")
    m = _metrics(cfg, p, c, n_max)
    return conform(pd.DataFrame({
        "model": cfg.model.name, "gpu": cfg.gpu.name, "tp": cfg.tp, "pp": 1, "gpus_per_instance": cfg.tp,
        "precision": cfg.precision, "engine": "modeled", "isl": cfg.isl, "osl": cfg.osl, "load_mode": "concurrency",
        "concurrency": c, **m, "runs": 1, "source": "performance model", "provenance": "modeled",
    }))


def _metrics(cfg: Config, p: Params, c: np.ndarray, n_max: int) -> dict[str, np.ndarray]:
    """Closed loop with fixed lengths: the B = min(C, N_max) requests in flight move as a cohort. Each cycle the GPU
    prefills all B (so the mean request waits behind half of them) and runs osl - 1 decode steps at batch B; the other
    C - B requests wait for a KV-cache slot: the queue knee of the course's TTFT plots. Below it, the engine
    interleaves prefills with decode steps once more than prefill_queue_tokens wait ahead, which bounds TTFT."""
    batch = np.minimum(c, n_max)
    t_prefill = _prefill_s(cfg, p)
    overhead = p.ttft_overhead_ms / 1e3
    ahead = np.minimum(p.prefill_sync * (batch - 1) / 2, p.prefill_queue_tokens / cfg.isl)
    ttft = overhead + t_prefill * (1 + ahead)
    e2e = overhead + batch * t_prefill + (cfg.osl - 1) * _decode_step_s(cfg, p, batch)
    itl = (e2e - ttft) / max(cfg.osl - 1, 1)
    rate = batch / e2e
    wait = (c - batch) / rate
    ttft_ms, itl_ms, e2e_ms = (ttft + wait) * 1e3, itl * 1e3, (e2e + wait) * 1e3
    return {
        "ttft_ms_avg": ttft_ms, "itl_ms_avg": itl_ms, "e2e_ms_avg": e2e_ms,
        "ttft_ms_p95": ttft_ms * p.ttft_p95_ratio, "itl_ms_p95": itl_ms * p.itl_p95_ratio,
        "e2e_ms_p95": e2e_ms * p.e2e_p95_ratio,
        "req_per_s": rate, "out_tok_per_s": rate * cfg.osl,
    }


def _prefill_s(cfg: Config, p: Params) -> float:
    m = cfg.model
    flops = 2 * m.active_params_b * 1e9 * cfg.isl + 2 * m.layers * m.heads * m.head_dim * cfg.isl**2
    compute = flops / (cfg.tp * _peak_flops(cfg, p))
    memory = _weights_bytes(cfg) / _bandwidth(cfg, p)
    return max(compute, memory) + 2 * m.layers * _allreduce_s(cfg, p, cfg.isl * m.hidden * 2)


def _decode_step_s(cfg: Config, p: Params, batch: np.ndarray) -> np.ndarray:
    m = cfg.model
    context = cfg.isl + cfg.osl / 2
    bytes_read = _weights_read_bytes(cfg, batch) + batch * context * _kv_per_token(cfg)
    flops = (2 * m.active_params_b * 1e9 * batch + 4 * m.layers * m.heads * m.head_dim * batch * context) / cfg.tp
    step = bytes_read / _bandwidth(cfg, p) + flops / _peak_flops(cfg, p)
    per_layer = p.layer_overhead_us + (p.layer_overhead_tp_us if cfg.tp > 1 else 0.0)
    overhead = (m.layers * per_layer + batch * p.seq_overhead_us) * 1e-6
    return step + 2 * m.layers * _allreduce_s(cfg, p, batch * m.hidden * 2) + overhead


def _weights_read_bytes(cfg: Config, batch: np.ndarray) -> np.ndarray:
    """Dense models read every weight each step; MoE reads the experts the batch touches."""
    m = cfg.model
    if m.experts <= 1:
        return np.full_like(batch, _weights_bytes(cfg))
    expert = (m.params_b - m.active_params_b) / (m.experts - m.experts_per_token) * 1e9
    shared = m.params_b * 1e9 - m.experts * expert
    touched = m.experts * (1 - (1 - m.experts_per_token / m.experts) ** batch)
    return (shared + touched * expert) * PRECISION_BYTES[cfg.precision] / cfg.tp


def _weights_bytes(cfg: Config) -> float:
    return cfg.model.params_b * 1e9 * PRECISION_BYTES[cfg.precision] / cfg.tp


def _kv_per_token(cfg: Config) -> float:
    """FP8 and FP4 deployments keep an FP8 KV cache; FP16/BF16 ones a 16-bit cache."""
    return cfg.model.kv_bytes_per_token(2.0 if cfg.precision in ("fp16", "bf16") else 1.0, cfg.tp)


def _kv_pool_bytes(cfg: Config, p: Params) -> float:
    return cfg.gpu.memory_gb * 1e9 * p.memory_fraction - _weights_bytes(cfg) - p.reserve_gb * 1e9


def _peak_flops(cfg: Config, p: Params) -> float:
    eta = {"fp16": p.eta_compute_fp16, "bf16": p.eta_compute_fp16, "fp8": p.eta_compute_fp8,
           "fp4": p.eta_compute_fp4}[cfg.precision]
    return cfg.gpu.tflops(cfg.precision) * 1e12 * eta


def _bandwidth(cfg: Config, p: Params) -> float:
    return cfg.gpu.bandwidth_tb_s * 1e12 * p.eta_memory


def _allreduce_s(cfg: Config, p: Params, message_bytes: float | np.ndarray) -> float | np.ndarray:
    """Ring all-reduce: a fixed latency plus 2(t-1)/t of the message over one direction of the link."""
    if cfg.tp == 1:
        return 0.0
    link = cfg.gpu.nvlink_gb_s_per_direction * 1e9
    return p.allreduce_latency_us * 1e-6 + 2 * (cfg.tp - 1) / cfg.tp * message_bytes / link


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
    """Modeled rows for every (model, gpu, tp, precision, isl, osl, concurrency) in a table, named as it names them."""
    p = params or Params.load()
    out, problems = [], []
    keys = ["model", "gpu", "tp", "precision", "isl", "osl"]
    for key, rows in table.groupby(keys, sort=False):
        model, gpu, tp, precision, isl, osl = key
        try:
            cfg = Config.from_names(model, gpu, tp, precision, isl, osl)
            modeled = sweep(cfg, sorted(rows["concurrency"].dropna().unique()), p)
        except SizerError as exc:
            problems.append(f"{model} on {gpu} TP{tp} {precision} {isl}/{osl}: {exc}")
            continue
        out.append(modeled.assign(model=model, gpu=gpu))
    result = pd.concat(out, ignore_index=True) if out else conform(pd.DataFrame())
    return result, problems


