"""A small hand-made benchmark table whose answers can be worked out on paper (shared by the planning tests).

One curve per configuration, TP1 on 8-GPU servers, so prompts/s per server = 8 × req/s per instance:
  concurrency   1    2    5     10    25
  TTFT avg ms   50   80   150   250   600
  req/s         1    2    4     5     8      (B200 rows and the 200-token input: the same curve)
e2e follows Little's law (concurrency ÷ req/s), so no row is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.table import prepare

CONCURRENCY = (1, 2, 5, 10, 25)
TTFT_MS = (50, 80, 150, 250, 600)
REQ_PER_S = (1, 2, 4, 5, 8)


def curve(gpu: str = "H100 SXM", precision: str = "fp8", provenance: str = "measured", isl: int = 2000,
          osl: int = 200, speed: float = 1.0) -> list[dict]:
    rows = []
    for c, ttft, rps in zip(CONCURRENCY, TTFT_MS, REQ_PER_S):
        e2e = c / (rps * speed) * 1000
        rows.append({"model": "Llama 3 8B", "gpu": gpu, "tp": 1, "pp": 1, "gpus_per_instance": 1,
                     "precision": precision, "engine": "test", "isl": isl, "osl": osl, "load_mode": "concurrency",
                     "concurrency": c, "ttft_ms_avg": ttft, "itl_ms_avg": (e2e - ttft) / (osl - 1), "e2e_ms_avg": e2e,
                     "req_per_s": rps * speed, "out_tok_per_s": rps * speed * osl, "runs": 1, "source": "hand",
                     "provenance": provenance})
    return rows


def table(*curves: list[dict]) -> pd.DataFrame:
    return prepare(pd.DataFrame([row for c in curves for row in c]))


@dataclass(frozen=True)
class Band:
    """Stands in for core.perfmodel.ErrorBand (the model branch's agreed interface)."""

    low: float
    high: float
    basis: str


class FakeBands:
    """A test double for core.perfmodel.error_band: fixed factors per metric, every call recorded."""

    def __init__(self, bands: dict[str, tuple[float, float]]) -> None:
        self.bands = bands
        self.calls: list[tuple[str, str, bool]] = []

    def __call__(self, metric: str, regime: str, *, extrapolated: bool = False) -> Band:
        self.calls.append((metric, regime, extrapolated))
        low, high = self.bands.get(metric, (1.0, 1.0))
        return Band(low, high, "test residuals")
