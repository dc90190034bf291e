"""Every file in ../shared/data/real-exports (other people's unedited runs, one per format) imports with the right
numbers. Each expected value was read by hand from the file named in the test; the key and the arithmetic are given."""

from __future__ import annotations

import math

import pytest

from core.errors import BenchmarkFileError
from core.importers import RunLabels, read_path
from core.table import load_paths
from tests.conftest import SHARED_DATA, _need

REAL = SHARED_DATA / "real-exports"
# What the files do not record (the GPU, TP and precision of the run) is given as a user would.
LABELS = RunLabels(gpu="H200", tp=4, precision="fp8")


@pytest.fixture(scope="module")
def real():
    return _need(REAL)


def one(path, labels=LABELS):
    result = read_path(path, labels)
    assert result.dropped == [] and len(result.table) == 1
    return result.table.iloc[0], result


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12)


def test_inferencex_result_needs_no_labels(real):
    row, _ = one(real / "InferenceMAX_Rocm_Team__qwen3.5_tp4_conc8_inferencex_result.json", None)
    # hw, conc, tp, precision, framework and model are in the file.
    assert (row["gpu"], row["tp"], row["gpus_per_instance"], row["precision"], row["engine"]) == ("mi355x", 4, 4, "fp8", "sglang")
    assert row["model"] == "Qwen/Qwen3.5-397B-A17B-FP8" and row["concurrency"] == 8
    assert close(row["ttft_ms_avg"], 2.033654499820189 * 1000)    # mean_ttft, seconds
    assert close(row["ttft_ms_p95"], 5.194697502199995 * 1000)    # p95_ttft
    assert close(row["itl_ms_avg"], 0.0392264478312166 * 1000)    # mean_tpot
    assert close(row["e2e_ms_avg"], 28.964298320309148 * 1000)    # mean_e2el
    assert close(row["req_per_s"], 317 / 1801.464647229)          # total_requests_completed / duration_seconds
    assert close(row["out_tok_per_s"], 138.04378586197586)        # output_tput_tps
    # No requested lengths in an agentic run: mean_input_tokens 94204.047…, mean_output_tokens_actual 784.48…
    assert (row["isl"], row["osl"]) == (94204, 784) and close(row["isl_measured"], 94204.04731861199)


def test_guidellm_benchmarks(real):
    row, result = one(real / "guidellm-bench__Qwen3-4B_tp4_fp8_benchmarks.json")
    assert row["model"] == "Qwen/Qwen3-4B-Thinking-2507"          # benchmarks[0].config.backend.model
    assert row["concurrency"] == 4                                # config.strategy: concurrent, streams 4
    m = "metrics.<name>.successful"
    assert close(row["req_per_s"], 0.12043527909470322), m        # requests_per_second mean
    assert close(row["ttft_ms_avg"], 171.7655062675476)           # time_to_first_token_ms mean (ms)
    assert close(row["itl_ms_avg"], 24.17877651496134)            # inter_token_latency_ms mean
    assert close(row["e2e_ms_avg"], 24.90865981578827 * 1000)     # request_latency mean, seconds
    assert close(row["e2e_ms_p99"], 24.909693002700806 * 1000)    # request_latency percentiles.p99
    assert (row["isl"], row["osl"]) == (99, 1024)                 # prompt/output_token_count means 99.0, 1024.0
    assert result.warnings == []


def test_sglang_jsonl_request_rate_sweep(real):
    result = read_path(real / "h200-benchmarks__llama_3_3_70b_online_output.jsonl",
                       RunLabels(model="llama-3.3-70b", gpu="H200", tp=8, precision="fp8"))
    table = result.table
    assert len(table) == 7 and (table["load_mode"] == "request_rate").all()
    first = table.iloc[0]
    assert first["request_rate"] == 1.0
    assert close(first["req_per_s"], 300 / 298.3675805060193)     # completed / duration (no request_throughput)
    assert close(first["e2e_ms_avg"], 7840.616212638561)          # mean_e2e_latency_ms
    assert close(first["ttft_ms_p50"], 85.74514742940664)         # median_ttft_ms (this release writes no mean)
    assert close(first["itl_ms_p50"], 13.638956006616354)         # median_itl_ms
    # random_range_ratio 0: each request drew its length, so the measured means key the curve:
    # 152612 / 300 = 508.7 -> 509 input, 160347 / 300 = 534.49 -> 534 output.
    assert (first["isl"], first["osl"]) == (509, 534) and close(first["isl_measured"], 152612 / 300)
    assert any("random_range_ratio 0" in w for w in result.warnings)


def test_sglang_without_model_says_what_to_supply(real):
    with pytest.raises(BenchmarkFileError, match="do not record model"):
        read_path(real / "h200-benchmarks__llama_3_3_70b_online_output.jsonl", LABELS)


def test_llmperf_summary(real):
    row, _ = one(real / "llmperf-leaderboard__together_70b_summary.json")
    assert row["model"] == "together_ai/togethercomputer/llama-2-70b-chat" and row["concurrency"] == 5
    assert close(row["ttft_ms_avg"], 0.622329721273333 * 1000)    # results_ttft_s_mean
    assert close(row["ttft_ms_p99"], 0.8708675934700044 * 1000)   # results_ttft_s_quantiles_p99
    assert close(row["e2e_ms_avg"], 2.4906428459 * 1000)          # results_end_to_end_latency_s_mean
    assert close(row["req_per_s"], 81.89078137274691 / 60)        # results_num_completed_requests_per_min / 60
    assert close(row["out_tok_per_s"], 216.45553311958628)        # results_mean_output_throughput_token_per_s
    # LLMPerf's inter-token latency (0.01578 s) includes the first token; the stored one is derived:
    # (2490.6428459 - 622.329721273333) / (158.59333333333333 - 1) = 11.8553 ms.
    assert close(row["itl_ms_avg"], (2490.6428459 - 622.329721273333) / (158.59333333333333 - 1))
    assert row["derived"] == "itl_ms_avg" and math.isnan(row["itl_ms_p99"])
    assert (row["isl"], row["osl"]) == (550, 150)                  # mean_input_tokens, mean_output_tokens


def test_genai_perf_analyze_sweep(real):
    result = read_path(real / "perf_analyzer__analyze_export_genai_perf.csv", LABELS)
    table = result.table
    assert len(table) == 5 and (table["concurrency"] == 32).all() and (table["model"] == "gpt2").all()
    first = table.iloc[0]                                          # gpt2_run_config_3
    assert first["ttft_ms_p99"] == 184.43 and first["itl_ms_p99"] == 30.90 and first["e2e_ms_p99"] == 3406.24
    assert first["req_per_s"] == 10.12 and first["out_tok_per_s"] == 1134.92 and first["isl"] == 200
    # Only the p99 output length is written: its median over the runs (125.98, 125.49, 125.96, 125.47, 124.49) is
    # 125.49 -> 125, said in a warning.
    assert (table["osl"] == 125).all() and any("99th-percentile output length" in w for w in result.warnings)
    # The five runs (1 configuration, 5 dataset sizes) are repeats of one point: averaged, with the count kept.
    averaged = load_paths([real / "perf_analyzer__analyze_export_genai_perf.csv"], LABELS).table
    assert len(averaged) == 1 and averaged["runs"].iloc[0] == 5
    assert close(averaged["req_per_s"].iloc[0], (10.12 + 10.09 + 10.04 + 10.03 + 9.83) / 5)


def test_aiperf_0_11_without_lengths(real):
    path = real / "vllm-benchmark-akamaslabs__concurrency_16_profile_export_aiperf.json"
    # A file dataset: no input_sequence_length metric and no synthetic length in input_config.
    with pytest.raises(BenchmarkFileError, match="neither the requested nor the measured input length; supply"):
        read_path(path, LABELS)
    row, _ = one(path, RunLabels(gpu="H100", tp=1, precision="fp8", isl=300))
    assert row["model"] == "qwen3-4b"                              # input_config.models.items[0].name
    assert row["concurrency"] == 16                                # input_config.phases[0] (concurrency, 16)
    assert close(row["ttft_ms_avg"], 28.736161119863013) and close(row["ttft_ms_p99"], 66.76023583999999)
    assert close(row["itl_ms_avg"], 8.77927431816552) and close(row["e2e_ms_avg"], 2334.7705151291584)
    assert close(row["req_per_s"], 6.814794988917071) and close(row["out_tok_per_s"], 1792.2310692134672)
    assert (row["isl"], row["osl"]) == (300, 263)                  # given; output_sequence_length.avg 262.99 -> 263


def test_vllm_default_percentiles_derives_e2e(real):
    row, _ = one(real / "vllm-benchmarking__bench_serve_v0.25.1.json")
    assert row["model"] == "facebook/opt-125m" and row["concurrency"] == 2 and row["engine"] == "vllm"
    assert close(row["ttft_ms_avg"], 215.53594200008774) and close(row["ttft_ms_p99"], 734.4049174101428)
    assert close(row["itl_ms_avg"], 11.265828258331112)           # mean_tpot_ms
    assert close(row["req_per_s"], 5.180810671273421)
    # 256 input / 8 completed = 32; 128 / 8 = 16. No e2el in the file: 215.536 + 11.2658 × (16 - 1) = 384.52 ms.
    assert (row["isl"], row["osl"]) == (32, 16)
    assert close(row["e2e_ms_avg"], 215.53594200008774 + 11.265828258331112 * 15)
    assert row["derived"] == "e2e_ms_avg"


def test_the_folder_reads_every_export_and_lists_what_it_skips(real):
    loaded = load_paths([real], RunLabels(model="m", gpu="H200", tp=4, precision="fp8", isl=300))
    files = {f.split("/")[-1] for f in loaded.files}
    assert len(files) == 7 and "SOURCES.md" not in files
    assert [d.source.split("/")[-1] for d in loaded.dropped] == ["SOURCES.md"]
    assert "not a benchmark file type (.md)" in loaded.dropped[0].reason
