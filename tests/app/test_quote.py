"""The Answer page's documents through AppTest: the customer and prepared-by fields (checked by QuoteInfo, a bad value
said beside its field, kept for the session), the five downloads, and where the documents' link comes from."""

from __future__ import annotations

import pytest

from core.document import MAX_FIELD_CHARS
from tests.app.conftest import no_errors, plain, start, texts
from ui import quote as quote_ui

DOWNLOADS = {"dl_pdf": "Quote (PDF)", "dl_xlsx": "Workbook (Excel)", "dl_quote": "Quote (text)",
             "dl_csv": "Options (CSV)", "dl_json": "Options (JSON)"}


def buttons(at) -> dict[str, object]:
    return {b.proto.id.rsplit("-", 1)[-1]: b for b in at.get("download_button")}


def test_documents_section_has_the_fields_and_the_downloads(default_data):
    at = start()
    no_errors(at)
    assert at.text_input(key="quote_customer").label == "Customer / project"
    assert at.text_input(key="quote_prepared_by").label == "Prepared by"
    shown = buttons(at)
    assert {key: shown[key].proto.label for key in DOWNLOADS} == DOWNLOADS
    assert not any(shown[key].proto.disabled for key in DOWNLOADS)
    assert "Quote and documents" in texts(at)


def test_invalid_inputs_hold_every_download(default_data):
    """With calls per year at 0 the page shows the last valid traffic's figures: no document may carry them as if
    they answered the inputs on screen."""
    at = start()
    at.slider(key="calls").set_value(0.0).run()
    no_errors(at)
    assert any("last valid" in plain(w.value) for w in at.warning)
    shown = buttons(at)
    assert all(shown[key].proto.disabled for key in DOWNLOADS)
    at.slider(key="calls").set_value(30_000_000.0).run()
    assert not any(buttons(at)[key].proto.disabled for key in DOWNLOADS)


def test_a_field_too_long_is_said_beside_it_and_holds_the_documents(default_data):
    at = start()
    at.text_input(key="quote_customer").input("A" * (MAX_FIELD_CHARS + 1)).run()
    no_errors(at)
    said = [plain(w.value) for w in at.warning]
    assert any(f"Customer / project is too long: at most {MAX_FIELD_CHARS} characters; got {MAX_FIELD_CHARS + 1}" in w
               for w in said), said
    shown = buttons(at)
    assert all(shown[key].proto.disabled for key in ("dl_pdf", "dl_xlsx", "dl_quote"))  # they carry the name
    assert not shown["dl_csv"].proto.disabled and not shown["dl_json"].proto.disabled
    assert at.text_input(key="quote_customer").value == "A" * (MAX_FIELD_CHARS + 1)  # nothing lost
    at.text_input(key="quote_customer").input("ACME call centre").run()
    assert not at.warning and not any(b.proto.disabled for b in buttons(at).values())


def test_a_control_character_is_cleaned_not_refused(default_data):
    at = start()
    at.text_input(key="quote_prepared_by").input("Jane\tDoe").run()
    assert not at.warning and not buttons(at)["dl_pdf"].proto.disabled


def test_the_fields_are_kept_across_pages(default_data):
    at = start()
    at.text_input(key="quote_customer").input("ACME call centre").run()
    at.text_input(key="quote_prepared_by").input("Jane Doe").run()
    at.switch_page("pages/compare.py").run()
    at.text_input(key="save_name").input("kept").run()
    at.button(key="save_scenario").click().run()
    assert "ACME call centre · prepared by Jane Doe" in texts(at)  # the comparison's documents use them
    at.switch_page("pages/sizing.py").run()
    at.switch_page("pages/answer.py").run()
    assert at.text_input(key="quote_customer").value == "ACME call centre"
    assert at.text_input(key="quote_prepared_by").value == "Jane Doe"
    # With a saved scenario, the documents offer to add it (a page of the PDF, a sheet of the workbook).
    assert at.toggle(key="quote_with_scenarios").value is True
    assert "Compare the 1 saved scenario" in [link.proto.label for link in at.get("page_link")]


def test_the_public_address_comes_from_the_secrets_then_the_environment(monkeypatch):
    monkeypatch.setattr(quote_ui.st, "secrets", {"public_url": " https://sizer.streamlit.app "})
    monkeypatch.setenv("SIZER_PUBLIC_URL", "https://other.example.org")
    assert quote_ui.public_url() == "https://sizer.streamlit.app"
    monkeypatch.setattr(quote_ui.st, "secrets", {})
    assert quote_ui.public_url() == "https://other.example.org"
    monkeypatch.delenv("SIZER_PUBLIC_URL")
    assert quote_ui.public_url() is None


class _NoSecrets:
    def get(self, _key):
        raise FileNotFoundError("no secrets.toml")


def test_no_secrets_file_is_no_public_address(monkeypatch):
    monkeypatch.setattr(quote_ui.st, "secrets", _NoSecrets())
    monkeypatch.delenv("SIZER_PUBLIC_URL", raising=False)
    assert quote_ui.public_url() is None


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (21900.0, "$%,.0f", "$21,900"), (1234.4, "$%,.0f", "$1,234"),
    (0.98, "%.2f", "0.98"), (100.0, "%.1f", "100.0"), (7, None, "7"), (float("nan"), "%.2f", "–"),
    ("modeled", None, "modeled"), (12345, None, "12,345"),
])
def test_the_printed_table_formats_numbers_as_the_screen_does(value, fmt, shown):
    assert quote_ui.cell_text(value, fmt) == shown


def test_file_names_carry_the_customer_and_the_date():
    from datetime import date

    from core.document import QuoteInfo

    info = QuoteInfo(customer="ACME Call-Centre / Ünïcode", date=date(2025, 6, 1))
    assert quote_ui.file_stem(info) == "sizing-quote-acme-call-centre-unicode-2025-06-01"
    assert quote_ui.file_stem(QuoteInfo(date=date(2025, 6, 1)), "comparison") == "sizing-comparison-2025-06-01"


# --- what the downloads hold ------------------------------------------------------------------------------------------

def _capturing(monkeypatch) -> list[dict]:
    """The builders each run of the page hands its download buttons (AppTest has no runtime to call them on click;
    the test calls them as the click would)."""
    built: list[dict] = []
    real = quote_ui.builders

    def spy(*args, **kwargs):
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(quote_ui, "builders", spy)
    return built


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_holds_the_answer_its_range_every_price_and_the_data(default_data, monkeypatch):
    monkeypatch.delenv("SIZER_PUBLIC_URL", raising=False)
    from core import document
    from core.frontier import Limits, Query
    from core.quote import headline
    from core.sizing import size
    from core.table import DEFAULT_BENCHMARK_DIR, load_paths
    from core.traffic import TrafficInputs, derive

    built = _capturing(monkeypatch)
    at = start()
    at.select_slider(key="ttft").set_value(500.0).run()
    at.text_input(key="quote_customer").input("ACME call centre").run()
    at.text_input(key="quote_prepared_by").input("Jane Doe").run()
    no_errors(at)
    data = built[-1]["pdf"]()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    # The engine's answer to the same scenario (the course's traffic, TTFT ≤ 500 ms, the default data).
    result = size(load_paths([DEFAULT_BENCHMARK_DIR]).table, Query("Llama 3 8B", 2000, 200, Limits(ttft_ms=500)),
                  derive(TrafficInputs()))
    best = document.costed(result).best
    assert _flat(headline(result)) in text  # the answer in one sentence
    assert f"likely {document.range_text(best)}" in text and f"{best['servers_exact']:,.2f}" in text  # its range
    for price in document.price_rows(result):  # every price: what, value, source, date
        source = " ".join(_flat(price["source"]).split()[:6])
        assert f"{_flat(price['item'])} {price['value']} {source}" in text, price
        assert price["as_of"] in text, price
    assert "performance model" in text  # the data the answer rests on
    assert "ACME call centre" in text and "Jane Doe" in text
    assert "127.0.0.1" not in text and "localhost" not in text  # no private link (no public address configured)
    # The workbook and the text quote come from the same click-built state.
    assert built[-1]["xlsx"]()[:2] == b"PK"
    assert "ACME call centre" in built[-1]["text"]()


HOSTILE = "=HYPERLINK(\"http://x\",\"y\") **bold** [link](http://evil) <b>x</b> `code` $1+$2"


def test_customer_strings_with_markdown_and_formula_characters_are_neutralised(default_data, monkeypatch):
    import io

    import openpyxl

    built = _capturing(monkeypatch)
    at = start()
    at.text_input(key="quote_customer").input(HOSTILE).run()
    at.text_input(key="quote_prepared_by").input("+cmd|' /C calc'!A0").run()
    no_errors(at)
    assert not at.warning and not buttons(at)["dl_pdf"].proto.disabled  # a legal name: taken, not refused
    # On the page the string is shown as typed, never rendered: no bold, no link, no tag.
    printed = [h.proto.body for h in at.get("html") if "sizer-print-only" in h.proto.body and "Customer" in h.proto.body]
    assert printed and "&lt;b&gt;x&lt;/b&gt;" in printed[0] and "<b>x</b>" not in printed[0]
    # In the workbook no cell holding it is a formula; it reads back as text, a quote mark in front.
    book = openpyxl.load_workbook(io.BytesIO(built[-1]["xlsx"]()))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and ("HYPERLINK" in c.value or "calc'" in c.value)]
    assert cells and all(c.data_type != "f" and c.value.startswith("'") for c in cells), [c.value for c in cells]
    # In the PDF and the text quote it stands as text.
    text = _pdf_text(built[-1]["pdf"]())
    assert "HYPERLINK" in text and "**bold** [link](http://evil)" in text
    assert "HYPERLINK" in built[-1]["text"]()
    # The file name keeps only letters and digits.
    from datetime import date

    from core.document import QuoteInfo

    assert quote_ui.file_stem(QuoteInfo(customer=HOSTILE, date=date(2025, 6, 1))) == (
        "sizing-quote-hyperlink-http-x-y-bold-link-http-evil-b-2025-06-01")
