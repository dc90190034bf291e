"""Turn imported rows into the table the app searches: repeated runs averaged, Little's law checked, derived columns."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core import catalog
from core.errors import BenchmarkFileError
from core.importers import DroppedRow, ImportResult, RunLabels, read_path
from core.schema import (
    COLUMNS,
    CURVE_COLUMNS,
    DEFAULT_NODE_GPUS,
    KEY_COLUMNS,
    LITTLE_TOLERANCE,
    TEXT_COLUMNS,
    conform,
)

DATA_DIR_ENV = "SIZER_DATA_DIR"
PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_BENCHMARK_DIR = PROJECT_DIR / "data" / "benchmarks"

RUN_KEY = (*KEY_COLUMNS, "concurrency", "request_rate", "provenance")


@dataclass
class LoadedData:
    """The searchable table plus everything a user should know about how it was built."""

    table: pd.DataFrame
    dropped: list[DroppedRow] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def benchmark_dir() -> Path:
    """The folder the app and CLI load at start: $SIZER_DATA_DIR, else data/benchmarks."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_BENCHMARK_DIR)


def load_paths(paths: list[Path], labels: RunLabels | None = None,
               required: tuple[str, ...] | None = None) -> LoadedData:
    """Read files and folders into one prepared table (measured rows win over modeled ones).

    A path that cannot be read is listed with its reason and the others are still read, as a folder's files are;
    only when nothing at all could be read is that an error (naming every path and why).
    """
    results, failed = [], []
    for path in paths:
        try:
            results.append(read_path(path, labels, base=path.parent, required=required))
        except BenchmarkFileError as exc:
            failed.append(DroppedRow(exc.source, 0, "(file)", exc.problem))
    if failed and not any(r.files for r in results):
        raise BenchmarkFileError(failed[0].source, failed[0].reason) if len(failed) == 1 else BenchmarkFileError(
            f"{len(failed)} paths", "none could be read: " + "; ".join(str(f) for f in failed))
    loaded = combine(results)
    loaded.dropped[:0] = failed
    return loaded


def combine(results: list[ImportResult]) -> LoadedData:
    """Imported pieces (files, folders, uploads) as one prepared table, with every dropped row, notice and file."""
    tables = [r.table for r in results if not r.table.empty]
    raw = pd.concat(tables, ignore_index=True) if tables else conform(pd.DataFrame())
    files = list(dict.fromkeys(f for r in results for f in r.files))
    return LoadedData(prepare(raw), [d for r in results for d in r.dropped], files,
                      [w for r in results for w in r.warnings])


def prepare(raw: pd.DataFrame, node_gpus: int = DEFAULT_NODE_GPUS) -> pd.DataFrame:
    """Average repeated runs, prefer measured curves, check Little's law and add the course's derived columns."""
    table = prefer_measured(add_keys(average_runs(conform(raw))))
    return add_derived(table, node_gpus)


def average_runs(df: pd.DataFrame) -> pd.DataFrame:
    """Runs of the same configuration and load (nim.csv has every concurrency-5 point twice) become one row."""
    keys = list(RUN_KEY)
    repeated = df.duplicated(keys, keep=False).to_numpy() if not df.empty else np.zeros(0, dtype=bool)
    if not repeated.any():
        return df
    numeric = [c for c in COLUMNS if c not in TEXT_COLUMNS and c not in keys and c != "runs"]
    rows = df[repeated].assign(req_per_s_min=df["req_per_s_min"].fillna(df["req_per_s"]),
                               req_per_s_max=df["req_per_s_max"].fillna(df["req_per_s"]))
    grouped = rows.groupby(keys, dropna=False, sort=False)
    out = grouped[numeric].mean()
    out["req_per_s_min"] = grouped["req_per_s_min"].min()
    out["req_per_s_max"] = grouped["req_per_s_max"].max()
    out["runs"] = grouped["runs"].sum()
    out["source"] = grouped["source"].agg(_joined, "; ")
    out["derived"] = grouped["derived"].agg(_joined, ",")
    merged = pd.concat([df[~repeated], out.reset_index()], ignore_index=True)
    order = pd.concat([df[~repeated].index.to_series(), grouped.head(1).index.to_series()], ignore_index=True)
    return conform(merged.iloc[np.argsort(order.to_numpy(), kind="stable")])


def _joined(values: pd.Series, sep: str) -> str | None:
    return sep.join(dict.fromkeys(values.dropna())) or None


def add_keys(df: pd.DataFrame) -> pd.DataFrame:
    """model_key and gpu_key: the catalog's name where it knows the data's spelling (H100_80GB_HBM3 is H100 SXM)."""
    out = df.copy()
    for column, resolve in (("model", catalog.resolve_model), ("gpu", catalog.resolve_gpu)):
        keys = {n: (entry.name if (entry := resolve(n)) else n) for n in out[column].dropna().unique()}
        out[f"{column}_key"] = out[column].map(keys)
    return out


def prefer_measured(df: pd.DataFrame) -> pd.DataFrame:
    """Drop modeled rows for any configuration that measured data covers (names compared through the catalog)."""
    if df.empty or not (df["provenance"] == "modeled").any():
        return df
    config = _config_keys(df)
    measured = set(config[(df["provenance"] == "measured").to_numpy()])
    keep = (df["provenance"] == "measured").to_numpy() | ~config.isin(measured).to_numpy()
    return df[keep].reset_index(drop=True)


def _config_keys(df: pd.DataFrame) -> pd.Series:
    """One text key per (model, GPU, TP, precision, lengths); BF16 and FP16 count as one precision."""
    precision = df["precision"].str.lower().replace({"bf16": "fp16"})
    parts = [df["model_key"], df["gpu_key"], df["tp"].astype(str), precision, df["isl"].astype(str), df["osl"].astype(str)]
    return pd.Series(["|".join(p) for p in zip(*parts)], index=df.index)


def add_derived(df: pd.DataFrame, node_gpus: int = DEFAULT_NODE_GPUS) -> pd.DataFrame:
    """The course's derived columns (per GPU, per 8-GPU server, per user) and the Little's-law check."""
    out = derive_rows(df, node_gpus)
    out["curve_id"] = out.groupby(list(CURVE_COLUMNS), dropna=False, sort=False).ngroup()
    return out.sort_values(["curve_id", "load"], kind="stable").reset_index(drop=True)


def derive_rows(df: pd.DataFrame, node_gpus: int = DEFAULT_NODE_GPUS) -> pd.DataFrame:
    """add_derived's columns that each row's own figures decide (no curve_id, order kept): what a point computed
    apart from its table (a solved operating point) needs."""
    def column(name: str) -> np.ndarray:
        return df[name].to_numpy(dtype="float64", na_value=np.nan)

    gpus, req, tok, conc = column("gpus_per_instance"), column("req_per_s"), column("out_tok_per_s"), column("concurrency")
    e2e = column("e2e_ms_avg")
    by_concurrency = df["load_mode"].eq("concurrency").to_numpy(dtype=bool, na_value=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = req * e2e / 1000.0 / conc  # requests in flight by Little's law ÷ the concurrency asked for
        derived = {
            "req_per_s_per_gpu": req / gpus, "out_tok_per_s_per_gpu": tok / gpus,
            "prompts_per_s_per_server": req / gpus * node_gpus, "out_tok_per_s_per_server": tok / gpus * node_gpus,
            "tok_per_s_per_user": 1000.0 / column("itl_ms_avg"), "concurrency_per_server": conc / gpus * node_gpus,
            "ttft_share": column("ttft_ms_avg") / e2e, "littles_law_ratio": ratio,
            "littles_law_flag": (np.abs(ratio - 1.0) > LITTLE_TOLERANCE) & by_concurrency,
            "node_gpus": node_gpus, "load": np.where(by_concurrency, conc, column("request_rate")),
        }
    out = df.copy()
    for name, values in derived.items():
        out[name] = values
    return out


def flagged_runs(table: pd.DataFrame) -> pd.DataFrame:
    """Runs whose concurrency differs from req/s × mean e2e latency by more than the tolerance."""
    cols = ["source", "model", "gpu", "tp", "precision", "isl", "osl", "concurrency", "req_per_s", "e2e_ms_avg",
            "littles_law_ratio"]
    return table.loc[table["littles_law_flag"], cols].reset_index(drop=True)


def summary(table: pd.DataFrame) -> dict[str, object]:
    """What is loaded, in a few counts a user can check."""
    return {
        "rows": len(table),
        "models": sorted(table["model_key"].dropna().unique()),
        "gpus": sorted(table["gpu_key"].dropna().unique()),
        "provenance": table["provenance"].value_counts().to_dict(),
        "flagged": int(table["littles_law_flag"].sum()) if "littles_law_flag" in table else 0,
    }

