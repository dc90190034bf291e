"""Loading several paths, the notices every command prints, and what predict --like needs of a file."""

from __future__ import annotations

import pandas as pd
import pytest

from core import cli
from core.errors import BenchmarkFileError
from core.importers import RunLabels
from core.table import flagged_runs, load_paths
from tests.conftest import FIXTURES

LABELS = RunLabels(gpu="H100 SXM", tp=1, precision="fp8")
HEADER = ("model,gpu,tp,precision,isl,osl,load_mode,concurrency,request_rate,ttft_ms_avg,itl_ms_avg,e2e_ms_avg,"
          "req_per_s\n")


def _write(path, rows: list[str]):
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def test_listed_files_go_on_past_a_bad_one_and_report_each(tmp_path):
    good = FIXTURES / "vllm" / "vllm-bench-c16.json"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    loaded = load_paths([bad, good, tmp_path / "missing.json"], LABELS)
    assert len(loaded.table) == 1
    assert [(d.source.split("/")[-1], d.row) for d in loaded.dropped] == [("bad.json", 0), ("missing.json", 0)]
    assert "invalid JSON at line 1" in loaded.dropped[0].reason and "no such file" in loaded.dropped[1].reason


def test_nothing_readable_is_one_error_naming_every_path(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(BenchmarkFileError, match=r"2 paths: none could be read: .*bad.json: invalid JSON.*missing"):
        load_paths([bad, tmp_path / "missing.csv"])


def test_a_file_whose_every_row_is_dropped_is_still_listed(tmp_path):
    path = _write(tmp_path / "all-bad.csv", ["m,H100,1,fp8,100,50,concurrency,4,,-1,5,500,8"])
    loaded = load_paths([path])
    assert loaded.table.empty and [f.split("/")[-1] for f in loaded.files] == ["all-bad.csv"]
    assert loaded.dropped[0].column == "ttft_ms_avg" and loaded.dropped[0].reason == "-1 is negative"


def test_warnings_and_flagged_runs_are_kept_with_the_table(tmp_path):
    # concurrency 10 but 2 req/s × 1 s = 2 in flight; osl asked 50 (file column) but 100 measured.
    path = tmp_path / "t.csv"
    path.write_text("model,gpu,tp,precision,isl,osl,concurrency,ttft_ms_avg,itl_ms_avg,e2e_ms_avg,req_per_s,osl_measured\n"
                    "m,H100,1,fp8,100,50,10,50,5,1000,2,100\n")
    loaded = load_paths([path])
    assert loaded.warnings == [f"{loaded.files[0]}, row 2: asked for 50 output tokens per request but measured 100.0 on "
                               "average (+100 %); the curve is keyed on the requested 50"]
    assert flagged_runs(loaded.table)["littles_law_ratio"].tolist() == [0.2]


def test_size_prints_dropped_rows_on_stderr(tmp_path, capsys):
    rows = [f"llama3-8b,H100,1,fp8,2000,200,concurrency,{c},,{40 + c},8,{(40 + c) + 8 * 199},{c / (((40 + c) + 8 * 199) / 1000)}"
            for c in (1, 2, 4)]
    path = _write(tmp_path / "runs.csv", [*rows, "llama3-8b,H100,1,fp8,2000,200,concurrency,8,,nan,8,1700,4"])
    code = cli.main(["size", "--data", str(path), "--model", "llama3-8b", "--isl", "2000", "--osl", "200",
                     "--ttft-ms", "300", "--peak-rps", "10"])
    err = capsys.readouterr().err
    assert code == 0
    assert "1 row dropped:" in err and "runs.csv, row 5, column ttft_ms_avg: nan is not a number" in err


def test_import_lists_every_notice_kind(tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = cli.main(["import", str(FIXTURES / "vllm"), "--gpu", "H100", "--tp", "1", "--precision", "fp8",
                     "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and "all-requests-failed.json: 0 of 50 requests completed" in err
    assert "notice:" in err and "all 64 requests were sent at once" in err
    assert "run flagged by Little's law" in err  # the 2024 burst: 3.2 req/s × 10.1 s = 32 in flight, not 64


def test_predict_models_rows_without_metrics_and_keeps_the_spelling(tmp_path, capsys):
    path = tmp_path / "configs.csv"
    path.write_text("model,gpu,tp,precision,isl,osl,concurrency,request_rate,load_mode\n"
                    "llama3-8b,H100_80GB_HBM3,1,FP8,2000,200,1,,concurrency\n"
                    "llama3-8b,H100_80GB_HBM3,1,FP8,2000,200,8,,concurrency\n"
                    "llama3-8b,H100_80GB_HBM3,1,FP8,2000,200,,3,request_rate\n")
    out = tmp_path / "modeled.csv"
    assert cli.main(["predict", "--like", str(path), "--out", str(out)]) == 0
    modeled = pd.read_csv(out)
    assert list(modeled["concurrency"]) == [1, 8] and set(modeled["precision"]) == {"FP8"}
    err = capsys.readouterr().err
    assert "not modeled: configs.csv: request rate 3/s" in err


def test_repeated_runs_keep_their_slowest_and_fastest(tmp_path):
    # Two runs of one point at 1.0 and 3.0 req/s: the mean is 2.0, the run-to-run spread 1.0–3.0 (issue 10's range).
    # A third file repeats the averaged export: its own min/max (1.5–2.5) widen nothing beyond 1.0–3.0.
    rows = [f"m,G,1,fp8,100,200,concurrency,4,,100,5,1100,{rps}" for rps in (1.0, 3.0)]
    loaded = load_paths([_write(tmp_path / "a.csv", rows[:1]), _write(tmp_path / "b.csv", rows[1:])])
    row = loaded.table.iloc[0]
    assert (row["runs"], row["req_per_s"], row["req_per_s_min"], row["req_per_s_max"]) == (2, 2.0, 1.0, 3.0)
    single = load_paths([_write(tmp_path / "c.csv", rows[:1])]).table.iloc[0]
    assert pd.isna(single["req_per_s_min"])  # one run: no spread to report
