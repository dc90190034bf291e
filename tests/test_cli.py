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
    assert (best["gpu"], best["tp"], best["precision"], best["concurrency"]) == ("H100_80GB_HBM3", 1, "fp8", 10)
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
    ([*COURSE, "--ttft-ms", "300", "--peak-rps", "-1"], "peak_req_per_s"),
    ([*COURSE, "--peak-rps", "200"], "at least one latency limit"),
    ([*COURSE, "--ttft-ms", "abc", "--peak-rps", "200"], "invalid float"),
    ([*COURSE, "--ttft-ms", "300", "--peak-rps", "200", "--gpu", "b200"], "unknown GPU 'b200'"),
])
def test_bad_arguments_exit_2_with_one_line(nim_csv, args, needle):
    out = run("size", "--data", str(nim_csv), *args)
    assert out.returncode == 2
    assert needle in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


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
