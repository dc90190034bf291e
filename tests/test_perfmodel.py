"""The performance model: hand-computed memory facts, refusals with reasons, and the shape of a sweep."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import catalog
from core.errors import SizerError
from core.perfmodel import Config, NotFeasible, Params, check, sweep

GRID = [1, 2, 5, 10, 25, 50, 100, 150, 200, 250]


def test_catalog_entries_are_complete_and_sourced():
    for gpu in catalog.gpus().values():
        assert gpu.source and gpu.memory_gb > 0 and gpu.bandwidth_tb_s > 0 and gpu.tflops_fp16 > 0
        assert gpu.gpus_per_server == 8 and gpu.power_w > 0 and gpu.usd_per_gpu_hour > 0
    for model in catalog.models().values():
        assert model.source and model.layers > 0 and model.heads % model.kv_heads == 0
        assert model.active_params_b <= model.params_b
    assert {"A100 SXM 80GB", "H100 SXM", "H200 SXM", "B200", "L40S"} <= set(catalog.gpus())
    assert {"Llama 3 8B", "Llama 3.1 8B", "Llama 3 70B", "Llama 3.1 70B", "Llama 3.1 405B", "Mixtral 8x7B"} <= set(
        catalog.models())


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
    # 8B FP16 on H100 TP1: 0.9 × 80 GB − 8.03 × 2 GB − 4 GB = 51.94 GB; ÷ (131072 B × 4000 tokens) = 99 sequences.
    p = Params()
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 2000, 2000)
    assert check(cfg, p) == math.floor((0.9 * 80e9 - 8.03e9 * 2 - 4e9) / (131072 * 4000)) == 99


@pytest.mark.parametrize("args,needle", [
    (("Llama 3.1 405B", "H100 SXM", 1, "fp16", 2000, 200), "weights per GPU"),
    (("Llama 3 8B", "H100 SXM", 3, "fp16", 2000, 200), "does not divide"),
    (("Llama 3 8B", "A100 SXM 80GB", 1, "fp8", 2000, 200), "no FP8 tensor cores"),
    (("Llama 3 8B", "H100 SXM", 1, "fp4", 2000, 200), "no FP4 tensor cores"),
    (("Llama 3 8B", "H100 SXM", 1, "fp16", 7000, 2000), "exceed"),
    (("Llama 3 70B", "H100 SXM", 16, "fp16", 2000, 200), "exceeds the 8 GPUs"),
])
def test_infeasible_configurations_are_refused(args, needle):
    with pytest.raises(NotFeasible, match=needle):
        sweep(Config.from_names(*args), GRID)


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
    # At concurrency 1 the model is: TTFT = overhead + prefill; e2e = TTFT + (osl - 1) × decode step.
    p = Params(eta_compute_fp16=0.5, eta_memory=0.8, layer_overhead_us=50, layer_overhead_tp_us=0,
               allreduce_latency_us=0, ttft_overhead_ms=10, seq_overhead_us=20)
    cfg = Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 2000, 200)
    row = sweep(cfg, [1], p).iloc[0]
    prefill = (2 * 8.03e9 * 2000 + 2 * 32 * 32 * 128 * 2000**2) / (989e12 * 0.5)  # compute-bound: 66.1 ms
    step = ((8.03e9 * 2 + 2100 * 131072) / (3.35e12 * 0.8)
            + (2 * 8.03e9 + 4 * 32 * 32 * 128 * 2100) / (989e12 * 0.5) + (32 * 50 + 20) * 1e-6)
    assert math.isclose(row["ttft_ms_avg"], (0.010 + prefill) * 1e3, rel_tol=1e-9)
    assert math.isclose(row["e2e_ms_avg"], (0.010 + prefill + 199 * step) * 1e3, rel_tol=1e-9)
    assert math.isclose(row["req_per_s"], 1000 / row["e2e_ms_avg"], rel_tol=1e-9)


@given(model=st.sampled_from(["Llama 3 8B", "Llama 3 70B", "Mixtral 8x7B"]),
       gpu=st.sampled_from(["A100 SXM 80GB", "H100 SXM", "H200 SXM", "B200", "L40S"]),
       tp=st.sampled_from([1, 2, 4, 8]), isl=st.integers(50, 4000), osl=st.integers(2, 3000))
def test_sweep_shape(model, gpu, tp, isl, osl):
    cfg = Config.from_names(model, gpu, tp, "fp16", isl, osl)
    try:
        df = sweep(cfg, GRID)
    except NotFeasible:
        return
    # Little's law holds by construction; latency and throughput never fall as concurrency rises.
    assert np.allclose(df["req_per_s"] * df["e2e_ms_avg"] / 1000, df["concurrency"], rtol=1e-9)
    for col in ("ttft_ms_avg", "itl_ms_avg", "e2e_ms_avg", "req_per_s"):
        assert (np.diff(df[col]) >= -1e-9 * df[col].max()).all(), col
    assert (df["ttft_ms_p95"] >= df["ttft_ms_avg"]).all() and (df["provenance"] == "modeled").all()


def test_more_bandwidth_decodes_faster():
    h100 = sweep(Config.from_names("Llama 3 70B", "H100 SXM", 4, "fp8", 200, 1000), [1]).iloc[0]
    h200 = sweep(Config.from_names("Llama 3 70B", "H200 SXM", 4, "fp8", 200, 1000), [1]).iloc[0]
    assert h200["itl_ms_avg"] < h100["itl_ms_avg"]


def test_kv_capacity_makes_the_queue_knee():
    # 8B FP16 H100 at 7000/1000 holds 49 sequences: past that TTFT grows with every waiting request, ITL stays flat.
    df = sweep(Config.from_names("Llama 3 8B", "H100 SXM", 1, "fp16", 7000, 1000), [50, 100, 200])
    assert df["itl_ms_avg"].nunique() == 1 and df["ttft_ms_avg"].iloc[2] > 3 * df["ttft_ms_avg"].iloc[0]


def test_error_band_interface():
    from core.perfmodel import ERROR_METRICS, REGIMES, ErrorBand, error_band

    for metric in ERROR_METRICS:
        for regime in REGIMES:
            band = error_band(metric, regime)
            wide = error_band(metric, regime, extrapolated=True)
            assert isinstance(band, ErrorBand) and 0 < band.low < band.high and band.basis
            # An extrapolation is never narrower than the band on the points the model was fitted on.
            assert wide.low <= band.low and wide.high >= band.high and "extrapolation" in wide.basis
    with pytest.raises(SizerError, match="no error band"):
        error_band("tokens", "below_knee")
    with pytest.raises(SizerError, match="regime"):
        error_band("ttft_ms", "saturated")
