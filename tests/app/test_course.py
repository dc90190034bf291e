"""The course flow and the answer's surroundings: the call-centre preset, the course's rounding, a broken input that
keeps the page, dropped rows beside the answer, and where a shared answer's numbers came from."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, benchmark_csv, metric, no_errors, plain, start, upload


def test_course_preset_restores_every_input_and_says_so(nim_dir):
    """Issue 7: the preset reset the GPU filter and gave 2 B200 servers; the course sizes on H100."""
    at = start()
    at.select_slider(key="ttft").set_value(1000.0).run()
    at.slider(key="minutes").set_value(3.0).run()
    at.select_slider(key="p_wait").set_value(5.0).run()
    at.multiselect(key="precisions").set_value(["fp16"]).run()
    at.button(key="course_example").click().run()
    no_errors(at)
    assert at.multiselect(key="gpus").value == ["H100 SXM"] and at.multiselect(key="precisions").value == []
    assert at.select_slider(key="ttft").value == 300.0 and at.slider(key="minutes").value == 10.0
    assert at.select_slider(key="p_wait").value == 0.0  # the course plans no headroom
    said = " ".join(plain(t.value) for t in at.toast)
    assert "course's call-centre example" in said and "H100 SXM" in said and "TTFT ≤ 300 ms" in said
    # Notebook 2: 199.8 peak req/s ÷ 41.56 prompts/s per 8 H100 (TP1 FP8, concurrency 10) = 4.81 servers.
    assert metric(at, "Servers (exact)") == "4.81"


def test_guide_offers_the_course_rounding(nim_dir):
    """Issue 7: the course's 2.83 (TTFT ≤ 500 ms) is 200 ÷ 70.75; the app's 2.82 is 199.77 ÷ 70.75."""
    at = start()
    at.multiselect(key="gpus").set_value(["H100 SXM"]).run()
    at.select_slider(key="ttft").set_value(500.0).run()
    assert metric(at, "Servers (exact)") == "2.82"
    at.switch_page("pages/guide.py").run()
    assert "2.83" in " ".join(plain(m.value) for m in at.markdown)
    at.button(key="guide_round_peak").click().run()
    no_errors(at)
    assert at.session_state["peak_direct"] is True and at.session_state["peak_rps"] == 200.0
    assert any("200 req/s" in plain(t.value) for t in at.toast)
    at.switch_page("pages/answer.py").run()
    assert metric(at, "Servers (exact)") == "2.83"


def test_an_invalid_input_keeps_the_page_drawn(default_data):
    """Issue 7: calls per year = 0 left an almost blank page. The message is beside the input; the figures stay, for
    the last valid scenario, and say so."""
    at = start()
    before = metric(at, "Servers (exact)")
    at.slider(key="calls").set_value(0.0).run()
    no_errors(at)
    assert metric(at, "Servers (exact)") == before
    beside = [plain(w.value) for w in at.sidebar.warning]
    assert any("Calls per year must be a positive number" in w for w in beside), beside
    page = [plain(w.value) for w in at.main.warning]
    assert any("for the last valid traffic, 199.8 req/s at peak" in w for w in page), page
    at.slider(key="calls").set_value(60_000_000.0).run()
    assert float(metric(at, "Servers (exact)")) > float(before) and not at.warning


def test_a_link_with_an_invalid_input_still_draws_the_page(default_data):
    """Without a last valid scenario (a link opened with calls=0), the figures are the course's, and say so."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["calls"] = "0"
    at.run()
    no_errors(at)
    assert metric(at, "Servers (exact)")
    assert any("for the course's traffic, 199.8 req/s at peak" in plain(w.value) for w in at.main.warning)


def test_rows_dropped_from_the_answers_file_are_shown_beside_it(default_data):
    """Issue 8: one NaN in the winning row moved the answer without a word on the Answer page."""
    at = start("pages/data.py")
    # TTFT is 40 ms × concurrency, so concurrency 4 (160 ms) is the best point within 300 ms; its req/s is empty.
    upload(at, "runs.csv", benchmark_csv("Dropped Row Model", nan_at=4), upload_gpu="H100 SXM")
    at.toggle(key="use_default_toggle").set_value(False).run()
    at.switch_page("pages/answer.py").run()
    no_errors(at)
    beside = " ".join(plain(w.value) for w in at.warning)
    assert "1 row of runs.csv" in beside and "req_per_s" in beside
    assert any(link.proto.page == "data" for link in at.get("page_link"))


def test_an_answer_from_uploads_says_which_data_and_offers_it(default_data):
    """Issue 7: the link and the quote carried the scenario, not the uploads: 2.82 servers in one session, 3.96 in
    another. With uploads the page (and the URL) name the data by fingerprint; the combined table is offered."""
    at = start("pages/data.py")
    upload(at, "runs.csv", benchmark_csv("Shared Data Model"), upload_gpu="H100 SXM")
    at.switch_page("pages/answer.py").run()
    no_errors(at)
    fingerprint = at.query_params["data"]
    note = " ".join(plain(w.value) for w in at.warning)
    assert "runs.csv" in note and fingerprint in note and "must load the same files" in note
    assert at.get("download_button") and any(b.label.startswith("Combined table") for b in at.get("download_button"))
    # The recipient, without the upload, is told that the link's numbers came from other data.
    other = AppTest.from_file(APP, default_timeout=90)
    other.query_params["data"] = fingerprint
    other.run()
    assert any("made with other data" in plain(w.value) and fingerprint in plain(w.value) for w in other.warning)
    # ... still with another file, and no longer once they load the same one (whatever its name).
    other.switch_page("pages/data.py").run()
    upload(other, "runs.csv", benchmark_csv("Another Model"), upload_gpu="H100 SXM")
    other.switch_page("pages/answer.py").run()
    assert any("made with other data" in plain(w.value) for w in other.warning)
    other.switch_page("pages/data.py").run()
    other.button(key="upload_remove").click().run()
    upload(other, "renamed.csv", benchmark_csv("Shared Data Model"), upload_gpu="H100 SXM")
    other.switch_page("pages/answer.py").run()
    assert not any("made with other data" in plain(w.value) for w in other.warning)
    assert other.query_params["data"] == fingerprint


def test_one_server_is_singular(default_data):
    at = start("pages/sizing.py")
    at.query_params["peak_direct"] = "true"
    at.session_state["peak_direct"] = True
    at.session_state["peak_rps"] = 1.0
    at.run()
    no_errors(at)
    assert metric(at, "Best") == "1 server"
    at.switch_page("pages/traffic.py").run()
    assert any("**1 server**" in s.value for s in at.success)
