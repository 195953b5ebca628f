"""Treated groups on the real data: register expansion, clean donor pools, exclusions, districts, the GM example."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from placeimpact import FrameworkError
from placeimpact.evaluation import evaluate, load_framework
from placeimpact.group_panel import build_group_panel, resolve_group

ROOT = Path(__file__).resolve().parents[2]
GM = {"E08000001", "E08000002", "E08000003", "E08000004", "E08000005", "E08000006", "E08000007", "E08000008",
      "E08000009", "E08000010"}
CVD = "ons-els:preventable-cardiovascular-mortality-england"


def test_combined_authority_expands_to_its_ten_councils(loaded_store):
    g = resolve_group(loaded_store, "E47000001", reform_start=date(2016, 4, 1))
    assert set(g.codes) == GM and len(g.codes) == 10
    assert g.group_code == "E47000001" and g.group_name == "Greater Manchester"
    assert all(s == date(2016, 4, 1) for s in g.starts)


def test_names_with_their_own_starts(loaded_store):
    g = resolve_group(loaded_store, ["Wigan", "Bolton"], [date(2011, 4, 1), None], reform_start=date(2016, 4, 1))
    assert g.codes == ("E08000010", "E08000001") and g.starts == (date(2011, 4, 1), date(2016, 4, 1))
    assert g.staggered


def test_group_panel_donor_pool_is_clean(loaded_store):
    g = resolve_group(loaded_store, "E47000001", reform_start=date(2016, 4, 1))
    gp = build_group_panel(loaded_store, indicator=CVD, group=g, exclude=["Cornwall", "Liverpool"])
    assert set(gp.treated_codes) == GM
    donors = set(gp.donor_codes)
    assert not donors & GM
    assert "E06000052" not in donors and "E08000012" not in donors
    assert gp.removed["E06000052"] == "excluded by the framework" and gp.removed["E08000010"] == "treated"
    assert len(donors) > 100
    # the published aggregate (E47 rows) is aligned where the source has it, else None
    assert gp.aggregate is None or gp.aggregate.shape == (gp.panel.n_periods,)


def test_group_panel_from_an_oflog_group_is_the_union_minus_treated(loaded_store):
    g = resolve_group(loaded_store, ["Wigan", "Bolton"], reform_start=date(2016, 4, 1))
    gp = build_group_panel(loaded_store, indicator=CVD, group=g, comparators="oflog-nn")
    nn = loaded_store.groups(group_id="oflog-nn")
    union = set(nn[nn["focal_area"].isin(g.codes)]["member_area"]) - set(g.codes)
    assert set(gp.donor_codes) <= union and not set(gp.donor_codes) & set(g.codes)


def test_published_aggregate_is_read(loaded_store):
    g = resolve_group(loaded_store, "E47000001", reform_start=date(2016, 4, 1))
    gp = build_group_panel(loaded_store, indicator="ons-els:employment-rate", group=g)
    assert gp.aggregate is not None and np.isfinite(gp.aggregate).sum() >= 10


def test_districts_are_compared_with_districts(loaded_store):
    a = loaded_store.areas(area_type="district")
    two = a[a["valid_to"].isna()]["code"].head(2).tolist()
    g = resolve_group(loaded_store, two, reform_start=date(2016, 4, 1))
    from placeimpact.panel import same_tier_codes

    pool = set(same_tier_codes(loaded_store, two[0])) - set(two)
    types = set(loaded_store.areas().set_index("code").loc[sorted(pool), "area_type"])
    assert types == {"district"}


def test_single_area_exclude_removes_comparators(loaded_store):
    fw = {"area": "Wigan", "reform_start": "2011-04-01", "comparators": "oflog-nn", "methods": ["did"],
          "exclude": ["Bury", "E08000002"],
          "domains": [{"name": "Health", "indicators": [{"id": CVD}]}]}
    base = evaluate(loaded_store, {k: v for k, v in fw.items() if k != "exclude"}, progress=False)
    ev = evaluate(loaded_store, fw, progress=False)
    assert "E08000002" in base.comparator_codes   # Bury is one of Wigan's Oflog neighbours
    assert "E08000002" in base.outcomes[0].panel.area_codes
    assert "E08000002" not in ev.comparator_codes and ev.excluded == ("E08000002",)
    assert "E08000002" not in ev.outcomes[0].panel.area_codes
    assert "excluded by the framework: Bury" in ev.comparator_text


def test_framework_areas_and_exclude_parse():
    fw = load_framework({"areas": [{"area": "Wigan", "reform_start": 2011}, "Bolton"], "reform_start": "2016-04",
                         "exclude": "Cornwall", "domains": [{"name": "d", "indicators": [CVD]}]})
    assert fw.areas == ("Wigan", "Bolton") and fw.area_starts == (date(2011, 1, 1), None)
    assert fw.exclude == ("Cornwall",) and fw.is_group
    with pytest.raises(FrameworkError, match="no reform start"):
        load_framework({"areas": ["Wigan", "Bolton"], "domains": [{"name": "d", "indicators": [CVD]}]})
    with pytest.raises(FrameworkError, match="either one area or a group"):
        load_framework({"area": "Wigan", "areas": ["Bolton"], "reform_start": 2016,
                        "domains": [{"name": "d", "indicators": [CVD]}]})
    with pytest.raises(FrameworkError, match="listed twice"):
        load_framework({"areas": ["Wigan", "wigan"], "reform_start": 2016,
                        "domains": [{"name": "d", "indicators": [CVD]}]})


def test_gm_framework_is_valid_and_names_its_limits():
    fw = load_framework(ROOT / "frameworks" / "greater-manchester-devolution.yaml")
    assert fw.areas == ("E47000001",) and fw.reform_start == date(2016, 4, 1)
    assert "Cornwall" in fw.exclude and len(fw.primary_ids) >= 3
    assert "Limits" in (ROOT / "frameworks" / "greater-manchester-devolution.yaml").read_text()


def test_group_evaluation_end_to_end(loaded_store, tmp_path):
    fw = {"areas": "E47000001", "reform_start": "2016-04-01", "exclude": ["Cornwall"],
          "domains": [{"name": "Health", "indicators": [{"id": CVD, "primary": True},
                                                        {"id": "ons-els:employment-rate"}]}]}
    ev = evaluate(loaded_store, fw, progress=False, on_error="raise")
    assert ev.group is not None and ev.area_code == "E47000001"
    assert not set(ev.comparator_codes) & GM and "E06000052" not in ev.comparator_codes
    assert "Cornwall" in ev.comparator_text and "treated area(s) never used as comparators" in ev.comparator_text
    f = ev.findings
    assert {"staggered_did", "imputation_did", "group_synthetic_control"} <= set(f["method"])
    assert "group_aggregate_trend_difference" in set(f["method"])      # employment has E47 rows
    loo = ev.group.leave_one_out[0]
    assert len(loo) == 10 and {r["dropped_code"] for r in loo} == GM
    paths = ev.write(tmp_path / "gm")
    html = paths["report.html"].read_text()
    assert "Areas in the group" in html and "Leave one area out" in html and "Bolton" in html
    import json

    doc = json.loads(paths["findings.json"].read_text())
    assert doc["group"]["group_code"] == "E47000001" and len(doc["group"]["areas"]) == 10


def test_api_area_that_is_a_combined_authority_is_a_group(loaded_store):
    fw = {"reform_start": "2016-04-01", "methods": ["staggered_did"],
          "domains": [{"name": "Health", "indicators": [{"id": CVD}]}]}
    ev = evaluate(loaded_store, fw, area="E47000001", progress=False)
    assert ev.group is not None and len(ev.group.treated.codes) == 10
    ev2 = evaluate(loaded_store, fw, areas=["Wigan", "Bolton"], progress=False)
    assert ev2.group.treated.codes == ("E08000010", "E08000001")
