"""The performance model: hand-computed memory and timing facts, refusals with reasons, the queue past the knee,
interconnect, MoE, the modeled percentiles and the error-band interface."""

import math

import numpy as np
import pytest
from scipy import stats

from core import catalog
from core.catalog import GIB
from core.errors import SizerError
from core.perfmodel import (
    ERROR_METRICS,
    REGIMES,
    Config,
    ErrorBand,
    NotFeasible,
    Params,
    _allreduce_s,
    _gamma_quantile,
    _Physics,
    _prefills_ahead,
    _weights_read,
    capacity,
    check,
    concurrency_for_rate,
    error_band,
    evaluate,
    regime,
    sweep,
)

GRID = [1, 2, 5, 10, 25, 50, 100, 150, 200, 250]
# Round numbers that make the hand arithmetic below short (the calibrated values are in data/calibration.json).
SIMPLE = Params(eta_compute_fp16=0.5, eta_attention=0.5, eta_memory=1.0, eta_kv=0.5, attention_serial_kb=0.0,
                layer_overhead_us=50.0, layer_overhead_mb=0.0, seq_overhead_us=20.0, ttft_overhead_ms=10.0,
                ttft_layer_overhead_us=100.0, residual_steps=1.5, prefill_sync=1.0, arrival_jitter_ms=3.0,
                prefill_queue_tokens=80000, prefill_queue_fade=0.7, prefill_queue_isl_power=1.0)


def test_catalog_entries_are_complete_and_sourced():
    for gpu in catalog.gpus().values():
        assert gpu.source and gpu.memory_gb > 0 and gpu.bandwidth_tb_s > 0 and gpu.tflops_fp16 > 0
        assert 0 < gpu.stream_tb_s <= gpu.bandwidth_tb_s and 0 < gpu.memory_gib <= gpu.memory_gb * 1.08
        assert gpu.interconnect and gpu.link_gb_s_per_direction > 0 and gpu.allreduce_8gpu_us > 0
        assert gpu.gpus_per_server == 8 and gpu.power_w > 0
    for model in catalog.models().values():
        assert model.source and model.layers > 0 and model.heads % model.kv_heads == 0
        assert model.active_params_b <= model.params_b
    assert {"A100 SXM 80GB", "H100 SXM", "H200 SXM", "B200", "L40S"} <= set(catalog.gpus())
    assert {"Llama 3 8B", "Llama 3.1 8B", "Llama 3 70B", "Llama 3.1 70B", "Llama 3.1 405B", "Mixtral 8x7B"} <= set(
        catalog.models())
    # NVLink generations, and the one GPU without NVLink all-reduces over PCIe (perf-model-facts §1.1).
    assert catalog.gpu("L40S").interconnect.startswith("PCIe") and catalog.gpu("L40S").link_gb_s_per_direction == 32
    assert [catalog.gpu(g).interconnect for g in ("A100", "H100", "B200")] == ["NVLink 3", "NVLink 4", "NVLink 5"]


@pytest.mark.parametrize("name,expected", [
    ("meta-llama3-8b-instruct", "Llama 3 8B"), ("meta-llama3-70b-instruct", "Llama 3 70B"),
    ("meta/llama3-8b-instruct", "Llama 3 8B"), ("H100_80GB_HBM3", "H100 SXM"), ("A100-SXM4-80GB", "A100 SXM 80GB"),
])
def test_course_names_resolve(name, expected):
    entry = catalog.resolve_model(name) or catalog.resolve_gpu(name)
    assert entry is not None and entry.name == expected


def test_kv_bytes_per_token_by_hand():
    # perf-model-facts §2: 2 × layers × kv_heads × head_dim × 2 bytes = 128 KiB (8B), 320 KiB (70B), 504 KiB (405B).
    assert catalog.model("Llama 3 8B").kv_bytes_per_token(2) == 2 * 32 * 8 * 128 * 2 == 131072
    assert catalog.model("Llama 3 70B").kv_bytes_per_token(2) == 320 * 1024
    assert catalog.model("Llama 3.1 405B").kv_bytes_per_token(2) == 504 * 1024
    assert catalog.model("Llama 3 70B").kv_bytes_per_token(2, tp=4) == 80 * 1024  # 8 KV heads split 4 ways


def test_kv_capacity_by_hand():
    # 8B FP16 on H100 TP1: the driver reports 79.65 GiB; weights 8.03e9 × 2 B; reserve 3.5 GiB; 90 % of the rest
    # holds KV: 0.9 × (85,523,536,282 − 16,060,000,000 − 3,758,096,384) = 59,134,895,908 B, ÷ (131,072 B × 4,000
    # tokens) = 112.8 sequences.
    cap = capacity(Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 2000, 2000), Params())
    assert cap.kv_seqs == pytest.approx(0.9 * (79.65 * GIB - 16.06e9 - 3.5 * GIB) / (131072 * 4000), rel=1e-9)
    assert cap.seqs == 112 and cap.binding == "KV cache"
    assert cap.describe().startswith("capacity: 112 sequences in KV cache")


def test_a_70b_model_in_fp8_runs_on_one_80gb_gpu():
    # Llama 3.1 70B FP8: body 68.45e9 × 1 B, embeddings and LM head 2 × 128,256 × 8,192 × 2 B (they stay 16-bit):
    # 72.65e9 B = 67.66 GiB. 0.9 × (79.65 − 67.66 − 3.5) GiB = 7.64 GiB of KV cache; FP8 KV is 2 × 80 × 8 × 128 B
    # = 160 KiB per token, so 2,000-token requests: 25 sequences (TensorRT-LLM holds ~27: perf-model-facts §4).
    cap = capacity(Config.from_names("Llama 3.1 70B", "H100 SXM", 1, "fp8", 1000, 1000), Params())
    assert cap.weights_gib == pytest.approx((70.55e9 - 2 * 128256 * 8192 + 2 * 128256 * 8192 * 2) / GIB, rel=1e-9)
    assert cap.seqs == 25 and cap.kv_pool_gib == pytest.approx(7.639, abs=1e-3)


def test_max_batch_is_the_other_ceiling():
    # 8B FP8 at 200/200 on TP2: the KV cache holds thousands of 400-token sequences; the engine runs 256.
    cap = capacity(Config.from_names("Llama 3 8B", "H100 SXM", 2, "fp8", 200, 200), Params())
    assert cap.kv_seqs > 1000 and cap.seqs == 256 and cap.binding == "engine's maximum batch"
    assert "maximum batch" in cap.describe()


@pytest.mark.parametrize("args,needle", [
    (("Llama 3.1 405B", "H100 SXM", 1, "fp16", 2000, 200), "short of even the weights"),
    (("Llama 3.1 70B", "H100 SXM", 1, "fp16", 200, 200), "GiB of weights per GPU"),
    (("Llama 3 8B", "H100 SXM", 3, "fp16", 2000, 200), "does not divide"),
    (("Llama 3 8B", "A100 SXM 80GB", 1, "fp8", 2000, 200), "no FP8 tensor cores"),
    (("Llama 3 8B", "H100 SXM", 1, "fp4", 2000, 200), "no FP4 tensor cores"),
    (("Llama 3 8B", "H100 SXM", 1, "fp16", 7000, 2000), "exceed"),
    (("Llama 3 70B", "H100 SXM", 16, "fp16", 2000, 200), "exceeds the 8 GPUs"),
])
def test_infeasible_configurations_are_refused(args, needle):
    with pytest.raises(NotFeasible, match=needle):
        sweep(Config.from_names(*args), GRID)


def test_refused_only_when_one_request_does_not_fit():
    # Llama 3.1 70B FP8 on one L40S: 67.7 GiB of weights on a 45 GiB GPU. On H100 it fits (above).
    with pytest.raises(NotFeasible, match="no room for the KV cache of one"):
        capacity(Config.from_names("Llama 3.1 70B", "L40S", 1, "fp8", 1000, 1000))


@pytest.mark.parametrize("args,needle", [
    (("GPT-9", "H100 SXM", 1, "fp16", 200, 200), "unknown model"),
    (("Llama 3 8B", "TPU v5", 1, "fp16", 200, 200), "unknown GPU"),
    (("Llama 3 8B", "H100 SXM", 1, "int3", 200, 200), "unknown precision"),
])
def test_unknown_names(args, needle):
    with pytest.raises(SizerError, match=needle):
        Config.from_names(*args)


def test_bad_concurrency():
    with pytest.raises(SizerError, match="concurrency"):
        sweep(Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 200, 200), [0, 1])


def test_concurrency_one_by_hand():
    # 8B FP16 on H100 TP1, 2000 in / 200 out, one request at a time (no waiting).
    # GEMM FLOPs per token: 2 × (8.03e9 − 1.0506e9 embeddings + 0.5253e9 LM head) = 15.009e9; attention 2 × 32 layers
    # × 32 heads × 128 × tokens². Prefill = 2000 × 15.009e9 / (989e12 × 0.5) + 2 × 32 × 32 × 128 × 2000² /
    # (989e12 × 0.5) + 32 × 50 µs = 60.70 + 2.12 + 1.60 ms (compute beats the 4.94 ms weight read).
    # Decode step = weights 15.009e9 B / 3.04e12 B/s + KV 2,100 × 131,072 B / (3.04e12 × 0.5) + 32 × 50 µs + 20 µs.
    # The first token's latency beyond the GPU: 10 ms per request + 100 µs for each of the 32 layers = 13.2 ms.
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 2000, 200)
    row = sweep(cfg, [1], SIMPLE).iloc[0]
    gemm_per_token = 2 * (8.03e9 - 2 * 128256 * 4096 + 128256 * 4096)
    prefill = (2000 * gemm_per_token + 2 * 32 * 32 * 128 * 2000**2) / (989e12 * 0.5) + 32 * 50e-6
    step = gemm_per_token / 3.04e12 + 2100 * 131072 / (3.04e12 * 0.5) + 32 * 50e-6 + 20e-6
    assert math.isclose(row["ttft_ms_avg"], (0.0132 + prefill) * 1e3, rel_tol=1e-9)
    assert math.isclose(row["e2e_ms_avg"], (0.0132 + prefill + 199 * step) * 1e3, rel_tol=1e-9)
    assert math.isclose(row["itl_ms_avg"], step * 1e3, rel_tol=1e-9)
    assert math.isclose(row["req_per_s"], 1000 / row["e2e_ms_avg"], rel_tol=1e-9)
    # Nothing waits at concurrency 1, so every percentile is the service time.
    for metric in ("ttft", "itl", "e2e"):
        assert {row[f"{metric}_ms_{s}"] for s in ("p50", "p90", "p95", "p99")} == {row[f"{metric}_ms_avg"]}


def test_first_token_wait_by_hand():
    # 8B FP16 on H100 TP1, 200/200, two requests in flight (SIMPLE parameters). Prefill of a 200-token prompt shared
    # with a step: (200 × 15.009e9 + 2 × 32 × 32 × 128 × 200²) / (989e12 × 0.5) = 6.124 ms. The other request
    # arrived with this one only if within one prefill of it: 6.124 / (6.124 + 3) of it, × (1 − 1/2) (alone half of
    # the time), faded by its 200 tokens against 80,000 (power 0.7). The request sits out 1.5 decode steps
    # (the step in progress, its own) × (1 − 1/2), plus 200 ÷ 8,192 of a step per prefill ahead. A waiting request
    # does not decode: the cycle runs 199 + sat-out steps, whose batch is 2 × 199 ÷ (199 + sat-out); each step
    # reads 4.937 ms of weights, that batch's KV (300 tokens × 131,072 B at 3.04e12 × 0.5 B/s) and 32 × 50 µs +
    # 20 µs per sequence of overheads.
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 200, 200)
    one, two = (sweep(cfg, [c], SIMPLE).iloc[0] for c in (1, 2))
    gemm_per_token = 2 * (8.03e9 - 2 * 128256 * 4096 + 128256 * 4096)
    shared = (200 * gemm_per_token + 2 * 32 * 32 * 128 * 200**2) / (989e12 * 0.5)
    bunch = 1 * (1 - 1 / 2) * shared / (shared + 0.003)
    ahead = bunch / (1 + bunch * 200 / 80000) ** 0.7
    sat_out = ahead * 200 / 8192 + (1 - 1 / 2) * 1.5
    batch = 2 * 199 / (199 + sat_out)
    step = gemm_per_token / 3.04e12 + batch * 300 * 131072 / (3.04e12 * 0.5) + 32 * 50e-6 + batch * 20e-6
    assert math.isclose(two["ttft_ms_avg"], one["ttft_ms_avg"] + (ahead * shared + sat_out * step) * 1e3,
                        rel_tol=1e-9)
    e2e = one["ttft_ms_avg"] / 1e3 + shared + (199 + sat_out) * step
    assert math.isclose(two["e2e_ms_avg"], e2e * 1e3, rel_tol=1e-9)
    assert math.isclose(two["req_per_s"], 2 / e2e, rel_tol=1e-9)
    # The other request's prefill falls into this one's decode when it was not ahead: ITL carries the rest of it.
    assert math.isclose(two["itl_ms_avg"], (step + (1 - ahead) * shared / 199) * 1e3, rel_tol=1e-9)
    # Arrivals spread by 3 ms: a 6.1 ms prefill keeps 6.1 ÷ 9.1 = 67 % of its bunch, a 200 ms one 98.5 %.
    at_50 = _prefills_ahead(_Physics.of([cfg]), SIMPLE, np.array([50.0]), np.array([shared]))[0]
    bunch = 49 * (1 - 1 / 50) * shared / (shared + 0.003)
    assert at_50 == pytest.approx(bunch / (1 + bunch * 200 / 80000) ** 0.7, rel=1e-12)
    long = _Physics.of([Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 7000, 1000)])
    bunch = 49 * (1 - 1 / 50) * 0.2 / 0.203
    assert _prefills_ahead(long, SIMPLE, np.array([50.0]), np.array([0.2]))[0] == pytest.approx(
        bunch / (1 + bunch * 7000 / 80000) ** 0.7, rel=1e-12)


def test_queue_past_the_knee_by_hand():
    # 8B FP16 on H100 at 7000/1000 holds 52 sequences (calibrated memory fraction). Past them requests wait for a
    # slot: Little's law on the waiting line adds (C − N) / X to TTFT and E2E; ITL and req/s stay where they are.
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 7000, 1000)
    p = Params.load()
    n = capacity(cfg, p).kv_seqs
    df = sweep(cfg, [n, 100, 200], p)
    x = df["req_per_s"].iloc[0]
    for i, c in ((1, 100), (2, 200)):
        assert df["ttft_ms_avg"].iloc[i] == pytest.approx(df["ttft_ms_avg"].iloc[0] + (c - n) / x * 1e3, rel=1e-9)
        assert df["e2e_ms_avg"].iloc[i] == pytest.approx(df["e2e_ms_avg"].iloc[0] + (c - n) / x * 1e3, rel=1e-9)
        assert df["itl_ms_avg"].iloc[i] == pytest.approx(df["itl_ms_avg"].iloc[0], rel=1e-12)
        assert df["req_per_s"].iloc[i] == pytest.approx(x, rel=1e-12)
    assert math.floor(n) == 52 and (df["capacity_seqs"] == 52).all()
    assert regime(52, 52) == "below_knee" and regime(100, 52) == "above_knee"


def test_ttft_keeps_rising_below_the_knee():
    # The old model's TTFT was flat from concurrency 100 to 256 here (295.475 ms) while req/s rose 25 %.
    df = sweep(Config.from_names("Llama 3 8B", "B200", 2, "fp4", 2000, 200), [100, 150, 200, 256])
    assert (np.diff(df["ttft_ms_avg"]) > 0).all() and (np.diff(df["itl_ms_avg"]) > 0).all()
    assert df["capacity_seqs"].iloc[0] == 256


def test_allreduce_is_priced_by_the_link():
    # One all-reduce of a 1 MB message at TP2: base latency + scale × the 8-GPU latency × 1/7 + 2 × (1/2) × 1 MB
    # over one direction of the link at eta_link. L40S has no NVLink: 32 GB/s of PCIe against H100's 450.
    p = Params.load()
    for gpu, link, latency in (("H100 SXM", 450e9, 35.9e-6), ("L40S", 32e9, 42.8e-6)):
        ph = _Physics.of([Config.from_names("Llama 3 8B", gpu, 2, "fp16", 200, 200)])
        expected = p.allreduce_base_us * 1e-6 + p.allreduce_latency_scale * latency / 7 + 1e6 / (link * p.eta_link)
        assert float(_allreduce_s(ph, p, np.array([1e6]))[0]) == pytest.approx(expected, rel=1e-9)
    ph1 = _Physics.of([Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 200, 200)])
    assert float(_allreduce_s(ph1, p, np.array([1e6]))[0]) == 0.0  # no all-reduce without TP


def test_moe_reads_the_experts_its_batch_touches():
    # Mixtral 8x7B: 8 experts of (46.7 − 12.9) / 6 = 5.633e9 parameters; a token uses 2. One sequence reads
    # 2 experts per layer; a large batch reads all 8; in between E·(1 − (1 − k/E)^B).
    cfg = Config.from_names("Mixtral 8x7B", "H100 SXM", 2, "fp8", 1000, 1000)
    ph = _Physics.of([cfg])
    expert = 5.633333e9 / 2  # FP8, split over TP2
    reads = [float(_weights_read(ph, np.array([b]))[0]) for b in (1, 2, 8, 64, 1e6)]
    assert reads[1] - reads[0] == pytest.approx(8 * ((1 - 2 / 8) - (1 - 2 / 8) ** 2) * expert, rel=1e-6)
    assert reads[-1] - reads[0] == pytest.approx(6 * expert, rel=1e-6)
    assert (np.diff(reads) > 0).all()
    # Prefill and decode compute go through the 12.9e9 active parameters, not the 46.7e9 held in memory.
    embedding = 2 * 32000 * 4096
    assert float(ph.gemm_flops_tok[0]) == pytest.approx(2 * (12.9e9 - embedding + 32000 * 4096) / 2, rel=1e-9)
    assert float(ph.weights_mem[0]) == pytest.approx(((46.7e9 - embedding) * 1 + embedding * 2) / 2, rel=1e-9)


def test_more_bandwidth_decodes_faster():
    h100 = sweep(Config.from_names("Llama 3 70B", "H100 SXM", 4, "fp8", 200, 1000), [1]).iloc[0]
    h200 = sweep(Config.from_names("Llama 3 70B", "H200 SXM", 4, "fp8", 200, 1000), [1]).iloc[0]
    assert h200["itl_ms_avg"] < h100["itl_ms_avg"]


def test_modeled_percentiles_come_from_a_gamma_wait():
    # p-quantile = service + gamma quantile with the waits' mean and variance; checked against scipy directly.
    assert float(_gamma_quantile(0.95, np.array([2.0]), np.array([1.0]))[0]) == pytest.approx(
        stats.gamma.ppf(0.95, 4.0, scale=0.5), rel=1e-12)
    assert float(_gamma_quantile(0.95, np.array([0.0]), np.array([0.0]))[0]) == 0.0
    df = sweep(Config.from_names("Llama 3 70B", "H100 SXM", 4, "fp8", 2000, 200), GRID)
    for metric in ("ttft", "itl", "e2e"):
        cols = [f"{metric}_ms_{s}" for s in ("p50", "p90", "p95", "p99")]
        assert (np.diff(df[cols].to_numpy(), axis=1) >= 0).all()
    assert (df["ttft_ms_p95"].iloc[1:] > df["ttft_ms_avg"].iloc[1:]).all()


def test_request_rate_maps_to_a_concurrency():
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp8", 1000, 1000)
    p = Params.load()
    c = concurrency_for_rate(cfg, 2.0, p)
    assert c is not None and float(evaluate(_Physics.of([cfg]), p, np.array([c]))["req_per_s"][0]) == pytest.approx(2.0)
    assert concurrency_for_rate(cfg, 1e6, p) is None  # past saturation


def test_check_is_the_capacity():
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 2000, 2000)
    assert check(cfg, Params()) == capacity(cfg, Params()).seqs == 112


def test_error_band_interface():
    for metric in ERROR_METRICS:
        for where in REGIMES:
            band = error_band(metric, where)
            wide = error_band(metric, where, extrapolated=True)
            assert isinstance(band, ErrorBand) and 0 < band.low < band.high and band.basis
            # An extrapolation is never narrower than the band on the points the model was fitted on.
            assert wide.low <= band.low and wide.high >= band.high and "extrapolation" in wide.basis
    with pytest.raises(SizerError, match="no error band"):
        error_band("tokens", "below_knee")
    with pytest.raises(SizerError, match="regime"):
        error_band("ttft_ms", "saturated")


@pytest.mark.parametrize("args,expected", [
    (("Llama 3 8B", "H100 SXM", 1, "fp8", 2000, 200), False),       # measured (nim.csv)
    (("Llama 3.1 70B", "A100", 4, "bf16", 2000, 200), False),       # Llama 3 70B's architecture, BF16 as FP16
    (("Llama 3 8B", "B200", 1, "fp8", 2000, 200), True),            # a GPU never measured
    (("Llama 3 8B", "B200", 1, "fp4", 2000, 200), True),            # FP4 never measured
    (("Mixtral 8x7B", "H100 SXM", 2, "fp8", 2000, 200), True),      # an architecture never measured (MoE)
])
def test_what_counts_as_an_extrapolation(args, expected):
    from core.perfmodel import extrapolated

    assert extrapolated(Config.from_names(*args)) is expected


def test_predict_like_maps_request_rate_runs_through_littles_law():
    import pandas as pd

    from core.perfmodel import predict_like

    runs = pd.DataFrame({"model": "meta-llama3-8b-instruct", "gpu": "H100_80GB_HBM3", "tp": 1, "precision": "fp8",
                         "isl": 1000, "osl": 1000, "load_mode": "request_rate", "concurrency": float("nan"),
                         "request_rate": [2.0, 1e6]})
    modeled, problems = predict_like(runs, Params.load())
    # 2 req/s is served at the concurrency whose modeled throughput is 2 req/s; 1e6 req/s is past saturation.
    assert problems == [] and len(modeled) == 1
    row = modeled.iloc[0]
    assert row["load_mode"] == "request_rate" and row["request_rate"] == 2.0
    assert row["req_per_s"] == pytest.approx(2.0, rel=1e-6) and row["gpu"] == "H100_80GB_HBM3"
