"""Each supported format and version, on this project's own hand-written fixtures (tests/fixtures/<tool>/).

Expected values are the fixtures' own numbers (the file and key are named); derived ones give their arithmetic.
"""

from __future__ import annotations

import math

import pytest

from core.errors import BenchmarkFileError
from core.importers import SUFFIXES, RunLabels, read_benchmark, read_path
from core.table import load_paths
from tests.conftest import FIXTURES

LABELS = RunLabels(gpu="H100 SXM", tp=1, precision="fp8")
NAMED = RunLabels(model="my-org/model-x", gpu="H100 SXM", tp=1, precision="fp8")


def row_of(relative: str, labels: RunLabels = LABELS, index: int = 0):
    result = read_path(FIXTURES / relative, labels)
    return result.table.iloc[index], result


def test_suffixes_include_json_lines():
    assert set(SUFFIXES) == {".csv", ".json", ".jsonl"}


# --- AIPerf ---------------------------------------------------------------------------------------------------

def test_aiperf_prerelease_records_in_ns():
    row, _ = row_of("aiperf/prerelease-records.json")
    # records.ttft.avg 50000000 ns = 50 ms; request_latency 2040000000 ns = 2040 ms; loadgen.concurrency 4.
    assert (row["ttft_ms_avg"], row["ttft_ms_p99"], row["e2e_ms_avg"], row["itl_ms_avg"]) == (50, 90, 2040, 10)
    assert (row["model"], row["concurrency"], row["isl"], row["osl"]) == ("my-org/model-a", 4, 100, 200)


def test_aiperf_0_8_schema_1_1():
    row, result = row_of("aiperf/0.8-schema-1.1.json")
    assert (row["model"], row["concurrency"], row["isl"], row["osl"]) == ("my-org/model-b", 32, 1000, 250)
    assert (row["ttft_ms_p95"], row["itl_ms_avg"], row["e2e_ms_p99"], row["req_per_s"]) == (190, 9.52, 3100, 12)
    assert row["isl_measured"] == 1001.3 and result.warnings == []  # 1001.3 vs 1000 asked: within 10 %


def test_aiperf_0_11_schema_1_3_phases_and_datasets():
    row, _ = row_of("aiperf/0.11-schema-1.3.json")
    # The profiling phase (concurrency 64), not the warmup one (8); datasets[0].prompts.isl/osl means 2048/128.
    assert (row["model"], row["concurrency"], row["isl"], row["osl"]) == ("my-org/model-c", 64, 2048, 128)
    assert (row["ttft_ms_avg"], row["e2e_ms_p90"], row["req_per_s"]) == (400, 3600, 20)


def test_aiperf_rate_phase():
    row, _ = row_of("aiperf/0.11-poisson-phase.json")
    assert row["load_mode"] == "request_rate" and row["request_rate"] == 12.5 and math.isnan(row["concurrency"])


def test_aiperf_without_input_length_asks_for_it():
    with pytest.raises(BenchmarkFileError, match=r"neither the requested nor the measured input length; supply the requested input length \(isl\)"):
        row_of("aiperf/0.11-file-dataset-no-lengths.json")
    row, _ = row_of("aiperf/0.11-file-dataset-no-lengths.json", RunLabels(gpu="H100", tp=1, precision="fp8", isl=700))
    assert (row["isl"], row["osl"], row["concurrency"]) == (700, 300, 16)  # osl: output_sequence_length.avg 300


def test_aiperf_run_where_every_request_failed():
    with pytest.raises(BenchmarkFileError, match="every request failed: 0 of 200 requests completed"):
        row_of("aiperf/all-requests-failed.json")


@pytest.mark.parametrize("folder", ["0.8-csv-concurrency16", "0.8-csv-empty-telemetry-concurrency2"])
def test_aiperf_csv_with_gpu_telemetry_block(folder):
    row, result = row_of(f"aiperf/{folder}/profile_export_aiperf.csv", NAMED)
    concurrency = 16 if "16" in folder else 2  # from the folder name: the CSV does not record it
    assert row["concurrency"] == concurrency and result.dropped == []
    if concurrency == 16:
        # "Request Latency (ms)" avg "3,210.00"; Request Throughput (requests/sec) 4.98; lengths 1024/256.
        assert (row["e2e_ms_avg"], row["ttft_ms_p99"], row["req_per_s"], row["isl"], row["osl"]) == (3210, 340, 4.98, 1024, 256)


def test_aiperf_json_and_csv_of_one_run_agree():
    folder = FIXTURES / "aiperf-run-concurrency8"
    js = read_path(folder / "profile_export_aiperf.json", LABELS).table.iloc[0]
    cs = read_path(folder / "profile_export_aiperf.csv", LABELS).table.iloc[0]  # model, load, lengths from the twin
    for col in ("model", "isl", "osl", "concurrency", "ttft_ms_avg", "e2e_ms_p99", "req_per_s", "out_tok_per_s"):
        assert js[col] == cs[col], col


# --- GenAI-Perf -----------------------------------------------------------------------------------------------

def test_genai_perf_streaming_json_and_csv_same_curve():
    folder = FIXTURES / "genai-perf" / "my-org_model-e-openai-chat-concurrency4"
    js = read_path(folder / "profile_export_genai_perf.json", LABELS).table.iloc[0]
    cs = read_path(folder / "profile_export_genai_perf.csv", LABELS).table.iloc[0]
    # input_config: synthetic_input_tokens_mean 3000, output_tokens_mean 50, concurrency 4.
    assert (js["isl"], js["osl"], js["concurrency"]) == (3000, 50, 4)
    for col in ("model", "isl", "osl", "concurrency"):
        assert js[col] == cs[col], col
    # The CSV's "1,100.00" and telemetry blocks (Metric,GPU,…) are read as the JSON's 1100.0.
    assert cs["ttft_ms_avg"] == js["ttft_ms_avg"] == 1100 and cs["isl_measured"] == 3000.4


def test_genai_perf_folder_reads_each_run_once():
    loaded = load_paths([FIXTURES / "genai-perf"], LABELS)
    reasons = {d.source.split("/")[-1]: d.reason for d in loaded.dropped}
    assert "the same run as profile_export_genai_perf.json" in reasons["profile_export_genai_perf.csv"]
    assert len(loaded.files) == 5  # 3 JSON summaries, 2 analyze CSVs


def test_genai_perf_non_streaming_keeps_end_to_end():
    row, result = row_of("genai-perf/non-streaming/profile_export_genai_perf.json")
    assert result.dropped == [] and math.isnan(row["ttft_ms_avg"]) and math.isnan(row["itl_ms_avg"])
    assert (row["e2e_ms_avg"], row["e2e_ms_p95"], row["req_per_s"], row["concurrency"]) == (2000, 2400, 8, 16)


def test_genai_perf_config_file_layout():
    row, _ = row_of("genai-perf/config-file/profile_export_genai_perf.json")
    # perf_analyzer.stimulus.concurrency 8; input.synthetic_tokens.mean 550; input.output_tokens.mean 200.
    assert (row["model"], row["concurrency"], row["isl"], row["osl"]) == ("my-org/model-f", 8, 550, 200)


def test_genai_perf_analyze_sweep():
    row, result = row_of("genai-perf/analyze_export_genai_perf.csv", LABELS, 2)
    assert len(result.table) == 3 and row["model"] == "my-model"  # Config Name my-model_run_config_2
    assert (row["concurrency"], row["isl"], row["ttft_ms_p99"], row["e2e_ms_p99"], row["req_per_s"]) == (16, 128, 90, 1400, 11.5)
    assert math.isnan(row["ttft_ms_avg"]) and row["osl"] == 128  # the p99 output length stands in, with a warning
    assert any("99th-percentile output length" in w for w in result.warnings)
    given = read_path(FIXTURES / "genai-perf/analyze_export_genai_perf.csv", RunLabels(gpu="H100", tp=1, precision="fp8",
                                                                                        osl=120))
    assert (given.table["osl"] == 120).all() and given.warnings == []


def test_genai_perf_analyze_request_rate():
    row, _ = row_of("genai-perf/analyze_request_rate.csv", LABELS, 1)
    assert row["load_mode"] == "request_rate" and row["request_rate"] == 8 and row["isl"] == 256


# --- vLLM ------------------------------------------------------------------------------------------------------

def test_vllm_default_percentiles_derive_e2e():
    row, _ = row_of("vllm/save-result-default-percentiles.json")
    # 51200 / 100 = 512 input, 12800 / 100 = 128 output; e2e = mean_ttft 50 + mean_tpot 10 × (128 − 1) = 1320 ms.
    assert (row["isl"], row["osl"], row["concurrency"]) == (512, 128, 8)
    assert row["e2e_ms_avg"] == 1320 and row["derived"] == "e2e_ms_avg" and math.isnan(row["e2e_ms_p99"])


def test_vllm_append_result_json_lines():
    result = read_path(FIXTURES / "vllm" / "append-result.jsonl", LABELS)
    table = result.table
    assert list(table["request_rate"]) == [2.0, 4.0] and (table["load_mode"] == "request_rate").all()
    assert list(table["e2e_ms_avg"]) == [1076, 1218] and math.isnan(table["derived"].iloc[0])


def test_vllm_2024_infinity_without_max_concurrency():
    row, result = row_of("vllm/benchmark_serving-2024.json")
    # request_rate Infinity, no max_concurrency: all 64 prompts at once.
    assert row["concurrency"] == 64 and "all 64 requests were sent at once" in result.warnings[0]
    assert row["e2e_ms_avg"] == 2500 + 60 * (128 - 1)


def test_vllm_all_failed_is_refused_with_the_reason():
    with pytest.raises(BenchmarkFileError, match="0 of 50 requests completed: every request failed"):
        row_of("vllm/all-requests-failed.json")


def test_vllm_sweep_folder_reads_runs_once():
    loaded = load_paths([FIXTURES / "vllm" / "sweep"], LABELS)
    # run=0.json and run=1.json are read; summary.json repeats them and is listed as skipped.
    assert len(loaded.table) == 1 and loaded.table["runs"].iloc[0] == 2
    assert math.isclose(loaded.table["req_per_s"].iloc[0], (6.5 + 6.3) / 2)
    assert (loaded.table["isl"].iloc[0], loaded.table["osl"].iloc[0]) == (1024, 128)  # random_input/output_len
    assert [d.source.split("/")[-1] for d in loaded.dropped] == ["summary.json"]


def test_vllm_sweep_summary_list():
    result = read_path(FIXTURES / "vllm" / "sweep" / "SERVE--BENCH-max_concurrency=8" / "summary.json", LABELS)
    assert list(result.table["req_per_s"]) == [6.5, 6.3]


def test_vllm_failed_run_in_a_file_of_several_is_dropped():
    good = (FIXTURES / "vllm" / "append-result.jsonl").read_text().splitlines()[0]
    failed = (FIXTURES / "vllm" / "all-requests-failed.json").read_text().strip()
    result = read_benchmark(f"{good}\n{failed}\n".encode(), "mixed.jsonl", LABELS)
    assert len(result.table) == 1
    assert [(d.row, d.reason) for d in result.dropped] == [(2, "0 of 50 requests completed: every request failed")]


# --- SGLang, GuideLLM, LLMPerf, InferenceX ---------------------------------------------------------------------

def test_sglang_2024_medians_only():
    result = read_path(FIXTURES / "sglang" / "bench_serving-2024.jsonl", NAMED)
    first, second = result.table.iloc[0], result.table.iloc[1]
    # random_range_ratio 1.0: fixed lengths, so random_input_len/random_output_len are the requested ones.
    assert (first["isl"], first["osl"], first["request_rate"]) == (1024, 256, 1.0)
    assert first["req_per_s"] == 200 / 200 and math.isclose(second["req_per_s"], 800 / 202)  # completed / duration
    assert (first["ttft_ms_p50"], first["itl_ms_p50"], first["e2e_ms_avg"]) == (90, 9.8, 2600)
    assert math.isnan(first["ttft_ms_avg"])


def test_sglang_2025_full_keys():
    result = read_path(FIXTURES / "sglang" / "bench_serving-2025.jsonl", NAMED)
    row = result.table.iloc[1]
    # max_concurrency 32 with request_rate Infinity; TPOT is the inter-token latency; sharegpt: measured lengths.
    assert (row["concurrency"], row["req_per_s"], row["ttft_ms_avg"], row["itl_ms_avg"]) == (32, 12.5, 70, 13.2)
    assert (row["isl"], row["osl"], row["engine"]) == (230, 190, "sglang")  # 230000 / 1000, 190000 / 1000


def test_guidellm_0_3_sweep():
    result = read_path(FIXTURES / "guidellm" / "v0.3-benchmarks.json", LABELS)
    table = result.table
    assert list(table["concurrency"]) == [1, 8]  # synchronous, then concurrent with 8 streams
    assert [(d.row, "throughput benchmark" in d.reason) for d in result.dropped] == [(2, True)]
    row = table.iloc[1]
    # request_latency mean 1.6 s; time_to_first_token_ms mean 80; data "prompt_tokens=256,output_tokens=128".
    assert (row["e2e_ms_avg"], row["ttft_ms_avg"], row["itl_ms_avg"], row["req_per_s"]) == (1600, 80, 12, 5)
    assert (row["isl"], row["osl"], row["model"]) == (256, 128, "my-org/model-p")


def test_guidellm_0_5_rates():
    result = read_path(FIXTURES / "guidellm" / "v0.5-benchmarks.json", LABELS)
    assert list(result.table["request_rate"]) == [2.5, 5.0]
    assert "0 of 40 requests completed" in result.dropped[0].reason and result.dropped[0].row == 3
    assert (result.table["isl"].iloc[0], result.table["osl"].iloc[0]) == (512, 64)


def test_llmperf_summary_derives_inter_token_latency():
    row, _ = row_of("llmperf/summary.json")
    # (2.5 s − 0.21 s) / (201 − 1) = 11.45 ms; req/s 240 per minute / 60 = 4.
    assert math.isclose(row["itl_ms_avg"], 11.45) and row["derived"] == "itl_ms_avg"
    assert (row["req_per_s"], row["concurrency"], row["isl"], row["osl"]) == (4, 10, 1000, 200)


def test_inferencex_fixed_length_derives_request_rate():
    row, _ = row_of("inferencex/fixed-seq.json", None)
    # output_tput_per_gpu 400 × 8 GPUs = 3200 tokens/s; ÷ osl 1024 = 3.125 req/s, derived.
    assert (row["out_tok_per_s"], row["req_per_s"], row["derived"]) == (3200, 3.125, "req_per_s")
    assert (row["gpu"], row["tp"], row["precision"], row["isl"], row["osl"]) == ("h200", 8, "fp8", 1024, 1024)
    assert row["e2e_ms_avg"] == 20960 and row["itl_ms_avg"] == 20


def test_inferencex_agentic():
    row, _ = row_of("inferencex/agentic.json", None)
    assert (row["req_per_s"], row["isl"], row["osl"], row["concurrency"]) == (600 / 300, 50000, 213, 16)


def test_canonical_export_keeps_partial_rows():
    result = read_path(FIXTURES / "canonical" / "export.csv")
    assert len(result.table) == 4 and result.dropped == []
    assert result.table["derived"].iloc[1] == "e2e_ms_avg" and math.isnan(result.table["ttft_ms_avg"].iloc[2])


# --- what is not a benchmark ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,needle", [
    ('{"metadata": {"session_num": 1}, "metrics": {}, "error": null}', "AIPerf's per-request records"),
    ('{"experiments": [], "version": "x"}', "GenAI-Perf's per-request export"),
    ('{"data": [{"payload": []}]}', "the requests a benchmark sent"),
    ('{"error_type": "RuntimeError", "error": "boom", "run_number": 0}', "a failed vllm bench sweep run"),
    ('{"benchmarks": [{"mode": "sweep", "results": []}]}', "GuideLLM 0.1 layout"),
    ('{"a": 1}\n{"b": 2}\n', "2 JSON objects, but not vLLM or SGLang results"),
    ('[1, 2]', "a list of other things"),
    ('{"mean_ttft_ms": 5, "mean_ttft_ms": 6, "completed": 1}', "the key mean_ttft_ms appears twice"),
])
def test_companion_and_odd_files_say_what_they_are(text, needle):
    with pytest.raises(BenchmarkFileError, match=needle):
        read_benchmark(text.encode(), "x.json", LABELS)


def test_header_only_and_extreme_values_give_messages():
    with pytest.raises(BenchmarkFileError, match="header.csv: "):
        read_benchmark(b"model,gpu,tp,precision,isl,osl,concurrency,req_per_s,ttft_ms_avg\n", "header.csv")
    doc = (FIXTURES / "vllm" / "vllm-bench-c16.json").read_text()
    huge = read_benchmark(doc.replace('"total_input_tokens": 512000', '"total_input_tokens": 1e20').encode(), "isl.json",
                          LABELS)
    assert huge.table.empty and "out of range" in huge.dropped[0].reason and huge.dropped[0].column == "isl"
    with pytest.raises(BenchmarkFileError, match="noin.json: .*supply the requested input length"):
        read_benchmark(doc.replace('"total_input_tokens": 512000,', "").encode(), "noin.json", LABELS)
    infinite = read_benchmark(doc.replace('"mean_ttft_ms": 88.2', '"mean_ttft_ms": Infinity').encode(), "inf.json", LABELS)
    assert infinite.dropped[0].reason == "inf ms is not a finite number"
    scalar = (FIXTURES / "aiperf/0.8-schema-1.1.json").read_text().replace(
        '"time_to_first_token": {"unit": "ms", "avg": 120.0, "p50": 110.0, "p90": 170.0, "p95": 190.0, "p99": 260.0}',
        '"time_to_first_token": 120')
    with pytest.raises(BenchmarkFileError, match="time_to_first_token is 120; expected an object with unit and avg"):
        read_benchmark(scalar.encode(), "scalar.json", LABELS)
    with pytest.raises(BenchmarkFileError, match="nested too deeply"):
        read_benchmark(b"[" * 10_000 + b"]" * 10_000, "deep.json", LABELS)
