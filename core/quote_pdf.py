"""The quote as a PDF a sales engineer can send: page one answers (who, when, the answer with its range, the
configuration in words, the top options and the frontier chart), page two shows the workings (cost with every price,
its source and date, the traffic step by step, the data and the method); compared scenarios follow side by side.

fpdf2 writes the PDF; the text font is Source Sans Pro from the pinned `font-source-sans-pro` package (the PDF core
fonts are Latin-1 only, and a quote holds ×, ÷, ≤, – and customers' names). The chart is Altair's own PNG export
(vl-convert, offline)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pandas as pd
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, XPos, YPos

from core import compare, document
from core.document import QuoteInfo
from core.errors import SizerError
from core.exports import neutralise
from core.frontier import select
from core.inputs import finite_or_none
from core.quote import DataNote, details, headline
from core.sizing import Sizing
from core.words import count

FONT = "SourceSans"
WORKINGS_SIZES = (8.5, 7.9, 7.4)  # points: page two's type, smaller only when it would spill onto a third page
INK = (33, 33, 33)
MUTED = (97, 97, 97)
ACCENT = (21, 101, 192)
PALE = (232, 240, 254)
RULE = (189, 189, 189)
HIGHLIGHT = (255, 243, 205)
PAPERS = ("A4", "Letter")


@cache
def _font_files() -> dict[str, Path]:
    import font_source_sans_pro

    folder = Path(font_source_sans_pro.__file__).parent / "files"
    return {"": folder / "SourceSansPro-Regular.ttf", "B": folder / "SourceSansPro-Bold.ttf",
            "I": folder / "SourceSansPro-It.ttf"}


@cache
def _glyphs() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(_font_files()[""])).getBestCmap())


def printable(text: object) -> str:
    """Text the font can draw: a character it lacks (a CJK name, an emoji) becomes '?' rather than vanishing."""
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs or c in "\n" else "?" for c in str(text))


def cell(text: object) -> str:
    """A table cell or a user's string: drawable, and never the start of a spreadsheet formula when copied out."""
    return printable(neutralise(str(text)))


class _Quote(FPDF):
    def __init__(self, paper: str, title: str, date: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format=paper)
        self.quote_title, self.quote_date = title, date
        for style, path in _font_files().items():
            self.add_font(FONT, style, str(path))
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_creator("LLM Inference Sizer")
        # the quote's date, not the clock's: the same scenario on the same day gives the same bytes
        self.set_creation_date(dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC))

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.quote_title} · {self.quote_date}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"page {self.page_no()} of {{nb}}", align="R")


def quote_pdf(result: Sizing, data_note: str | DataNote, info: QuoteInfo | None = None,
              table: pd.DataFrame | None = None, scenarios: Sequence[compare.Scenario] = (),
              top: int = document.TOP_OPTIONS, paper: str = "A4") -> bytes:
    """The quote as PDF bytes. `table` (the data sized on) draws the frontier chart; `scenarios` (name, Sizing or why
    not) adds a page comparing them side by side."""
    if paper not in PAPERS:
        raise SizerError(f"paper must be one of {', '.join(PAPERS)}")
    info = (info or QuoteInfo()).checked()
    result = document.costed(result)
    scenarios = compare.check(scenarios)
    png = frontier_png(result, table, top) if table is not None and result.best is not None else None  # once
    for size in WORKINGS_SIZES:  # the workings fit on page two: smaller type rather than a page for a few lines
        pdf = _Quote(paper, "LLM inference sizing quote", document.today(info))
        pdf.add_page()
        _front(pdf, result, info, png, top)
        if result.best is not None:  # with no answer, the workings (traffic, data) follow on page one
            pdf.add_page()
        _workings(pdf, result, data_note, info, top, size)
        if pdf.page_no() <= 2:
            break
    if scenarios:
        pdf.add_page(orientation="landscape" if len(scenarios) > 3 else "portrait")
        _scenarios(pdf, scenarios)
    return bytes(pdf.output())


# --- page one: the answer --------------------------------------------------------------------------------------------

def _front(pdf: _Quote, result: Sizing, info: QuoteInfo, png: tuple[bytes, float] | None, top: int) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 19)
    pdf.cell(0, 9, pdf.quote_title, new_x=XPos.LMARGIN, new_y=YPos.TOP)
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 9, document.today(info), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    parties = [(label, value) for label, value in (("Customer / project", info.customer),
                                                   ("Prepared by", info.prepared_by)) if value]
    for label, value in parties:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(pdf.get_string_width(label + ": ") + 1, 5.5, f"{label}:")
        pdf.set_font(FONT, "", 10)
        pdf.cell(0, 5.5, cell(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    best = result.best
    _box(pdf, headline(result) if best is not None else _no_answer(result))
    if best is None:
        return
    _key_figures(pdf, result)
    _heading(pdf, "The configuration")
    _paragraph(pdf, document.configuration_words(result))
    _paragraph(pdf, details(result), size=8.5, colour=MUTED)
    _heading(pdf, "Top options, best first")
    _options(pdf, result, top)
    if png is not None:
        _heading(pdf, "Where the answer sits on the benchmark curves")
        room = pdf.h - pdf.b_margin - pdf.get_y() - 9  # the caption's two lines
        width = pdf.epw
        height = width * png[1]
        if height > room:
            width, height = room / png[1], room
        pdf.image(io.BytesIO(png[0]), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
        _paragraph(pdf, f"Each line is one configuration of the top options, each point one concurrency (lowest "
                        f"at the left). The dashed red line is the limit ({result.query.limits.describe()}), the "
                        "shaded side meets it, and the diamond is the chosen operating point.", size=7.5,
                   colour=MUTED)


def _no_answer(result: Sizing) -> str:
    miss = result.frontier.nearest_miss
    return "No configuration in the data meets the latency limits." + (
        f" {miss.describe()[:1].upper()}{miss.describe()[1:]}." if miss else "")


def _box(pdf: _Quote, text: str) -> None:
    pdf.set_fill_color(*PALE)
    pdf.set_draw_color(*ACCENT)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 6, printable(text), border="L", fill=True, padding=(3, 4, 3, 4), align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _key_figures(pdf: _Quote, result: Sizing) -> None:
    best = result.best
    assert best is not None
    figures = [("Servers", f"{int(best['servers_packed']):,}", f"likely {document.range_text(best)}"),
               ("Servers, exact", f"{float(best['servers_exact']):,.2f}", "the course's formula"),
               ("GPUs", f"{int(best['gpus']):,}", count(int(best["instances"]), "copy", "copies"))]
    for basis, label in (("onprem", "On-prem"), ("cloud", "Cloud"), ("api", "API")):
        value = finite_or_none(best.get(f"{basis}_usd_per_year"))
        if value is not None:
            figures.append((label, document.usd(value), "a year"))
    width = pdf.epw / len(figures)
    y = pdf.get_y()
    for i, (label, value, note) in enumerate(figures):
        x = pdf.l_margin + i * width
        pdf.set_xy(x, y)
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, 4, label)
        pdf.set_xy(x, y + 4)
        pdf.set_font(FONT, "B", 15)
        pdf.set_text_color(*INK)
        pdf.cell(width, 7, value)
        pdf.set_xy(x, y + 11)
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, 4, note)
    pdf.set_xy(pdf.l_margin, y + 16)
    pdf.set_text_color(*INK)


def _heading(pdf: _Quote, text: str) -> None:
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _paragraph(pdf: _Quote, text: str, size: float = 9.5, colour: tuple[int, int, int] = INK) -> None:
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.47, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(1)


def _options(pdf: _Quote, result: Sizing, top: int) -> None:
    frame = document.options_table(result, top)
    align = ("CENTER", "LEFT", *["RIGHT"] * 10, "LEFT")
    _table(pdf, frame, _fit(pdf, frame, 8, stretch=1), align, size=8)
    stat = result.query.limits.stat
    modeled = any(document.is_modeled(r) for _, r in result.options.head(top).iterrows())
    note = (f"Latencies are the {document.STAT_WORDS.get(stat, stat)} at the chosen load; measured ones to 1 ms"
            + (", modeled ones to two significant figures (the model's error is on page 2)" if modeled else "")
            + ". Servers: 8-GPU servers to buy; the likely range comes from the named sources of spread (page 2).")
    _paragraph(pdf, note, size=7.5, colour=MUTED)


def _fit(pdf: _Quote, frame: pd.DataFrame, size: float, stretch: int) -> list[float]:
    """Column widths that keep every header word and every cell on one line where the page allows; what is left
    goes to the `stretch` column, and when too wide, the widest columns give way first (their cells wrap)."""
    pad = 2.4
    pdf.set_font(FONT, "B", size)
    need = [max(pdf.get_string_width(word) for word in str(name).split() or [""]) + pad for name in frame.columns]
    pdf.set_font(FONT, "", size)
    for i, column in enumerate(frame.columns):
        cells = [pdf.get_string_width(cell(v)) + pad for v in frame[column]]
        need[i] = max([need[i], *cells])
    total = sum(need)
    if total <= pdf.epw:
        need[stretch] += pdf.epw - total
        return need
    excess = total - pdf.epw
    while excess > 0.01:
        widest = max(need)
        second = max([w for w in need if w < widest] or [0])
        columns = [i for i, w in enumerate(need) if w == widest]
        cut = min(excess / len(columns), widest - max(second, 12))
        if cut <= 0:
            break
        for i in columns:
            need[i] -= cut
        excess -= cut * len(columns)
    return need


def _table(pdf: _Quote, frame: pd.DataFrame, widths: Sequence[float], align: Sequence[str], size: float,
           highlight: Sequence[bool] | None = None) -> None:
    pdf.set_font(FONT, "", size)
    pdf.set_draw_color(*RULE)
    heading = FontFace(emphasis="BOLD", color=INK, fill_color=(238, 238, 238))
    with pdf.table(col_widths=tuple(widths), width=pdf.epw, text_align=tuple(align), line_height=size * 0.42,
                   headings_style=heading, borders_layout="HORIZONTAL_LINES", padding=(0.6, 1),
                   cell_fill_color=(250, 250, 250), cell_fill_mode=TableCellFillMode.ROWS) as grid:
        header = grid.row()
        for name in frame.columns:
            header.cell(printable(name))
        for i, (_, values) in enumerate(frame.iterrows()):
            row = grid.row()
            style = FontFace(emphasis="BOLD", fill_color=HIGHLIGHT) if highlight is not None and highlight[i] else None
            for value in values:
                row.cell(cell(value), style=style)
    pdf.ln(1.5)


# --- the frontier chart --------------------------------------------------------------------------------------------------

def frontier_png(result: Sizing, table: pd.DataFrame, top: int = document.TOP_OPTIONS) -> tuple[bytes, float] | None:
    """The frontier chart of the options shown, the chosen point and the limit, as PNG bytes and height ÷ width."""
    from core import charts

    best = result.best
    if best is None or table.empty:
        return None
    limits, stat = result.query.limits, result.query.limits.stat
    metric = next((m for m, v in (("ttft_ms", limits.ttft_ms), ("e2e_ms", limits.e2e_ms), ("itl_ms", limits.itl_ms))
                   if v is not None), "itl_ms")
    x = f"{metric}_{stat}"
    limit = {"ttft_ms": limits.ttft_ms, "e2e_ms": limits.e2e_ms, "itl_ms": limits.itl_ms}[metric]
    if limit is None and limits.min_tok_per_s_per_user:
        limit = 1000.0 / limits.min_tok_per_s_per_user
    rows = table[select(table, result.query)[0]]
    shown = result.options.head(top)
    labels = set(charts.curve_label(shown))
    curves = rows.assign(label=charts.curve_label(rows))
    curves = curves[curves["label"].isin(labels)].dropna(subset=[x])
    chosen = result.options.head(1).assign(label=charts.curve_label(result.options.head(1)))
    title = f"{result.frontier.model}, {result.query.isl:,} in → {result.query.osl:,} out tokens"
    chart = charts.frontier(curves, x, "prompts_per_s_per_server", limit, chosen, title=title).properties(
        width=430, height=250).configure_axis(labelFontSize=11, titleFontSize=11).configure_legend(
        labelFontSize=10, titleFontSize=11).configure_title(fontSize=12)
    return _png(chart)


def _png(chart: object, scale: float = 3) -> tuple[bytes, float]:
    """Altair's own PNG export (vl-convert, offline), and the image's height ÷ width."""
    from PIL import Image

    buffer = io.BytesIO()
    chart.save(buffer, format="png", scale_factor=scale)  # type: ignore[attr-defined]
    png = buffer.getvalue()
    with Image.open(io.BytesIO(png)) as image:
        return png, image.height / image.width


# --- page two: the workings --------------------------------------------------------------------------------------------

def _workings(pdf: _Quote, result: Sizing, data_note: str | DataNote, info: QuoteInfo, top: int,
              size: float = WORKINGS_SIZES[0]) -> None:
    if result.best is not None:
        _cost(pdf, result, top, size)
    _heading(pdf, "Traffic, step by step")
    for line in document.traffic_lines(result):
        _bullet(pdf, line, size)
    q = result.query
    _bullet(pdf, f"requests of {q.isl:,} input and {q.osl:,} output tokens, {q.limits.describe()}", size)
    _heading(pdf, "Data used")
    for line in document.data_lines(result, data_note):
        _bullet(pdf, line, size)
    for note in result.frontier.notes:
        _bullet(pdf, f"Note: {note}.", size)
    _heading(pdf, "Method")
    _paragraph(pdf, " ".join(document.method_lines(result)), size=size)
    link = info.shown_link()
    if link:
        pdf.set_font(FONT, "", size)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(0, 4.2, printable(f"Open this scenario in the sizer: {link}"), link=link, align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)


def _cost(pdf: _Quote, result: Sizing, top: int, size: float) -> None:
    _heading(pdf, "Cost of the chosen option, per year")
    for line in document.cost_lines(result):
        _bullet(pdf, line, size)
    prices = pd.DataFrame(document.price_rows(result, top), columns=["item", "value", "source", "as_of"])
    if len(prices):
        _heading(pdf, "Prices used, with their source and date")
        prices.columns = ["Price or fact", "Value", "Source", "As of"]
        _table(pdf, prices, (43, 19, 103, 15), ("LEFT", "RIGHT", "LEFT", "LEFT"), size=size - 1.5)


def _bullet(pdf: _Quote, text: str, size: float = 8.5) -> None:
    pdf.set_font(FONT, "", size)
    pdf.cell(3.5, size * 0.45, "•")
    pdf.multi_cell(0, size * 0.45, printable(text[:1].upper() + text[1:]), align="L", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(0.3)


# --- page three: scenarios side by side ------------------------------------------------------------------------------

def _scenarios(pdf: _Quote, scenarios: list[tuple[str, Sizing | str]]) -> None:
    _heading(pdf, "Scenarios side by side")
    frame = compare.compare_frame(scenarios)
    differs = compare.differing(frame)
    shown = frame.reset_index().rename(columns={"index": ""})
    label = 42.0
    each = (pdf.epw - label) / len(frame.columns)
    _table(pdf, shown, (label, *[each] * len(frame.columns)), ("LEFT", *["LEFT"] * len(frame.columns)), size=8,
           highlight=list(differs))
    _paragraph(pdf, "Rows where the scenarios differ are highlighted. Each column is sized as on page 1, with its own "
                    "traffic, limit and data.", size=7.5, colour=MUTED)
    points = compare.compare_points(scenarios)
    if len(points):
        from core import charts

        png, ratio = _png(charts.scenarios(points))
        room = pdf.h - pdf.b_margin - pdf.get_y() - 2
        width = min(pdf.epw, 200.0, room / ratio)
        if width > 80:  # too small to read otherwise: the table says it all
            pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width, h=width * ratio)
