"""What a public deployment needs: link values said when unusable, user strings escaped, no server path or stack
trace shown, every importer suffix accepted."""

from __future__ import annotations

import re
import tomllib

import pytest

from core.importers import SUFFIXES
from core.table import PROJECT_DIR
from tests.app.conftest import benchmark_csv, metric, no_errors, opened, plain, start, upload


@pytest.mark.parametrize("params,named", [
    ({"ttft": "abc"}, "ttft=abc"),
    ({"ttft": "-1"}, "ttft=-1"),
    ({"lengths": "999999/1"}, "lengths=999999/1"),
    ({"minutes": "500"}, "minutes=500"),
    ({"interpolate": "yes"}, "interpolate=yes"),
    ({"gpus": ["H100 SXM", "Z9000"]}, "gpus=H100 SXM, Z9000"),
    ({"model": "No Such Model"}, "model=No Such Model"),
    ({"burst": "-3"}, "burst=-3"),  # the planning inputs (issue 10)
    ({"p_wait": "lots"}, "p_wait=lots"),
    ({"spares": "-1"}, "spares=-1"),
    ({"growth": "9999"}, "growth=9999"),
    ({"years": "0"}, "years=0"),
])
def test_an_unusable_link_value_is_said(default_data, params, named):
    """Issue 8: ?ttft=abc, ?ttft=-1, ?lengths=999999/1 were silently replaced by defaults."""
    at = opened(params)
    no_errors(at)
    toasts = [plain(t.value) for t in at.toast]
    assert any(named in t and "not a valid" in t for t in toasts), toasts
    if named.startswith("ttft="):
        assert any("using 300 instead" in t for t in toasts), toasts
    at.run()  # said once, not on every rerun
    assert not any(named in plain(t.value) for t in at.toast)


@pytest.mark.parametrize("params", [{"ttft": "300"}, {"ttft": "500"}, {"lengths": "2000/200"},
                                    {"gpus": ["H100 SXM"]}, {"interpolate": "true"}, {"peak_direct": "True"}])
def test_a_usable_link_value_is_taken_silently(default_data, params):
    at = opened(params)
    no_errors(at)
    assert not at.toast, [t.value for t in at.toast]


def test_link_values_of_a_page_are_checked_on_that_page(default_data):
    at = opened({"view": "1×TP2 against 2×TP1"}, "pages/frontier.py")
    assert not at.toast and at.segmented_control(key="view").value == "tp"
    at = opened({"view": "sideways"}, "pages/frontier.py")
    assert any("view=sideways" in plain(t.value) and "using Your scenario instead" in plain(t.value) for t in at.toast)
    at = opened({"wi_isl": "0"}, "pages/what-if.py")
    assert any("wi_isl=0" in plain(t.value) for t in at.toast)


EVIL = "**[click](https://evil.example)** [x](https://evil.example) :red[alarm] $x^2$ <b>bold</b>"


def test_user_strings_are_escaped_everywhere(default_data):
    """Issue 8: a model name from an uploaded file rendered as a link on the Answer page. Every Markdown element on
    every page must carry the name as literal text: the reader sees it as written, and no link, style or maths."""
    at = start("pages/data.py")
    upload(at, "=evil.csv", benchmark_csv(EVIL, gpu="[gpu](https://evil.example)"), upload_gpu="H100 SXM")
    at.toggle(key="use_default_toggle").set_value(False).run()
    shown = []
    for page in ("pages/answer.py", "pages/sizing.py", "pages/traffic.py", "pages/guide.py", "pages/data.py",
                 "pages/frontier.py"):
        at.switch_page(page).run()
        no_errors(at)
        for kind in ("markdown", "caption", "subheader", "title", "info", "warning", "error", "success", "toast"):
            for element in at.get(kind):
                source = element.value
                assert "](https://evil" not in source and ":red[" not in source and "$x^2$" not in source, source
                assert "<b>" not in source, source
                shown.append(plain(source))
    text = "\n".join(shown)
    assert EVIL in text  # the headline and the scenario name the model as it is written
    assert "[gpu](https://evil.example)" in text


def test_the_data_folder_is_shown_relative_to_the_app(monkeypatch, tmp_path):
    """Issue 7: the Data page showed the server's filesystem path to every visitor."""
    monkeypatch.delenv("SIZER_DATA_DIR", raising=False)
    at = start("pages/data.py")
    text = " ".join(plain(m.value) for m in at.markdown)
    assert "data/benchmarks" in text and str(PROJECT_DIR) not in text
    monkeypatch.setenv("SIZER_DATA_DIR", str(tmp_path / "course-data"))
    (tmp_path / "course-data").mkdir()
    at = start("pages/data.py")
    text = " ".join(plain(m.value) for m in at.markdown)
    assert str(tmp_path) not in text and "course-data" in text
    monkeypatch.setenv("SIZER_DATA_DIR", str(tmp_path / "nowhere"))
    at = start()
    assert all(str(tmp_path) not in plain(e.value) for e in at.error)
    assert any("does not exist" in plain(e.value) for e in at.error)


def test_a_visitor_never_sees_error_details():
    """Issue 8: tracebacks with server paths on screen. Streamlit shows a generic message instead and logs the
    details on the server (Community Cloud forces this too; the committed config does it everywhere)."""
    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_the_uploader_takes_every_importer_suffix(default_data):
    at = start("pages/data.py")
    accepted = sorted(at.file_uploader[0].proto.type)
    assert accepted == sorted(SUFFIXES), accepted


def test_an_upload_that_crashes_the_importer_is_a_message(default_data, monkeypatch):
    """Whatever an importer raises, the visitor gets a one-line message naming the file; the log gets the rest."""
    import ui.data

    def broken(*_args, **_kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(ui.data, "read_benchmark", broken)
    at = start("pages/data.py")
    rows = metric(at, "Rows")
    upload(at, "deep.json", b"[" * 100 + b"]" * 100)
    assert not at.exception
    assert any(re.search(r"deep\.json could not be read", plain(e.value)) for e in at.error)
    assert metric(at, "Rows") == rows


def test_a_replaced_link_value_is_said_as_people_write_it(default_data):
    at = opened({"calls": "-5"})
    no_errors(at)
    toasts = [plain(t.value) for t in at.toast]
    assert any("calls=-5" in t and "using 30,000,000 instead" in t for t in toasts), toasts
