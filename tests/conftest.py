"""Shared fixtures: where the course's data lies (skipped with a reason when absent) and hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SIZER_SHARED_DATA", ROOT.parent / "shared" / "data"))
NIM_CSV = SHARED_DATA / "nim.csv"
ARTIFACTS = SHARED_DATA / "genai_perf_artifacts"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# No test measures time (bench/ does): every profile has no deadline, and the default one is loaded unless
# HYPOTHESIS_PROFILE names another, so a busy machine never fails a property with DeadlineExceeded.
settings.register_profile("default", deadline=None)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the course data stays in ../shared/data and is never committed")
    return path


@pytest.fixture(scope="session")
def nim_csv() -> Path:
    return _need(NIM_CSV)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    return _need(ARTIFACTS)


@pytest.fixture(scope="session")
def nim_table(nim_csv):
    from core.table import load_paths

    return load_paths([nim_csv]).table
