"""Cost: what the sized fleet costs owned, rented and bought per token, side by side; its power and racks; the
break-even against traffic; every ranked option; and the prices, editable, each with its source and date."""

import hashlib
import json
import math
from dataclasses import asdict

import pandas as pd
import streamlit as st

from core import cost, document
from core.errors import SizerError
from core.sizing import Sizing
from core.traffic import Traffic
from ui import cost as costs
from ui import data, nav, scenario, view
from ui.text import md, plural

nav.ensure_router()
st.title("Cost")
st.caption("What the fleet for your scenario costs three ways: owned (on-prem, NVIDIA's TCO method), rented (cloud "
           "GPU-hours) and bought per token (an API), at prices you can see and change below, each with its source "
           "and date.")
loaded = data.current()
sc = scenario.current()
result = None if view.problems(sc) else view.sizing(loaded, sc)
if problem := costs.problem():
    st.warning("Your last price edit is not applied (why: under Prices and options below). The figures use the last "
               "valid prices.", icon=":material/error:")


@st.cache_data(show_spinner="Costing against traffic…", max_entries=64, ttl=data.CACHE_TTL)
def _break_even(key: str, _option: pd.Series, _traffic: Traffic, _settings: cost.CostSettings, model: str, isl: int,
                osl: int, utilisation: float) -> cost.BreakEven:
    """The chosen configuration's cost on each basis from 1/100 to 100 times the traffic; `key` is the content of
    everything else (prices digest, options, configuration, traffic)."""
    return cost.break_even(_option, _traffic, _settings, model, isl, osl, utilisation)


def _content_key(result: Sizing, settings: cost.CostSettings) -> str:
    best, inputs = result.best, result.traffic.inputs
    option = [str(best["gpu"]), float(best["req_per_s"]), int(best["gpus_per_instance"]), int(best["node_gpus"]),
              int(best["tp"]), str(best["precision"])]
    parts = [costs.key(settings), option, asdict(inputs) if inputs else None, result.frontier.model,
             result.query.isl, result.query.osl, result.utilisation]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _bases(result: Sizing) -> None:
    """The three bases side by side: a year, a month, per 1,000 prompts, per call, per 1M tokens, and the sum."""
    best, settings = result.best, result.costing
    q = result.query
    demand = cost.Demand.from_traffic(result.traffic, result.frontier.model, q.isl, q.osl)
    try:
        api = settings.prices.api_offering(result.frontier.model, settings.api_offering)
    except SizerError:
        api = None
    sums = document.cost_lines(result)
    split_shown = False
    missing = [costs.app_words(m) for m in str(best.get("cost_missing") or "").split("; ") if m]
    for column, basis in zip(st.columns(3), cost.BASES):
        yearly = _number(best[f"{basis}_usd_per_year"])
        unit = cost.unit_costs(yearly, demand)
        with column.container(border=True):
            column_title = document.BASIS_TITLES[basis]
            st.metric(f"{column_title}, a year", costs.money(yearly),
                      help="\n\n".join(md(line) for line in costs.figures_help(result, basis)) or None)
            if basis == settings.basis:
                st.badge("Your cost basis" + (", ranking the options" if sc.rank_by == "cost" else ""),
                         icon=":material/check:", help="Chosen in the sidebar (Cost basis); the Answer page shows it")
            if yearly is None:
                own = [m for m in missing if _concerns(m, basis)]
                st.markdown("\n".join(f"- Not priced: {md(m)}" for m in own or missing))
                continue
            lines = [md(f"{costs.money(unit.usd_per_month)} a month")]
            if unit.usd_per_1k_prompts is not None:
                lines.append(f"**{md(costs.money(unit.usd_per_1k_prompts))} per 1,000 prompts**")
            if unit.usd_per_call is not None:
                lines.append(md(f"{costs.money(unit.usd_per_call)} per call"))
            if unit.usd_per_m_tokens is not None:
                lines.append(md(f"{costs.money(unit.usd_per_m_tokens)} per 1M tokens, input and output together"))
                split = (cost.token_split(yearly / demand.prompts_per_year, q.isl, q.osl,
                                          float(api[1]["usd_per_m_input"].value), float(api[1]["usd_per_m_output"].value))
                         if api is not None and demand.prompts_per_year else None)
                if split is not None and not math.isclose(split[0], split[1]):
                    split_shown = True
                    lines.append(md(f"{costs.money(split[0])} per 1M input and {costs.money(split[1])} per 1M output "
                                    "tokens, split in the API's ratio of the two"))
            st.markdown("\n".join(f"- {line}" for line in lines))
            for line in sums:
                if line.startswith(column_title):
                    st.caption(md(line.split(": ", 1)[1]))
    split_note = (" Per 1M input or output tokens follows the NVIDIA DLI TCO notebook: the cost per prompt split "
                  "between input and output at the API's own ratio, so the three compare directly." if split_shown
                  else "")
    st.caption(md(cost.describe(settings).split("; ", 1)[1].capitalize()) + "." + split_note
               + " The ? beside each yearly figure lists every price it rests on, with its source and date.")


def _concerns(missing: str, basis: str) -> bool:
    words = {"onprem": ("server price", "server_usd", "licence", "depreciation", "hosting", "pue", "electricity"),
             "cloud": ("cloud", "average traffic"), "api": ("API", "prompts per year")}[basis]
    return any(w in missing for w in words)


def _power(result: Sizing) -> None:
    best, settings = result.best, result.costing
    kw, racks, power = _number(best["kw"]), _number(best["racks"]), _number(best["power_usd_per_year"])
    site = {k: f.value for k, f in settings.prices.site.items()}
    cols = st.columns(4)
    cols[0].metric("Power drawn", f"{kw:,.1f} kW" if kw is not None else "n/a",
                   help=f"{plural(int(best['servers_packed']), 'server')} × the server's maximum kW × average draw "
                        f"{float(site.get('power_load', 1)):.0%} (IT power, before the PUE)")
    cols[1].metric("Racks", f"{int(racks)}" if racks is not None else "n/a",
                   help=f"Servers per rack limited by {float(site.get('rack_kw_limit', 0)):g} kW of power per rack"
                        + (f" and {int(site['rack_units_per_rack'])} rack units" if "rack_units_per_rack" in site else ""))
    tok = _number(best["tok_per_s_per_kw"])
    cols[2].metric("Output tokens/s per kW", f"{tok:,.0f}" if tok is not None else "n/a",
                   help="Output tokens a second at peak ÷ the power drawn")
    cols[3].metric("Electricity a year", costs.money(power),
                   help=("Included in the on-prem cost" if settings.include_power else
                         "Not in the on-prem cost (switch it on under Prices and options)")
                   + (f": {kw:,.1f} kW × PUE {float(site['pue']):g} × 8,760 h × ${float(site['electricity_usd_per_kwh']):g} "
                      "per kWh" if kw is not None and "pue" in site and "electricity_usd_per_kwh" in site else ""))


def _break_even_section(result: Sizing) -> None:
    st.subheader("Break-even against traffic")
    if result.traffic.inputs is None:
        st.info("The break-even needs calls per year: switch off 'Give the peak req/s directly' and give the "
                "call-centre assumptions.", icon=":material/info:")
        return
    best, settings = result.best, result.costing
    be = _break_even(_content_key(result, settings), best, result.traffic, settings, result.frontier.model,
                     result.query.isl, result.query.osl, result.utilisation)
    view.chart(be.chart().configure_legend(orient="bottom"))  # the plot keeps the width on a phone
    st.markdown("\n".join(f"- {md(c.text)}" for c in be.crossovers))
    diamonds = "; the diamonds are the crossovers" if len(be.crossover_points()) else ""
    st.caption(f"For {md(be.label)}: owned and rented fleets grow a whole server at a time (steps), the API with every "
               f"call. The dashed line is your traffic, {be.calls_per_year:,.0f} calls a year{diamonds}.")
    for note in be.notes:
        st.caption(md(costs.app_words(note)))


def _options(result: Sizing) -> None:
    st.subheader("Every ranked option")
    settings, frame = result.costing, result.options
    basis = cost.BASIS_NAMES[settings.basis]
    table = pd.DataFrame({
        "Configuration": [document.configuration(r) for _, r in frame.iterrows()],
        "Servers": frame["servers_packed"], "GPUs": frame["gpus"],
        "On-prem $/year": frame["onprem_usd_per_year"], "Cloud $/year": frame["cloud_usd_per_year"],
        "API $/year": frame["api_usd_per_year"], "On-prem $/1k prompts": frame["onprem_usd_per_1k_prompts"],
        "Cloud $/1k prompts": frame["cloud_usd_per_1k_prompts"], "API $/1k prompts": frame["api_usd_per_1k_prompts"],
        "$/1M tokens": frame["usd_per_m_tokens"], "kW": frame["kw"], "Racks": frame["racks"],
        "Not priced": [costs.app_words(str(m)) for m in frame["cost_missing"]],
    })
    money, unit = "$%,.0f", "$%.3f"
    st.dataframe(table, hide_index=True, key="cost_options", placeholder="n/a",
                 alt="Every ranked option's yearly cost on each basis", column_config={
        "Configuration": st.column_config.TextColumn("Configuration", width="medium", pinned=True),
        **{c: st.column_config.NumberColumn(c, format=money) for c in ("On-prem $/year", "Cloud $/year", "API $/year")},
        **{c: st.column_config.NumberColumn(c, format=unit) for c in ("On-prem $/1k prompts", "Cloud $/1k prompts",
                                                                       "API $/1k prompts")},
        "$/1M tokens": st.column_config.NumberColumn(f"$/1M tokens ({basis})", format=unit,
                                                     help="The cost on the chosen basis over every input and output "
                                                          "token"),
        "kW": st.column_config.NumberColumn("kW", format="%.1f"),
    })
    order = f"cost on {basis}" if sc.rank_by == "cost" else "servers"
    st.caption(f"Ranked by {order} (sidebar: Rank by and Cost basis). Servers are those to buy or rent: whole copies of "
               "the model packed onto 8-GPU servers.")


if result is not None and result.best is None:
    view.nothing_meets(result)
elif result is not None and result.costing is not None:
    best = result.best
    st.subheader(md(f"{document.configuration(best)}: {plural(int(best['servers_packed']), 'server')} "
                    f"({plural(int(best['gpus']), 'GPU')} in use)"))
    st.markdown(scenario.describe(sc))
    _bases(result)
    st.subheader("Power and space")
    _power(result)
    _break_even_section(result)
    _options(result)

st.subheader("Prices and options")
costs.panel(sc.query.model if sc.query is not None else None)
if result is not None and result.costing is not None and not result.options.empty:
    st.subheader("Every price used")
    settings = result.costing
    used = cost.used_figures(settings.prices, result.options["gpu"], result.frontier.model, settings)
    st.dataframe(costs.price_frame(used), hide_index=True, key="cost_prices_used", alt="Every price used, with sources",
                 column_config={"Source": st.column_config.TextColumn("Source", width="large")})
    offering = result.best.get("api_offering")
    compared = (f"the API prices compared with ({md(costs.app_words(str(offering)))})" if offering
                else "no API offering (none priced for this model)")
    st.caption(f"Every price behind the figures above: for the GPUs of the ranked options, and {compared}. A figure "
               "you edited says so.")
