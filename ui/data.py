"""The data the pages work on: the embedded (or SIZER_DATA_DIR) folder, this session's uploads, and the prepared
table built from both.

Sessions share one process, so every cache that outlives a session is keyed on content: the sha256 of the folder's
files or of an upload's bytes and labels, combined into the key of the prepared table. Never a file name (two
visitors upload different files called nim.csv) and never an object id (a freed table's address is reused).
A session's uploads live in its own state, parsed once (their bytes are not kept) and bounded by a budget; so does
the table prepared from them, which goes with the session. Only the folder's table is shared.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from dataclasses import astuple, dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from core.errors import SizerError
from core.importers import DroppedRow, ImportResult, RunLabels, read_benchmark, read_path
from core.schema import COLUMNS
from core.table import PROJECT_DIR, LoadedData, benchmark_dir, combine

LOG = logging.getLogger(__name__)
UPLOADS = "uploads"  # session key: tuple of Upload
PREPARED = "_prepared"  # session key: the _Prepared table of a session with uploads
USE_DEFAULT = "use_default"  # session key (not a widget's, so it survives pages that do not draw the toggle)
MAX_UPLOAD_BYTES = 50 * 2**20  # per session, all files together (each file is also capped by server.maxUploadSize)
MAX_UPLOAD_ROWS = 200_000  # per session, rows after import
CACHE_TTL = "1h"  # entries no session has asked for in an hour go (the folder's table is rebuilt when next asked)


class UploadBudgetError(SizerError):
    """An upload that would take the session past its budget of bytes or rows."""


@dataclass(frozen=True)
class Upload:
    """One file as this session added it: its rows and dropped rows, and the hash it is cached under."""

    name: str
    digest: str  # sha256 of the bytes, the labels and the name (the name is in the rows' source column)
    size_bytes: int
    result: ImportResult

    @property
    def rows(self) -> int:
        return len(self.result.table)


@dataclass(frozen=True)
class Data:
    """The prepared table with the content key every cache uses for it."""

    loaded: LoadedData
    key: str  # sha256 hex of the folder's files and the uploads (bytes and labels): what caches are keyed on
    fingerprint: str  # 12 hex digits of the prepared table's hash: what links and quotes name the data by
    uploads: tuple[str, ...] = ()  # names of this session's uploads
    embedded: bool = True  # whether the folder's data is part of it

    @property
    def table(self) -> pd.DataFrame:
        return self.loaded.table

    @property
    def files(self) -> list[str]:
        return self.loaded.files

    @property
    def dropped(self) -> list[DroppedRow]:
        return self.loaded.dropped

    @property
    def warnings(self) -> list[str]:
        """What the importers want the user to know that is not a dropped row (LoadedData.warnings, issue 9)."""
        return list(getattr(self.loaded, "warnings", []))


@st.cache_resource(show_spinner="Loading benchmark data…", max_entries=4, ttl=CACHE_TTL)
def _folder(path: str) -> tuple[ImportResult, str]:
    """The folder's rows and the sha256 of every file's name and bytes in it (shared by every session, never
    mutated)."""
    folder = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return read_path(folder, base=folder), digest.hexdigest()


@st.cache_resource(show_spinner="Preparing the table…", max_entries=4, ttl=CACHE_TTL)
def _shared(key: str, _parts: tuple[ImportResult, ...]) -> tuple[LoadedData, str]:
    """The prepared table of the folder alone, shared by every session without uploads (never mutated)."""
    return _prepare(_parts)


@dataclass(frozen=True)
class _Prepared:
    """A session's prepared table (with uploads), held in its state; weakly registered by content for others."""

    key: str
    loaded: LoadedData
    fingerprint: str


# Live objects by content hash, so that sessions uploading the same files (a workshop room, the course's nim.csv)
# share one parsed upload and one prepared table. Not a cache: an entry goes when the last session holding it does.
_READS: weakref.WeakValueDictionary[str, ImportResult] = weakref.WeakValueDictionary()
_TABLES: weakref.WeakValueDictionary[str, _Prepared] = weakref.WeakValueDictionary()
_LOCK = threading.Lock()


def _while_used(registry: weakref.WeakValueDictionary, key: str, build):
    """The object some session already holds for this content, else a new one (built outside the lock)."""
    with _LOCK:
        found = registry.get(key)
    if found is not None:
        return found
    made = build()
    with _LOCK:
        return registry.setdefault(key, made)


FINGERPRINTED = [c for c in COLUMNS if c != "source"]  # the rows, whatever the files were called


def _prepare(parts: tuple[ImportResult, ...]) -> tuple[LoadedData, str]:
    """The prepared table and its fingerprint: the hash of its rows in the canonical columns but the file names, so
    the same files under other names, or the combined table downloaded and loaded again, have the same one."""
    loaded = combine(list(parts))
    rows = pd.util.hash_pandas_object(loaded.table[FINGERPRINTED], index=False).to_numpy()
    return loaded, hashlib.sha256(",".join(FINGERPRINTED).encode() + rows.tobytes()).hexdigest()[:12]


def folder_label(folder: Path | None = None) -> str:
    """The data folder as a visitor may see it: relative to the app, never the server's filesystem path."""
    folder = folder or benchmark_dir()
    try:
        return folder.resolve().relative_to(PROJECT_DIR).as_posix()
    except ValueError:
        return f"$SIZER_DATA_DIR (a folder named {folder.name})"


def folder_problem() -> str | None:
    folder = benchmark_dir()
    if folder.is_dir():
        return None
    return (f"The data folder {folder_label(folder)} does not exist: check SIZER_DATA_DIR. Upload benchmark files "
            "on the Data page, or point SIZER_DATA_DIR at a folder of them.")


def canonical(data: Data) -> pd.DataFrame:
    """The prepared table in the canonical columns: a file the Data page (or the CLI) reads back as it is."""
    return data.table[list(COLUMNS)]


def uploads() -> tuple[Upload, ...]:
    return tuple(st.session_state.get(UPLOADS, ()))


def current() -> Data:
    """The table every page works on: the data folder (unless switched off) plus this session's uploads."""
    added = uploads()
    embedded = (bool(st.session_state.get(USE_DEFAULT, True)) or not added) and benchmark_dir().is_dir()
    parts: list[ImportResult] = []
    digests: list[str] = []
    if embedded:
        result, digest = _folder(str(benchmark_dir()))
        parts.append(result)
        digests.append("folder:" + digest)
    for upload in added:
        parts.append(upload.result)
        digests.append("upload:" + upload.digest)
    key = hashlib.sha256("\n".join(digests).encode()).hexdigest()
    if not added:
        loaded, fingerprint = _shared(key, tuple(parts))
        return Data(loaded, key, fingerprint, (), embedded)
    held = st.session_state.get(PREPARED)
    if held is None or held.key != key:  # the session holds its table; sessions with the same content share it
        held = st.session_state[PREPARED] = _while_used(_TABLES, key, lambda: _Prepared(key, *_prepare(tuple(parts))))
    return Data(held.loaded, key, held.fingerprint, tuple(u.name for u in added), embedded)


def add_upload(name: str, data: bytes, labels: RunLabels, keep_same_name: bool = False) -> Upload:
    """Read an upload and keep its rows for this session. A file of the same name added earlier is replaced (a
    corrected file); with keep_same_name (several files of one name added together, as GenAI-Perf names every run's
    export alike) both are kept, this one as 'name (2).ext'. Raises BenchmarkFileError when the file cannot be read
    and UploadBudgetError when it would break the budget."""
    if keep_same_name:
        name = unique_name(name, {u.name for u in uploads()})
    kept = tuple(u for u in uploads() if u.name != name)
    size_after = sum(u.size_bytes for u in kept) + len(data)
    if size_after > MAX_UPLOAD_BYTES:
        raise UploadBudgetError(
            f"{name} ({size_text(len(data))}) would bring this session's uploads to {size_text(size_after)}, above the "
            f"{size_text(MAX_UPLOAD_BYTES)} a session may hold. Remove some uploads first.")
    digest = hashlib.sha256(hashlib.sha256(data).digest() + repr(astuple(labels)).encode() + name.encode()).hexdigest()
    result = _while_used(_READS, digest, lambda: read_benchmark(data, name, labels))
    rows_after = sum(u.rows for u in kept) + len(result.table)
    if rows_after > MAX_UPLOAD_ROWS:
        raise UploadBudgetError(
            f"{name} ({len(result.table):,} rows) would bring this session's uploads to {rows_after:,} rows, above "
            f"the {MAX_UPLOAD_ROWS:,} a session may hold. Remove some uploads first.")
    upload = Upload(name, digest, len(data), result)
    st.session_state[UPLOADS] = (*kept, upload)
    return upload


def unique_name(name: str, taken: set[str]) -> str:
    """name, or 'stem (k).ext' with the first k that is not taken (the extension stays: it names the format)."""
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, dot + ext) if stem else (name, "")
    k = 2
    while name in taken:
        name, k = f"{stem} ({k}){ext}", k + 1
    return name


def remove_uploads() -> None:
    st.session_state[UPLOADS] = ()
    st.session_state.pop(PREPARED, None)


def budget_used() -> tuple[int, int]:
    """(bytes, rows) this session's uploads hold."""
    added = uploads()
    return sum(u.size_bytes for u in added), sum(u.rows for u in added)


def use_default_toggle() -> None:
    """The Data page's switch; its value is copied to a plain session key that every page reads."""
    def keep() -> None:
        st.session_state[USE_DEFAULT] = st.session_state["use_default_toggle"]

    st.toggle("Include the embedded data", value=st.session_state.get(USE_DEFAULT, True), key="use_default_toggle",
              on_change=keep, help="Switch off to size on your uploads alone (only when you have uploaded something)")


@st.cache_data(show_spinner=False, max_entries=64, ttl=CACHE_TTL)
def _choices(key: str, _table: pd.DataFrame) -> dict[str, dict[str, list]]:
    """Per model: the lengths, GPUs, TPs and precisions the data has (what the scenario widgets offer)."""
    out: dict[str, dict[str, list]] = {}
    for model, rows in _table.groupby("model_key", sort=True):
        out[str(model)] = {
            "lengths": [f"{i}/{o}" for i, o in sorted({(int(i), int(o)) for i, o in zip(rows["isl"], rows["osl"])})],
            "gpus": sorted(rows["gpu_key"].dropna().unique()),
            "tps": sorted(int(t) for t in rows["tp"].dropna().unique()),
            "precisions": sorted(rows["precision"].dropna().unique()),
        }
    return out


def choices(data: Data) -> dict[str, dict[str, list]]:
    return _choices(data.key, data.table)


def size_text(size_bytes: float) -> str:
    """'820 KB', '19.4 MB': a file size as people read it."""
    if size_bytes < 2**20:
        return f"{size_bytes / 2**10:,.0f} KB"
    return f"{size_bytes / 2**20:,.1f}".removesuffix(".0") + " MB"
