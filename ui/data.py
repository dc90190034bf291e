"""Cached data for the pages: the embedded/default folder, the user's uploads, and the table built from both."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import streamlit as st

from core.importers import DroppedRow, ImportResult, RunLabels, read_benchmark, read_path
from core.table import LoadedData, benchmark_dir, combine

UPLOADS = "uploads"  # session key: tuple of (name, bytes, labels); small files only (server.maxUploadSize)
USE_DEFAULT = "use_default"  # session key (not a widget's, so it survives pages that do not draw the toggle)


@st.cache_data(show_spinner="Loading benchmark data…", max_entries=4)
def _folder(path: str) -> ImportResult:
    return read_path(Path(path), base=Path(path))


@st.cache_data(show_spinner=False, max_entries=64)
def _upload(name: str, data: bytes, labels: tuple) -> ImportResult:
    return read_benchmark(data, name, RunLabels(*labels))


@st.cache_resource(show_spinner="Preparing the table…", max_entries=16)
def _combined(folder: str, use_default: bool, uploaded: tuple[tuple[str, bytes, tuple], ...]) -> LoadedData:
    """Shared across sessions and never mutated: the prepared table for one choice of sources."""
    results = [_folder(folder)] if use_default else []
    return combine(results + [_upload(name, data, labels) for name, data, labels in uploaded])


def add_upload(name: str, data: bytes, labels: RunLabels) -> list[DroppedRow]:
    """Read an upload (raising BenchmarkFileError with the reason) and keep it for this session."""
    dropped = _upload(name, data, astuple(labels)).dropped
    kept = tuple(u for u in st.session_state.get(UPLOADS, ()) if u[0] != name)
    st.session_state[UPLOADS] = (*kept, (name, data, astuple(labels)))
    return dropped


def uploads() -> tuple[tuple[str, bytes, tuple], ...]:
    return tuple(st.session_state.get(UPLOADS, ()))


def use_default_toggle() -> None:
    """The Data page's switch; its value is copied to a plain session key that every page reads."""
    def keep() -> None:
        st.session_state[USE_DEFAULT] = st.session_state["use_default_toggle"]

    st.toggle("Include the embedded data", value=st.session_state.get(USE_DEFAULT, True), key="use_default_toggle",
              on_change=keep, help="Switch off to size on your uploads alone (only when you have uploaded something)")


@st.cache_resource(show_spinner=False, max_entries=16)
def _choices(_loaded: LoadedData, identity: int) -> dict[str, dict[str, list]]:
    """Per model: the lengths, GPUs, TPs and precisions the data has (what the scenario widgets offer)."""
    table = _loaded.table
    out: dict[str, dict[str, list]] = {}
    for model, rows in table.groupby("model_key", sort=True):
        out[str(model)] = {
            "lengths": [f"{i}/{o}" for i, o in sorted({(int(i), int(o)) for i, o in zip(rows["isl"], rows["osl"])})],
            "gpus": sorted(rows["gpu_key"].dropna().unique()),
            "tps": sorted(int(t) for t in rows["tp"].dropna().unique()),
            "precisions": sorted(rows["precision"].dropna().unique()),
        }
    return out


def choices(loaded: LoadedData) -> dict[str, dict[str, list]]:
    return _choices(loaded, id(loaded))


def current() -> LoadedData:
    """The table every page works on: the data folder (unless switched off) plus this session's uploads."""
    uploaded = uploads()
    use_default = bool(st.session_state.get(USE_DEFAULT, True)) or not uploaded
    folder = benchmark_dir()
    if use_default and not folder.is_dir():
        st.error(f"The data folder {folder} does not exist: check SIZER_DATA_DIR. Upload benchmark files on the Data "
                 "page, or point SIZER_DATA_DIR at a folder of them.", icon=":material/folder_off:")
        use_default = False
    return _combined(str(folder), use_default, uploaded)
