"""Altair chart specifications (plain data, testable without a server): the course's plots and the cost of latency."""

from __future__ import annotations

import altair as alt
import pandas as pd

LABELS = {
    "ttft_ms_avg": "Time to first token, avg (ms)", "ttft_ms_p95": "Time to first token, p95 (ms)",
    "itl_ms_avg": "Inter-token latency, avg (ms)", "itl_ms_p95": "Inter-token latency, p95 (ms)",
    "e2e_ms_avg": "End-to-end latency, avg (ms)", "e2e_ms_p95": "End-to-end latency, p95 (ms)",
    "out_tok_per_s": "Output tokens/s per instance", "req_per_s": "Prompts/s per instance",
    "prompts_per_s_per_server": "Prompts/s per 8 GPUs", "tok_per_s_per_user": "Tokens/s per user",
    "out_tok_per_s_per_server": "Output tokens/s per 8 GPUs", "ttft_share": "TTFT share of end-to-end latency",
    "concurrency": "Concurrency", "concurrency_per_server": "Concurrency per 8 GPUs",
}
for _metric, _words in (("ttft_ms", "Time to first token"), ("itl_ms", "Inter-token latency"),
                        ("e2e_ms", "End-to-end latency")):
    for _stat in ("p50", "p90", "p99"):
        LABELS.setdefault(f"{_metric}_{_stat}", f"{_words}, {_stat} (ms)")
X_METRICS = ("ttft_ms_avg", "itl_ms_avg", "e2e_ms_avg", "ttft_ms_p95", "itl_ms_p95", "e2e_ms_p95")
Y_METRICS = ("out_tok_per_s", "req_per_s", "prompts_per_s_per_server", "tok_per_s_per_user",
             "out_tok_per_s_per_server", "ttft_share")
TOOLTIP = [("label", "Configuration"), ("tp", "TP"), ("concurrency", "Concurrency"),
           ("concurrency_per_server", "Concurrency per 8 GPUs"), ("isl", "Input tokens"), ("osl", "Output tokens"),
           ("ttft_ms_avg", "TTFT avg (ms)"), ("itl_ms_avg", "ITL avg (ms)"), ("e2e_ms_avg", "E2E avg (ms)"),
           ("prompts_per_s_per_server", "Prompts/s per 8 GPUs"), ("model", "Model"), ("provenance", "Source")]
# What a chosen point is, in a tooltip's words (the `point` column of core.frontier.search).
POINT_WORDS = {"measured": "a measured concurrency", "modeled": "a modeled concurrency of the grid",
               "interpolated": "interpolated to your limit", "solved": "solved to your limit by the performance model"}


def curve_label(df: pd.DataFrame, by: tuple[str, ...] = ("gpu", "tp", "precision")) -> pd.Series:
    """A short legend name per row, e.g. 'H100 SXM · TP1 · fp8 (modeled)': GPUs and models by the catalog's names
    (gpu_key, model_key) where the rows carry them, as the filters show them."""
    parts = []
    for col in by:
        text = df[f"{col}_key" if f"{col}_key" in df and col in ("gpu", "model") else col].astype(str)
        if col == "tp":
            text = "TP" + text
        elif col == "isl":
            text = df["isl"].astype(str) + " in → " + df["osl"].astype(str) + " out"
        parts.append(text)
    label = parts[0]
    for part in parts[1:]:
        label = label + " · " + part
    modeled = df["provenance"].eq("modeled")
    return label.where(~modeled, label + " (modeled)")


def frontier(curves: pd.DataFrame, x: str, y: str, limit_ms: float | None = None,
             chosen: pd.DataFrame | None = None, title: str = "") -> alt.LayerChart:
    """Latency (log x) against throughput, one line per configuration, points ordered by concurrency."""
    data = curves.sort_values(["label", "load"])[[c for c in {*dict(TOOLTIP), x, y, "label", "load"} if c in curves]]
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=LABELS.get(x, x), scale=alt.Scale(type="log")),
        y=alt.Y(f"{y}:Q", title=LABELS.get(y, y)),
        color=alt.Color("label:N", title="Configuration", scale=alt.Scale(scheme="tableau20"),  # 20 before a repeat
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=340)),  # a phone keeps the plot
        order="load:Q",
        tooltip=[alt.Tooltip(f"{c}:{'N' if c in ('label', 'model', 'provenance') else 'Q'}", title=t,
                             format="" if c in ("label", "model", "provenance", "tp", "isl", "osl") else ",.1f")
                 for c, t in TOOLTIP if c in data],
    )
    layers: list[alt.Chart] = []
    if limit_ms is not None:
        lo = float(data[x].min()) if not data.empty else limit_ms / 10
        band = pd.DataFrame({"x0": [min(lo, limit_ms) * 0.8], "x1": [limit_ms]})
        layers.append(alt.Chart(band).mark_rect(opacity=0.08, color="#2e7d32").encode(x="x0:Q", x2="x1:Q"))
        layers.append(alt.Chart(pd.DataFrame({"x": [limit_ms]})).mark_rule(strokeDash=[6, 4], color="#c62828",
                                                                            size=2).encode(x="x:Q"))
    dash = alt.StrokeDash("provenance:N", title="Source", scale=alt.Scale(domain=["measured", "modeled"],
                                                                          range=[[1, 0], [6, 3]]),
                          legend=alt.Legend(orient="top", direction="horizontal"))
    layers += [base.mark_line(opacity=0.8).encode(strokeDash=dash), base.mark_circle(size=60, opacity=0.85)]
    if chosen is not None and not chosen.empty:
        picks = chosen[[c for c in dict.fromkeys((x, y, "label", "concurrency", "point", "servers_exact"))
                        if c in chosen]]
        if "point" in picks:
            picks = picks.assign(point=picks["point"].map(lambda p: POINT_WORDS.get(str(p), str(p))))
        tips = [alt.Tooltip("label:N", title="Chosen")] + [
            alt.Tooltip(f"{c}:{'N' if c == 'point' else 'Q'}", title=t, format="" if c == "point" else f)
            for c, t, f in (("point", "Operating point", ""), ("concurrency", "Concurrency", ",.3g"),
                            (x, LABELS.get(x, x), ",.1f"), (y, LABELS.get(y, y), ",.2f"),
                            ("servers_exact", "Servers for your peak (exact)", ",.2f")) if c in picks]
        layers.append(alt.Chart(picks).mark_point(shape="diamond", size=260, filled=False, strokeWidth=3,
                                                  color="black").encode(x=f"{x}:Q", y=f"{y}:Q", tooltip=tips))
    # fit-x: the plot keeps its 460 px and the legend below it adds its own height (a long one on a phone)
    return alt.layer(*layers).properties(title=title, height=460,
                                        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def cost_of_latency(steps: pd.DataFrame, chosen_limit_ms: float | None = None) -> alt.LayerChart:
    """Servers needed as the TTFT (or end-to-end) limit loosens: the course's 4.8 servers at ~220 ms vs 2.8 at ~500."""
    base = alt.Chart(steps).encode(
        x=alt.X("limit_ms:Q", title="Latency limit (ms)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("limit_ms:Q", title="Limit (ms)", format=",.0f"),
                 alt.Tooltip("servers_exact:Q", title="Servers (exact)", format=",.2f"),
                 alt.Tooltip("servers:Q", title="Servers (whole)"), alt.Tooltip("label:N", title="Best configuration")],
    )
    layers = [
        base.mark_line(interpolate="step-after", color="#1565c0", size=3).encode(y=alt.Y("servers:Q", title="Servers")),
        base.mark_line(strokeDash=[4, 3], color="#64b5f6").encode(y="servers_exact:Q"),
        base.mark_circle(size=40, color="#1565c0").encode(y="servers:Q"),
    ]
    if chosen_limit_ms is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [chosen_limit_ms]})).mark_rule(color="#c62828", strokeDash=[6, 4])
                      .encode(x="x:Q"))
    return alt.layer(*layers).properties(height=320)


def modeled_vs_measured(both: pd.DataFrame, metric: str) -> alt.LayerChart:
    """Each measured point against the model's estimate, log-log, with the line of perfect agreement."""
    data = both[[metric, f"{metric}_modeled", "gpu", "tp", "precision", "concurrency", "isl", "osl"]].dropna()
    lo = float(min(data[metric].min(), data[f"{metric}_modeled"].min()))
    hi = float(max(data[metric].max(), data[f"{metric}_modeled"].max()))
    scale = alt.Scale(type="log", domain=[lo, hi])
    points = alt.Chart(data).mark_circle(size=35, opacity=0.6).encode(
        x=alt.X(f"{metric}:Q", title=f"Measured: {LABELS.get(metric, metric)}", scale=scale),
        y=alt.Y(f"{metric}_modeled:Q", title="Modeled", scale=scale),
        color=alt.Color("gpu:N", title="GPU"),
        tooltip=["gpu", "tp", "precision", "isl", "osl", "concurrency",
                 alt.Tooltip(f"{metric}:Q", format=",.2f"), alt.Tooltip(f"{metric}_modeled:Q", format=",.2f")],
    )
    line = alt.Chart(pd.DataFrame({"v": [lo, hi]})).mark_line(color="gray", strokeDash=[4, 4]).encode(x="v:Q", y="v:Q")
    return alt.layer(line, points).properties(height=360)


def calibration_report(both: pd.DataFrame) -> alt.VConcatChart:
    """Modeled against measured for the four metrics the calibration is judged on."""
    metrics = ("req_per_s", "itl_ms_avg", "e2e_ms_avg", "ttft_ms_avg")
    panels = [modeled_vs_measured(both, m).properties(width=380, height=300) for m in metrics]
    return alt.vconcat(alt.hconcat(*panels[:2]), alt.hconcat(*panels[2:])).resolve_scale(color="shared")


BASIS_COLOURS = {"on-prem": "#1565c0", "cloud": "#ef6c00", "API": "#2e7d32"}


def break_even(curve: pd.DataFrame, calls_per_year: float, crossovers: pd.DataFrame | None = None,
               title: str = "") -> alt.LayerChart:
    """Yearly cost against calls per year (log-log) for owning, renting and buying per token: owned and rented fleets
    step up a whole server at a time, the API is a straight line. The user's traffic is the dashed rule, crossovers
    the diamonds. `curve`: calls_per_year, basis (onprem|cloud|api), usd_per_year; `crossovers`: calls_per_year,
    usd_per_year, text."""
    names = {"onprem": "on-prem", "cloud": "cloud", "api": "API"}
    data = curve.assign(basis=curve["basis"].map(names).fillna(curve["basis"]))
    colour = alt.Color("basis:N", title="Cost basis",
                       scale=alt.Scale(domain=list(BASIS_COLOURS), range=list(BASIS_COLOURS.values())))
    base = alt.Chart(data).encode(
        x=alt.X("calls_per_year:Q", title="Calls per year", scale=alt.Scale(type="log")),
        y=alt.Y("usd_per_year:Q", title="Cost per year (USD)", scale=alt.Scale(type="log")),
        color=colour,
        tooltip=[alt.Tooltip("basis:N", title="Basis"), alt.Tooltip("calls_per_year:Q", title="Calls / year", format=",.3s"),
                 alt.Tooltip("usd_per_year:Q", title="USD / year", format="$,.0f")])
    steps = alt.datum.basis != "API"
    layers: list[alt.Chart] = [base.transform_filter(steps).mark_line(interpolate="step-after", size=2.5),
                               base.transform_filter(~steps).mark_line(size=2.5)]
    # The mark says "your traffic" (it fits beside the rule on a phone); the figure is in its tooltip.
    traffic = alt.Chart(pd.DataFrame({"x": [calls_per_year], "label": [f"your traffic: {calls_per_year:,.0f} calls a year"],
                                      "short": ["your traffic"]}))
    layers += [traffic.mark_rule(color="#c62828", strokeDash=[6, 4], size=2).encode(x="x:Q", tooltip="label:N"),
               traffic.mark_text(align="left", baseline="top", dx=4, y=4, color="#c62828").encode(
                   x="x:Q", text="short:N", tooltip="label:N")]
    if crossovers is not None and not crossovers.empty:
        marks = crossovers.reset_index(drop=True).assign(order=lambda d: d.index + 1)
        marks["short"] = marks["order"].astype(str)
        points = alt.Chart(marks).encode(x="calls_per_year:Q", y="usd_per_year:Q",
                                         tooltip=[alt.Tooltip("text:N", title="Crossover")])
        layers += [points.mark_point(shape="diamond", size=160, filled=True, color="black"),
                   points.mark_text(align="right", dx=-9, dy=-9, fontWeight="bold").encode(text="short:N")]
        subtitle = [f"{n}: {t}" for n, t in zip(marks["short"], marks["text"])]
        return alt.layer(*layers).properties(title=alt.TitleParams(title or "Cost against traffic", subtitle=subtitle,
                                                                   anchor="start"), height=380)
    return alt.layer(*layers).properties(title=title, height=380)


def tornado(swings: pd.DataFrame) -> alt.LayerChart:
    """Which assumption moves the server count most: a bar from the base answer to the count with the assumption
    moved down, and one to the count with it moved up; the settings tried are written beside (core.uncertainty)."""
    base = float(swings["base_servers_exact"].iloc[0]) if len(swings) else 0.0
    data = swings.dropna(subset=["servers_exact"]).assign(base=base)
    data = data[(data["servers_exact"] - base).abs() > 1e-9 * max(base, 1)]  # a side that does not move has no bar
    order = list(dict.fromkeys(swings["assumption"]))  # already sorted by swing, largest first
    labels = pd.DataFrame([{"assumption": a, "x": max(base, float(rows["servers_exact"].max())),
                            "text": " … ".join(rows.sort_values("side", ascending=False)["setting"])}
                           for a, rows in data[data["setting"].str.contains(r"\d")].groupby("assumption", sort=False)],
                          columns=["assumption", "x", "text"])
    right = max([base, *data["servers_exact"]]) * 1.35 if len(data) else 1.0
    y = alt.Y("assumption:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    x = alt.X("servers_exact:Q", title="Servers (exact)", scale=alt.Scale(domain=[0, right], nice=False))
    bars = alt.Chart(data).mark_bar(opacity=0.85).encode(
        y=y, x=x, x2="base:Q",
        color=alt.Color("side:N", title="Assumption moved", legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=["lower", "higher"], range=["#1565c0", "#ef6c00"])),
        tooltip=[alt.Tooltip("assumption:N", title="Assumption"), alt.Tooltip("setting:N", title="Set to"),
                 alt.Tooltip("servers_exact:Q", title="Servers (exact)", format=",.2f"),
                 alt.Tooltip("servers:Q", title="Servers (whole)")],
    )
    text = alt.Chart(labels).mark_text(align="left", dx=5, fontSize=11, color="#444").encode(
        y=y, x=alt.X("x:Q", scale=alt.Scale(domain=[0, right], nice=False)), text="text:N")
    rule = alt.Chart(pd.DataFrame({"x": [base]})).mark_rule(color="black", size=2).encode(
        x="x:Q", tooltip=[alt.Tooltip("x:Q", title="Base answer (exact servers)", format=",.2f")])
    return alt.layer(bars, text, rule).properties(height=alt.Step(30))


def servers_by_year(years: pd.DataFrame) -> alt.LayerChart:
    """Servers needed each year as traffic grows (core.planning.by_year for one option), whole and exact."""
    base = alt.Chart(years).encode(
        x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
        tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("peak_rps:Q", title="Peak req/s", format=",.1f"),
                 alt.Tooltip("design_rps:Q", title="Sized for (req/s)", format=",.1f"),
                 alt.Tooltip("servers_exact:Q", title="Servers (exact)", format=",.2f"),
                 alt.Tooltip("servers:Q", title="Servers (whole)"),
                 alt.Tooltip("servers_with_spares:Q", title="With spares")],
    )
    return alt.layer(base.mark_bar(color="#1565c0", opacity=0.8).encode(y=alt.Y("servers:Q", title="Servers")),
                     base.mark_line(color="#64b5f6", strokeDash=[4, 3], point=True).encode(y="servers_exact:Q")
                     ).properties(height=260)


def scenarios(points: pd.DataFrame) -> alt.HConcatChart:
    """Scenarios side by side (core.compare.compare_points), one row each so that long names stay readable: servers
    with the likely range as an error bar, and the yearly cost on each basis."""
    order = list(dict.fromkeys(points["scenario"]))
    servers = points.drop_duplicates("scenario")
    y = alt.Y("scenario:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    base = alt.Chart(servers).encode(y=y)
    bars = base.mark_bar(color="#1565c0", opacity=0.85).encode(
        x=alt.X("servers:Q", title="Servers (8 GPUs each)", axis=alt.Axis(format="d", tickMinStep=1)),
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"), alt.Tooltip("servers:Q", title="Servers"),
                 alt.Tooltip("servers_exact:Q", title="Servers (exact)", format=",.2f"),
                 alt.Tooltip("servers_low:Q", title="Likely from"), alt.Tooltip("servers_high:Q", title="Likely to")])
    ranges = base.transform_filter("isValid(datum.servers_low)").mark_rule(color="black", size=2).encode(
        x="servers_low:Q", x2="servers_high:Q")
    colour = alt.Color("basis:N", title="Cost basis", legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=list(BASIS_COLOURS), range=list(BASIS_COLOURS.values())))
    cost = alt.Chart(points.dropna(subset=["usd_per_year"])).mark_bar().encode(
        y=alt.Y("scenario:N", title=None, sort=order, axis=None), yOffset=alt.YOffset("basis:N", sort=list(BASIS_COLOURS)),
        x=alt.X("usd_per_year:Q", title="Cost per year (USD)", axis=alt.Axis(format="$,.3~s")), color=colour,
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"), alt.Tooltip("basis:N", title="Basis"),
                 alt.Tooltip("usd_per_year:Q", title="USD / year", format="$,.0f")])
    height = max(120, 56 * len(order))  # both panels alike, so that their rows line up
    return alt.hconcat(alt.layer(bars, ranges).properties(title="Servers, with the likely range", height=height),
                       cost.properties(title="Cost per year", height=height))
