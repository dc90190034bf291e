"""Time the quote documents for the course scenario (nim.csv, else the default modeled data): text, PDF (with the
frontier chart rendered by vl-convert), workbook; print median and worst of a few runs and the sizes."""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import cost
from core.document import QuoteInfo
from core.frontier import Limits, Query
from core.quote import DataNote, quote_text
from core.quote_pdf import quote_pdf
from core.quote_xlsx import quote_xlsx
from core.sizing import size
from core.table import benchmark_dir, load_paths
from core.traffic import TrafficInputs, derive

NIM = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nim.csv"
RUNS = 5


def timed(build) -> tuple[float, float, int]:
    times, out = [], b""
    for _ in range(RUNS):
        start = time.perf_counter()
        out = build()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, max(times) * 1000, len(out)


def main() -> None:
    loaded = load_paths([NIM if NIM.exists() else benchmark_dir()])
    costing = cost.CostSettings(cost.load_prices())
    result = size(loaded.table, Query("llama3-8b", 2000, 200, Limits(ttft_ms=300), gpus=("h100",)),
                  derive(TrafficInputs()), cost.usd_per_gpu_hour(costing.prices), costing=costing)
    note, info = DataNote(files=tuple(loaded.files)), QuoteInfo("ACME", "Jane Doe", dt.date(2025, 11, 30))
    print(f"course scenario on {', '.join(loaded.files)}; {len(result.options)} options; {RUNS} runs each")
    for name, build in (("text", lambda: quote_text(result, note, info=info).encode()),
                        ("PDF with chart", lambda: quote_pdf(result, note, info, loaded.table)),
                        ("PDF without chart", lambda: quote_pdf(result, note, info)),
                        ("workbook", lambda: quote_xlsx(result, note, info))):
        median, worst, size_bytes = timed(build)
        print(f"  {name:18s} median {median:7.1f} ms, worst {worst:7.1f} ms, {size_bytes / 1024:7.1f} KiB")


if __name__ == "__main__":
    main()
