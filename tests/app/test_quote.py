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
