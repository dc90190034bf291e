"""The app's embedded default data: the calibrated model's sweep over the catalog, rebuilt byte for byte."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core import catalog
from core.perfmodel import Config, NotFeasible, Params, sweep
from core.schema import conform

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "data" / "benchmarks" / "modeled_default.csv"
# The course's six input/output pairs plus common chat (1000/1000) and summarisation (4000/500) shapes.
LENGTHS = ((200, 200), (200, 1000), (200, 2000), (2000, 200), (2000, 2000), (7000, 1000), (1000, 1000), (4000, 500))
CONCURRENCY = (1, 2, 5, 10, 25, 50, 100, 150, 200, 256)
TPS = (1, 2, 4, 8)
PRECISIONS = ("fp16", "fp8", "fp4")  # BF16 runs as FP16 does; listed once


def generate(params: Params | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Every feasible (model, GPU, TP, precision, lengths) sweep; the infeasible ones with their reason."""
    p = params or Params.load()
    frames, skipped = [], []
    for model in catalog.models().values():
        for gpu in catalog.gpus().values():
            for precision in (x for x in PRECISIONS if x in gpu.precisions):
                for tp in TPS:
                    for isl, osl in LENGTHS:
                        cfg = Config(model, gpu, tp, precision, isl, osl)
                        try:
                            frames.append(sweep(cfg, CONCURRENCY, p))
                        except NotFeasible as exc:
                            skipped.append(f"{model.name} {gpu.name} TP{tp} {precision} {isl}/{osl}: {exc}")
    return conform(pd.concat(frames, ignore_index=True)), skipped


def write(table: pd.DataFrame, path: Path = DEFAULT_TABLE) -> None:
    """Fixed column order and number format, so a rebuild is byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.dropna(axis=1, how="all").to_csv(path, index=False, float_format="%.5g", lineterminator="\n")
