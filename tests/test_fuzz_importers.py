"""Fuzzing the importers: whatever a file holds, the answer is rows or one clear BenchmarkFileError naming the file.

Inputs are built from this project's own fixtures (tests/fixtures/, one per format and version): random bytes,
truncations, deleted fields, values of the wrong type and extreme numbers in every field, deep nesting. The importer
boundary turns anything unexpected into a generic error and logs it; this test fails when that happens, so every
path a mutated file takes must be one the importers anticipated.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import BenchmarkFileError
from core.importers import ImportResult, RunLabels, read_benchmark
from core.schema import COLUMNS, LATENCY_COLUMNS, MAX_LOAD, MAX_TOKENS
from tests.conftest import FIXTURES

SCALE = float(os.environ.get("SIZER_FUZZ_SCALE", "1"))  # e.g. 20 for a long hunt; the suite runs the modest default
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl", ".csv"))
TEXTS = {p.relative_to(FIXTURES).as_posix(): p.read_bytes() for p in FILES}
LABELS = [RunLabels(gpu="H100 SXM", tp=1, precision="fp8"),
          RunLabels(model="m", gpu="H100 SXM", tp=2, precision="FP8", concurrency=4, isl=100, osl=50), None]
EXTREMES = [1e308, -1e308, 1e20, -5, 0, 0.5, math.nan, math.inf, -math.inf, 10**400, -(10**30), 2**63, 1e-300]
ODD = st.one_of(st.none(), st.booleans(), st.text(max_size=6), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.sampled_from(EXTREMES))
CELLS = st.one_of(st.sampled_from(["", "abc", "1e308", "-5", "nan", "inf", "-inf", "1,2", '"', "1e20", "0", "ns",
                                   "-1e-300", "9" * 400]), st.text(max_size=8))


class _Unexpected(logging.Handler):
    """Counts what the importer boundary logs: each is a path through the importers nobody anticipated."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _check(data: bytes, name: str, labels: RunLabels | None) -> None:
    watch = _Unexpected()
    logger = logging.getLogger("core.importers")
    logger.addHandler(watch)
    try:
        result = read_benchmark(data, name, labels)
    except BenchmarkFileError as exc:
        message = str(exc)
        assert message.startswith(f"{name}: ") and "\n" not in message, message
        assert not watch.records, f"unanticipated: {message}"
        return
    finally:
        logger.removeHandler(watch)
    assert isinstance(result, ImportResult)
    _valid_rows(result)


def _valid_rows(result: ImportResult) -> None:
    table = result.table
    assert list(table.columns) == list(COLUMNS)
    for col in ("isl", "osl", "tp", "gpus_per_instance"):
        values = table[col].astype("float64")
        assert ((values >= 1) & (values <= MAX_TOKENS)).all(), col
    load = table["concurrency"].where(table["load_mode"] == "concurrency", table["request_rate"])
    assert ((load > 0) & (load <= MAX_LOAD)).all()
    for col in (*LATENCY_COLUMNS, "req_per_s", "out_tok_per_s"):
        values = table[col].to_numpy()
        present = ~np.isnan(values)
        assert np.isfinite(values[present]).all() and (values[present] > 0).all(), col
    assert all(isinstance(d.reason, str) and "np." not in d.reason for d in result.dropped)


def _json_docs(data: bytes) -> list[object] | None:
    text = data.decode()
    try:
        return [json.loads(text)]
    except ValueError:
        try:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            return None


def _places(doc: object, path: tuple = ()) -> list[tuple]:
    """Every key or index in a JSON document, as a path from its root."""
    found = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        found.append((*path, key))
        found.extend(_places(value, (*path, key)))
    return found


def _mutate_json(doc: object, draw) -> object:
    places = _places(doc)
    for _ in range(draw(st.integers(1, 3))):
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["delete", "swap", "extreme"]))
            if action == "delete":
                del parent[path[-1]]
                places = _places(doc)
            else:
                parent[path[-1]] = draw(ODD if action == "swap" else st.sampled_from(EXTREMES))
                places = _places(doc)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@settings(max_examples=int(120 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_json_fields_deleted_swapped_or_extreme(data):
    name = data.draw(st.sampled_from([n for n in TEXTS if n.endswith((".json", ".jsonl"))]))
    docs = _json_docs(TEXTS[name])
    docs = [_mutate_json(doc, data.draw) for doc in docs]
    if name.endswith(".jsonl"):
        text = "\n".join(json.dumps(d) for d in docs)
    else:
        text = json.dumps(docs[0], indent=data.draw(st.sampled_from([None, 2])))
    _check(text.encode(), name, data.draw(st.sampled_from(LABELS)))


@settings(max_examples=int(80 * SCALE), deadline=None)
@given(st.data())
def test_csv_cells_deleted_or_replaced(data):
    name = data.draw(st.sampled_from([n for n in TEXTS if n.endswith(".csv")]))
    rows = list(csv.reader(io.StringIO(TEXTS[name].decode())))
    for _ in range(data.draw(st.integers(1, 3))):
        r = data.draw(st.integers(0, len(rows) - 1))
        action = data.draw(st.sampled_from(["cell", "delete_row", "delete_cell", "repeat_column"]))
        if action == "delete_row":
            del rows[r]
        elif not rows[r]:
            continue
        elif action == "repeat_column":
            rows[r].append(data.draw(st.sampled_from(rows[r])))
        else:
            c = data.draw(st.integers(0, len(rows[r]) - 1))
            if action == "delete_cell":
                del rows[r][c]
            else:
                rows[r][c] = data.draw(CELLS)
        if not rows:
            break
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    _check(out.getvalue().encode(), name, data.draw(st.sampled_from(LABELS)))


@settings(max_examples=int(60 * SCALE), deadline=None)
@given(st.data())
def test_truncated_files(data):
    name = data.draw(st.sampled_from(sorted(TEXTS)))
    raw = TEXTS[name]
    _check(raw[: data.draw(st.integers(0, len(raw)))], name, data.draw(st.sampled_from(LABELS)))


@settings(max_examples=int(60 * SCALE), deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["x.json", "x.csv", "x.jsonl", "x"]))
def test_random_bytes(data, name):
    _check(data, name, LABELS[0])


@settings(max_examples=int(20 * SCALE), deadline=None)
@given(st.integers(1, 20_000), st.sampled_from(["[", '{"a":']))
def test_deep_nesting(depth, opener):
    closer = "]" if opener == "[" else "}"
    _check((opener * depth + "1" + closer * depth).encode(), "deep.json", LABELS[0])
