"""Invariants of the cost: more traffic never costs less on any basis; the cost's fleet is the sizing's fleet."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import cost
from core.sizing import size_points
from core.traffic import TrafficInputs

money = st.floats(0, 1e6, allow_nan=False)
rate = st.floats(0, 50, allow_nan=False)


@settings(deadline=None, max_examples=150)
@given(req_per_s=st.floats(0.05, 200), gpi=st.sampled_from([1, 2, 3, 4, 8, 16]), server_usd=money,
       hosting=st.floats(0, 1e5), licence=st.floats(0, 1e4), capital=st.floats(0, 0.5), years=st.floats(1, 10),
       kw=st.floats(0.5, 40), pue=st.floats(1, 3), kwh=st.floats(0, 1), cloud=rate, api_in=rate, api_out=rate,
       include_power=st.booleans(), peak_hours=st.floats(0.5, 24), rent=st.sampled_from(cost.RENT),
       peak_factor=st.floats(1, 30), per_kw=st.booleans(), utilisation=st.floats(0.3, 1.0),
       calls=st.floats(1e2, 1e10), more=st.floats(1.0, 1e3))
def test_more_traffic_never_costs_less(req_per_s, gpi, server_usd, hosting, licence, capital, years, kw, pue, kwh, cloud,
                                       api_in, api_out, include_power, peak_hours, rent, peak_factor, per_kw,
                                       utilisation, calls, more):
    site = {"cost_of_capital": capital, "depreciation_years": years, "pue": pue, "electricity_usd_per_kwh": kwh,
            "licence_usd_per_gpu_year": licence,
            **({"hosting_usd_per_kw_month": hosting / 100} if per_kw else {"hosting_usd_per_server_year": hosting})}
    override = {"site": site, "gpu": {"H100 SXM": {"server_usd": server_usd, "server_kw": kw,
                                                   "cloud_usd_per_gpu_hour": cloud}},
                "api": {"usd_per_m_input": api_in, "usd_per_m_output": api_out}}
    prices = cost.apply_override(cost.default_prices(), override, "hypothesis")
    costing = cost.CostSettings(prices, include_power=include_power, peak_hours_per_day=peak_hours, rent=rent)
    option = {"gpu": "H100 SXM", "req_per_s": req_per_s, "gpus_per_instance": gpi, "node_gpus": 8}
    inputs = TrafficInputs(peak_factor=peak_factor)
    low = cost.yearly_costs(option, inputs, costing, "Llama 3 8B", 2000, 200, calls, utilisation)
    high = cost.yearly_costs(option, inputs, costing, "Llama 3 8B", 2000, 200, calls * more, utilisation)
    for basis in cost.BASES:
        assert low[basis] is not None and high[basis] is not None
        assert high[basis] >= low[basis] * (1 - 1e-12), basis


@settings(deadline=None, max_examples=150)
@given(req_per_s=st.floats(0.01, 500), gpi=st.sampled_from([1, 2, 3, 4, 8, 12, 16]), peak=st.floats(0.01, 1e5),
       utilisation=st.floats(0.1, 1.0))
def test_the_costs_fleet_is_the_sizings_fleet(req_per_s, gpi, peak, utilisation):
    points = pd.DataFrame({"gpu": ["H100 SXM"], "node_gpus": [8], "gpus_per_instance": [gpi], "req_per_s": [req_per_s],
                           "prompts_per_s_per_server": [req_per_s * 8 / gpi]})
    sized = size_points(points, peak, utilisation=utilisation).iloc[0]
    assert cost.fleet_at(peak / utilisation, req_per_s, gpi, 8) == (sized["servers_packed"], sized["gpus"])


@pytest.mark.parametrize("basis", cost.BASES)
def test_every_basis_has_a_name_for_sentences(basis):
    assert cost.BASIS_NAMES[basis]
