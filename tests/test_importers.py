"""Importers on the real course files and on hand-written fixtures in the other formats."""

import io
import math

import pandas as pd
import pytest

from core.errors import BenchmarkFileError
from core.importers import RunLabels, read_benchmark, read_path
from core.table import load_paths
from tests.conftest import FIXTURES

H100 = RunLabels(gpu="H100_80GB_HBM3", tp=1, precision="fp16")


def test_nim_csv_reads_every_row_and_averages_repeats(nim_csv):
    raw = read_path(nim_csv)
    assert len(raw.table) == 787 and raw.dropped == []
    table = load_paths([nim_csv]).table
    # PROVENANCE.md: 72 configurations have concurrency 5 twice, so 787 - 72 rows remain.
    assert len(table) == 715
    assert (table.loc[table["concurrency"] == 5, "runs"] == 2).all()
    assert (table.loc[table["concurrency"] != 5, "runs"] == 1).all()
    assert set(table["model"]) == {"meta-llama3-8b-instruct", "meta-llama3-70b-instruct"}
    assert set(table["gpu"]) == {"A100-SXM4-80GB", "H100_80GB_HBM3"}
    assert (table["provenance"] == "measured").all()


def test_nim_csv_converts_ns_to_ms(nim_csv):
    # First data row of nim.csv: TTFT 40169521.65 ns = 40.16952165 ms; e2e 8751471691.333334 ns.
    row = read_path(nim_csv).table.iloc[0]
    assert math.isclose(row["ttft_ms_avg"], 40.16952165, rel_tol=1e-12)
    assert math.isclose(row["e2e_ms_avg"], 8751.471691333334, rel_tol=1e-12)
    assert row["tp"] == 2 and row["concurrency"] == 5 and row["isl"] == 200 and row["osl"] == 1000


def _course_csv(unit="ns", scale=1e6, ttft="40", itl="8", e2e="2000", rate="2.5", rows=1):
    header = ("task_inputs-model,task_inputs-execution_type,task_inputs-GPU,task_inputs-n_gpus,task_inputs-precision,"
              "request_throughput-unit,request_throughput-avg,request_latency-unit,request_latency-avg,"
              "time_to_first_token-unit,time_to_first_token-avg,inter_token_latency-unit,inter_token_latency-avg,"
              "input_config-concurrency,input_config-synthetic_input_tokens_mean,input_config-output_tokens_mean")
    def v(x):
        try:
            return repr(float(x) * scale)
        except ValueError:
            return x
    line = f"m,NIM,G,1,fp8,requests/sec,{rate},{unit},{v(e2e)},{unit},{v(ttft)},{unit},{v(itl)},5,100,200"
    return (header + "\n" + "\n".join([line] * rows) + "\n").encode()


@pytest.mark.parametrize("unit,scale", [("ns", 1e6), ("us", 1e3), ("ms", 1.0), ("s", 1e-3)])
def test_course_units_are_honoured(unit, scale):
    row = read_benchmark(_course_csv(unit, scale), "x.csv").table.iloc[0]
    assert math.isclose(row["ttft_ms_avg"], 40.0) and math.isclose(row["e2e_ms_avg"], 2000.0)


def test_unknown_unit_drops_the_row_and_says_why():
    result = read_benchmark(_course_csv("fortnights", 1), "weird.csv")
    assert result.table.empty
    [d] = result.dropped
    assert d.source == "weird.csv" and d.row == 2 and d.column.endswith("-unit") and "fortnights" in d.reason


def test_partly_bad_file_keeps_good_rows_and_lists_bad_ones():
    good = _course_csv().decode().splitlines()
    bad_number = _course_csv(ttft="abc").decode().splitlines()[1]
    negative = _course_csv(rate="-3", scale=1).decode().splitlines()[1]
    text = "\n".join([good[0], good[1], bad_number, negative, good[1]]) + "\n"
    result = read_benchmark(text.encode(), "mixed.csv")
    assert len(result.table) == 2
    # Messages name the file's own column and print its value as written, with its unit.
    assert [(d.row, d.column) for d in result.dropped] == [(3, "time_to_first_token-avg"), (4, "request_throughput-avg")]
    assert result.dropped[0].reason == "abc ns is not a number" and result.dropped[1].reason == "-3 is negative"
    assert "mixed.csv, row 3, column time_to_first_token-avg" in str(result.dropped[0])


def test_messages_print_values_as_the_file_has_them():
    # A -5 ns latency is "-5 ns" (not -5e-06 ms); an empty cell is "missing"; never numpy's repr.
    header, row = _course_csv().decode().splitlines()
    negative = row.replace(",ns,40000000.0,", ",ns,-5,")        # time_to_first_token-avg -5 (ns)
    empty = row.replace(",ns,2000000000.0,", ",ns,,")           # request_latency-avg left empty
    result = read_benchmark("\n".join([header, negative, empty]).encode(), "units.csv")
    assert [d.reason for d in result.dropped] == ["-5 ns is negative", "missing; expected a number"]
    assert not any("np." in str(d) or "e-06" in str(d) for d in result.dropped)


def test_repeated_metric_column_is_refused():
    header, row = _course_csv().decode().splitlines()
    text = f"{header},time_to_first_token-avg\n{row},99\n"
    with pytest.raises(BenchmarkFileError, match="column time_to_first_token-avg appears 2 times"):
        read_benchmark(text.encode(), "twice.csv")


@pytest.mark.parametrize("data,needle", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    (b"a,b,c\n1,2,3\n", "unrecognised CSV columns"),
    (b"\xff\xfe\xfa not utf8", "UTF-8"),
])
def test_files_that_are_not_benchmarks(data, needle):
    with pytest.raises(BenchmarkFileError, match=needle) as err:
        read_benchmark(data, "upload.csv")
    assert str(err.value).startswith("upload.csv: ")


def test_missing_columns_are_named():
    text = _course_csv().decode().replace("time_to_first_token-avg", "something_else")
    with pytest.raises(BenchmarkFileError, match="missing column.*time_to_first_token-avg"):
        read_benchmark(text.encode(), "short.csv")


def test_bad_json_says_where():
    with pytest.raises(BenchmarkFileError, match="invalid JSON at line 1"):
        read_benchmark(b"{not json", "x.json")
    with pytest.raises(BenchmarkFileError, match=r"not a recognised benchmark JSON \(its keys: a\)\. Tried: GenAI-Perf"):
        read_benchmark(b'{"a": 1}', "x.json", H100)


def test_genai_perf_json_and_csv_agree(artifacts):
    run = artifacts / "meta_llama3-8b-instruct-openai-chat-concurrency100"
    js = read_path(run / "profile_export_genai_perf.json", H100).table.iloc[0]
    cs = read_path(run / "profile_export_genai_perf.csv", H100).table.iloc[0]
    # The CSV prints "1,024.21" for the JSON's 1024.210166979091 ms.
    assert math.isclose(js["ttft_ms_avg"], 1024.210166979091, rel_tol=1e-12)
    assert math.isclose(cs["ttft_ms_avg"], 1024.21, rel_tol=1e-12)
    assert math.isclose(cs["e2e_ms_p95"], 3264.18)
    assert js["concurrency"] == cs["concurrency"] == 100
    # The CSV records neither the model nor the requested lengths: both come from the JSON twin beside it, so the
    # two land on one curve (input_config: synthetic_input_tokens_mean 200, output_tokens_mean 50).
    for col in ("model", "isl", "osl"):
        assert js[col] == cs[col], col
    assert js["model"] == "meta/llama3-8b-instruct" and js["isl"] == 200 and js["osl"] == 50
    # Measured: output_sequence_length.avg 58.474545454545456 (JSON), "Output Sequence Length" avg 58.47 (CSV).
    assert math.isclose(js["osl_measured"], 58.474545454545456) and math.isclose(cs["osl_measured"], 58.47)
    assert math.isclose(cs["req_per_s"], 31.79) and math.isclose(js["req_per_s"], 31.788987010601335)


def test_genai_perf_folder_loads_the_sweep(artifacts):
    loaded = load_paths([artifacts], H100)
    json_rows = loaded.table[loaded.table["source"].str.endswith(".json")]
    assert sorted(json_rows["concurrency"]) == [1, 2, 5, 10, 50, 100, 250]
    # Each CSV twin is listed as skipped, with the reason; none is read twice.
    assert len(loaded.table) == 7 and len(loaded.dropped) == 7
    assert all(d.row == 0 and "the same run as profile_export_genai_perf.json" in d.reason for d in loaded.dropped)
    # Every run asked for 50 output tokens and got about 58 (the tokenizer differs): a warning per run.
    assert len(loaded.warnings) == 7 and all("asked for 50 output tokens" in w for w in loaded.warnings)


def test_genai_perf_without_labels_says_what_to_supply(artifacts):
    run = artifacts / "meta_llama3-8b-instruct-openai-chat-concurrency1" / "profile_export_genai_perf.json"
    with pytest.raises(BenchmarkFileError, match="do not record GPU, TP, precision"):
        read_path(run)


def test_genai_perf_csv_needs_a_concurrency():
    text = (FIXTURES / "aiperf-run-concurrency8" / "profile_export_aiperf.csv").read_text()
    with pytest.raises(BenchmarkFileError, match="do not record model"):
        read_benchmark(text.encode(), "profile_export_aiperf.csv", H100)
    with pytest.raises(BenchmarkFileError, match="does not record the concurrency; supply it"):
        read_benchmark(text.encode(), "profile_export_aiperf.csv", RunLabels(model="m", gpu="H100", tp=1, precision="fp8"))


def test_aiperf_json_nested_config():
    row = read_path(FIXTURES / "aiperf-run-concurrency8" / "profile_export_aiperf.json", H100).table.iloc[0]
    assert row["model"] == "Qwen/Qwen3-8B" and row["concurrency"] == 8
    assert (row["isl"], row["osl"]) == (512, 200)
    assert row["ttft_ms_p95"] == 65.25 and row["req_per_s"] == 4.1


def test_aiperf_csv_matches_json():
    folder = FIXTURES / "aiperf-run-concurrency8"
    js = read_path(folder / "profile_export_aiperf.json", H100).table.iloc[0]
    cs = read_path(folder / "profile_export_aiperf.csv", RunLabels(model="Qwen/Qwen3-8B", gpu="H100_80GB_HBM3", tp=1,
                                                                   precision="fp16")).table.iloc[0]
    for col in ("ttft_ms_avg", "ttft_ms_p95", "itl_ms_avg", "e2e_ms_p99", "req_per_s", "out_tok_per_s", "concurrency"):
        assert math.isclose(js[col], cs[col]), col


def test_aiperf_prerelease_records_shape():
    doc = ('{"records": {"ttft": {"unit": "ns", "avg": 5e7}, "inter_token_latency": {"unit": "ns", "avg": 1e7},'
           ' "request_latency": {"unit": "ns", "avg": 2e9}, "request_throughput": {"unit": "requests/sec", "avg": 2}},'
           ' "input_config": {"concurrency": 4, "synthetic_input_tokens_mean": 100, "output_tokens_mean": 190}}')
    with pytest.raises(BenchmarkFileError, match="do not record model"):
        read_benchmark(doc.encode(), "profile_export_aiperf.json", H100)
    labels = RunLabels(model="m", gpu="H100", tp=1, precision="fp8")
    row = read_benchmark(doc.encode(), "profile_export_aiperf.json", labels).table.iloc[0]
    assert row["ttft_ms_avg"] == 50 and row["e2e_ms_avg"] == 2000 and row["concurrency"] == 4


def test_vllm_result():
    row = read_path(FIXTURES / "vllm" / "vllm-bench-c16.json", RunLabels(gpu="H100", tp=1, precision="bf16")).table.iloc[0]
    # 512 000 input tokens / 500 completed = 1024; 128 000 / 500 = 256.
    assert (row["isl"], row["osl"], row["concurrency"]) == (1024, 256, 16)
    assert row["itl_ms_avg"] == 7.4 and row["ttft_ms_p99"] == 150.4 and row["e2e_ms_p50"] == 1960.0
    assert row["model"] == "meta-llama/Llama-3.1-8B-Instruct" and row["engine"] == "vllm"


def test_vllm_rate_mode():
    doc = (FIXTURES / "vllm" / "vllm-bench-c16.json").read_text().replace('"max_concurrency": 16', '"max_concurrency": null')
    doc = doc.replace('"request_rate": "inf"', '"request_rate": 6.0')
    row = read_benchmark(doc.encode(), "rate.json", RunLabels(gpu="H100", tp=1, precision="bf16")).table.iloc[0]
    assert row["load_mode"] == "request_rate" and row["request_rate"] == 6.0


def test_canonical_export_round_trips(nim_csv):
    table = load_paths([nim_csv]).table
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    again = load_paths_from_bytes(buffer.getvalue().encode())
    pd.testing.assert_series_equal(again["ttft_ms_avg"], table["ttft_ms_avg"], check_names=False)
    assert len(again) == len(table)


def load_paths_from_bytes(data: bytes) -> pd.DataFrame:
    from core.table import prepare

    return prepare(read_benchmark(data, "export.csv").table)


def test_folder_with_a_broken_file_keeps_the_rest(tmp_path):
    (tmp_path / "good.csv").write_bytes(_course_csv())
    (tmp_path / "broken.csv").write_bytes(b"")
    loaded = load_paths([tmp_path])
    assert len(loaded.table) == 1
    assert [(d.column, "empty" in d.reason) for d in loaded.dropped] == [("(file)", True)]
    assert [f.split("/")[-1] for f in loaded.files] == ["good.csv"]


def test_littles_law_flags_but_keeps():
    # concurrency 5, but 2.5 req/s × 0.2 s = 0.5 in flight: off by 90 %.
    table = load_paths_from_bytes(_course_csv(e2e="200"))
    assert len(table) == 1 and bool(table["littles_law_flag"].iloc[0])
    ok = load_paths_from_bytes(_course_csv(e2e="2000"))  # 2.5 × 2 s = 5 in flight
    assert not bool(ok["littles_law_flag"].iloc[0])


def test_littles_law_on_nim(nim_table):
    flagged = nim_table[nim_table["littles_law_flag"]]
    # Only long runs at high concurrency (≥ 100) fall short of Little's law in the course data.
    assert 0 < len(flagged) < 40 and (flagged["concurrency"] >= 100).all()
