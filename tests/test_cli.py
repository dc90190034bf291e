"""The CLI as a sales engineer scripts it: subprocesses, exit codes, JSON."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import ROOT

COURSE = ["--model", "llama3-8b", "--gpu", "h100", "--isl", "2000", "--osl", "200"]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_size_json_course_answer(nim_csv):
    out = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "300", "--peak-rps", "200", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["peak_rps"] == 200 and doc["avg_rps"] is None
    best = doc["options"][0]
    assert set(best) >= {"gpu", "tp", "precision", "concurrency", "ttft_ms", "e2e_ms", "itl_ms",
                         "prompts_per_s_per_server", "servers_exact", "servers", "instances", "gpus", "point",
                         "provenance"}
    assert (best["gpu"], best["tp"], best["precision"], best["concurrency"]) == ("H100 SXM", 1, "fp8", 10)
    assert (best["gpu_in_data"], doc["model"], doc["model_in_data"]) == ("H100_80GB_HBM3", "Llama 3 8B",
                                                                         "meta-llama3-8b-instruct")
    assert round(best["servers_exact"], 2) == 4.81 and best["servers"] == 5 and best["point"] == "measured"


def test_size_text_from_business_inputs(nim_csv):
    out = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "500", "--calls-per-year", "30000000",
              "--minutes-per-call", "10", "--rag-calls-per-minute", "1", "--llm-requests-per-rag-call", "3",
              "--peak-factor", "7")
    assert out.returncode == 0, out.stderr
    assert "28.5 req/s on average" in out.stdout and "199.8 req/s at peak" in out.stdout
    assert "70.75" in out.stdout and "2.82" in out.stdout  # 199.77 / 70.747 = 2.824


@pytest.mark.parametrize("args,needle", [
    (["--model", "llama", "--isl", "2000", "--osl", "200", "--ttft-ms", "300", "--peak-rps", "200"], "ambiguous"),
    (["--model", "gpt-5", "--isl", "2000", "--osl", "200", "--ttft-ms", "300", "--peak-rps", "200"], "available:"),
    ([*COURSE, "--ttft-ms", "300"], "--peak-rps"),
    ([*COURSE, "--ttft-ms", "300", "--peak-rps", "-1"], "--peak-rps must be a positive number; got -1"),  # issue 8
    ([*COURSE, "--ttft-ms", "-3", "--peak-rps", "200"], "--ttft-ms must be a positive number"),
    ([*COURSE, "--peak-rps", "200"], "at least one latency limit"),
    ([*COURSE, "--ttft-ms", "abc", "--peak-rps", "200"], "invalid float"),
    ([*COURSE, "--ttft-ms", "300", "--peak-rps", "200", "--gpu", "b200"], "unknown GPU 'b200'"),
])
def test_bad_arguments_exit_2_with_one_line(nim_csv, args, needle):
    out = run("size", "--data", str(nim_csv), *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()  # what loading dropped or flagged may come first; the error is one line
    assert needle in lines[-1] and lines[-1].startswith("error: ") and "Traceback" not in out.stderr
    assert sum(line.startswith("error: ") for line in lines) == 1


def test_missing_data_path_exits_2():
    out = run("size", "--data", "/nonexistent/x.csv", *COURSE, "--ttft-ms", "300", "--peak-rps", "200")
    assert out.returncode == 2 and "no such file" in out.stderr


def test_data_dir_environment_variable(nim_csv, tmp_path):
    import os
    import shutil

    shutil.copy(nim_csv, tmp_path / "course.csv")  # a temporary copy, never committed
    env = {**os.environ, "SIZER_DATA_DIR": str(tmp_path)}
    out = run("size", *COURSE, "--ttft-ms", "300", "--peak-rps", "200", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["options"][0]["provenance"] == "measured"


def test_import_writes_canonical_csv(artifacts, tmp_path):
    target = tmp_path / "out.csv"
    out = run("import", str(artifacts), "--out", str(target), "--gpu", "H100_80GB_HBM3", "--tp", "1",
              "--precision", "fp16")
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(target)
    assert len(table) == 7 and set(table["concurrency"]) == {1, 2, 5, 10, 50, 100, 250}
    assert {"ttft_ms_avg", "ttft_ms_p99", "req_per_s", "provenance", "prompts_per_s_per_server"} <= set(table.columns)


def test_import_without_labels_exits_2(artifacts, tmp_path):
    run_file = artifacts / "meta_llama3-8b-instruct-openai-chat-concurrency1" / "profile_export_genai_perf.json"
    out = run("import", str(run_file), "--out", str(tmp_path / "x.csv"))
    assert out.returncode == 2 and "supply them" in out.stderr


def test_utilisation_option(nim_csv):
    out = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "300", "--peak-rps", "200", "--utilisation", "0.8",
              "--json")
    doc = json.loads(out.stdout)
    assert doc["utilisation"] == 0.8 and round(doc["options"][0]["servers_exact"], 2) == 6.01  # 200 / (41.56 × 0.8)
    bad = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "300", "--peak-rps", "200", "--utilisation", "1.5")
    assert bad.returncode == 2 and "utilisation" in bad.stderr


BUSINESS = ["--calls-per-year", "30000000", "--minutes-per-call", "10", "--rag-calls-per-minute", "1",
            "--llm-requests-per-rag-call", "3", "--peak-factor", "7"]


@pytest.mark.parametrize("args,flag", [
    (["--peak-rps", "1e308"], "--peak-rps"),  # issue 8: −9,223,372,036,854,775,808 servers, negative cost
    ([*BUSINESS[:1], "1e30", *BUSINESS[2:]], "--calls-per-year"),
    (["--peak-rps", "200", "--utilisation", "1e-300"], "--utilisation"),
])
def test_out_of_range_inputs_are_named_as_typed(nim_csv, args, flag):
    out = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "300", *args)
    assert out.returncode == 2, out.stdout
    line = out.stderr.strip()  # the inputs are checked before any data is read: one line
    assert flag in line and "out of range" in line and len(line.splitlines()) == 1, line
    assert "Traceback" not in line and "_per_" not in line


def test_lengths_out_of_range(nim_csv):
    out = run("size", "--data", str(nim_csv), "--model", "llama3-8b", "--isl", "100000000000000000000", "--osl", "200",
              "--ttft-ms", "300", "--peak-rps", "200")
    assert out.returncode == 2 and "--isl must be a whole number of tokens" in out.stderr, out.stderr


def test_tiny_traffic_needs_one_server(nim_csv):
    out = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "300", "--peak-rps", "1e-12", "--json")
    assert out.returncode == 0, out.stderr
    best = json.loads(out.stdout)["options"][0]
    assert (best["servers"], best["instances"], best["gpus"], best["servers_packed"]) == (1, 1, 1, 1)


def test_missing_statistic_is_named_with_those_the_data_has(nim_csv):
    # Issue 8: --stat p50 on data without p50 printed only "nothing meets the limits". nim.csv has avg and p95.
    out = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "300", "--peak-rps", "200", "--stat", "p50")
    assert out.returncode == 2
    assert "--stat p50: " in out.stderr and "no p50 time to first token" in out.stderr and "it has avg, p95" in out.stderr


def _canonical_rows(gpu="G", bad_row=False):
    rows = []
    for c in (1, 2, 4, 8):
        rows.append({"model": "m", "gpu": gpu, "tp": 1, "precision": "fp8", "isl": 100, "osl": 200, "concurrency": c,
                     "ttft_ms_avg": 50.0 * c, "ttft_ms_p95": 60.0 * c if c < 8 else None, "itl_ms_avg": 5.0,
                     "e2e_ms_avg": 1000.0 + 50 * c, "req_per_s": c / (1 + 0.05 * c)})
    if bad_row:
        rows += [{**rows[0], "concurrency": 16, "req_per_s": None}, {**rows[0], "concurrency": 32, "itl_ms_avg": -1}]
    return pd.DataFrame(rows)


def test_size_lists_dropped_rows_and_notes(tmp_path):
    # Issue 7: size dropped bad rows without a word; the statistic missing on some configurations is a note.
    path = tmp_path / "runs.csv"
    pd.concat([_canonical_rows(bad_row=True), _canonical_rows("H").assign(ttft_ms_p95=None)]).to_csv(path, index=False)
    out = run("size", "--data", str(path), "--model", "m", "--isl", "100", "--osl", "200", "--ttft-ms", "300",
              "--stat", "p95", "--peak-rps", "10")
    assert out.returncode == 0, out.stderr
    assert "2 rows dropped:" in out.stderr and "runs.csv, row 6, column req_per_s" in out.stderr, out.stderr
    assert "H TP1 fp8: the data has no p95 time to first token" in out.stdout, out.stdout


def test_interpolation_stays_on_the_measured_point_without_the_statistic(tmp_path):
    # Issue 8: c4 meets p95 ≤ 300 (240 ms); c8 has no p95 (its average is already 400 ms): stay on c4.
    path = tmp_path / "runs.csv"
    _canonical_rows().to_csv(path, index=False)
    out = run("size", "--data", str(path), "--model", "m", "--isl", "100", "--osl", "200", "--ttft-ms", "300",
              "--stat", "p95", "--peak-rps", "10", "--interpolate", "--json")
    best = json.loads(out.stdout)["options"][0]
    assert (best["point"], best["concurrency"]) == ("measured", 4)


def test_size_lists_flagged_runs_a_few_then_counts(nim_csv):
    # Issue 7: every command that loads data lists Little's-law-flagged runs: a count, the first few, "and N more".
    out = run("size", "--data", str(nim_csv), *COURSE, "--ttft-ms", "300", "--peak-rps", "200")
    assert out.returncode == 0
    lines = out.stderr.splitlines()
    head = next(i for i, line in enumerate(lines) if "runs flagged by Little's law" in line)
    count = int(lines[head].split()[0])
    assert count > 5 and lines[head + 6] == f"  and {count - 5} more"
