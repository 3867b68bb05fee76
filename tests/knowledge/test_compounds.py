"""Knowledge base: every value cited, defactinib profile as the issue and seeds state it."""

from __future__ import annotations

import math

import pytest

from repurposekit import DataValidationError
from repurposekit.knowledge import (
    compare_potency,
    get_compound,
    list_compounds,
    load_compound,
    model_table,
    pathway_table,
    published_outcomes,
    published_potency,
    sources,
)


def test_bundled_compounds():
    names = set(list_compounds()["name"])
    assert names == {
        "defactinib",
        "avutometinib",
        "mitotane",
        "trametinib",
        "paclitaxel",
        "dasatinib",
    }
    assert list_compounds()["name"].iloc[0] == "defactinib"  # reference compound first


@pytest.mark.parametrize("alias", ["defactinib", "Defactinib", "VS-6063", "PF-04554878"])
def test_synonyms_resolve(alias):
    c = get_compound(alias)
    assert c.name == "defactinib"
    assert c.cas == "1073154-85-4"


def test_defactinib_values_from_seed_tables():
    t = published_potency("defactinib").set_index("model")
    # seed001 Table 2: FAK and PYK2 IC50 0.6 nM, in vivo pFAK EC50 26 nM, TT 1.98 µM, K1 10.34 µM,
    # endometrioid 1.7-3.8 µM. Exact decimal conversions: compared with rel 1e-12.
    assert t.loc["FAK (recombinant kinase)", "value_molar"] == pytest.approx(0.6e-9, rel=1e-12)
    assert t.loc["PYK2 (recombinant kinase)", "value_molar"] == pytest.approx(0.6e-9, rel=1e-12)
    assert t.loc["pFAK in vivo (tumour)", "value_molar"] == pytest.approx(26e-9, rel=1e-12)
    assert t.loc["TT (medullary thyroid cancer)", "value_molar"] == pytest.approx(
        1.98e-6, rel=1e-12
    )
    assert t.loc["K1 (papillary thyroid cancer)", "value_molar"] == pytest.approx(
        10.34e-6, rel=1e-12
    )
    endo = t.loc["endometrioid cancer cell lines"]
    assert (endo.low_molar, endo.high_molar) == pytest.approx((1.7e-6, 3.8e-6), rel=1e-12)
    assert endo.value_molar == pytest.approx(math.sqrt(1.7e-6 * 3.8e-6), rel=1e-12)


def test_defactinib_regimens_and_ranges():
    c = get_compound("defactinib")
    reg = c.regimens.set_index("setting")
    assert reg.loc["clinical (with avutometinib)", "dose"] == 200
    assert "twice daily" in reg.loc["clinical (with avutometinib)", "schedule"]
    assert "once daily" in reg.loc["clinical, reduced dose", "schedule"]
    assert reg.loc["preclinical, PANC-1 xenograft", "dose"] == 40
    assert (
        "3 weeks on / 1 week off" in reg.loc["preclinical, H295R xenograft (protocol)", "schedule"]
    )
    wr = c.working_range.iloc[0]
    assert (wr.low, wr.high, wr.unit) == (1, 10, "uM")
    av = get_compound("avutometinib").regimens.set_index("setting")
    assert av.loc["clinical (with defactinib)", "dose"] == 3.2
    # the reduced avutometinib dose is recalled, not from a seed: it must say so
    assert av.loc["clinical, reduced dose", "citation"] == "recalled"


def test_every_value_cites_a_known_source():
    known = set(sources())
    for name in list_compounds()["name"]:
        frame = get_compound(name).to_frame()
        cited = frame.loc[frame.section != "identity", "citation"]
        assert set(cited) <= known
        assert (cited != "").all()
    assert set(published_outcomes()["citation"]) <= known
    assert set(pathway_table()["citation"]) <= known


def test_pathway_and_model_tables():
    assert list(pathway_table()["pathway"]) == [
        "Integrin-FAK",
        "RAS/RAF/MEK/ERK",
        "PI3K/Akt/mTOR",
        "Wnt/beta-catenin",
        "Hippo/YAP",
    ]
    assert {"components", "outcome", "implication"} <= set(pathway_table().columns)
    assert len(model_table()) == 5
    assert {"uses", "advantages", "limitations"} <= set(model_table().columns)


def test_outcomes_query():
    frame = published_outcomes(query="FRAME")
    orr = frame[
        (frame.population == "low-grade serous ovarian cancer (LGSOC), all")
        & (frame.endpoint == "ORR")
    ]
    assert orr.iloc[0].value == 42.3
    assert (orr.iloc[0].n_events, orr.iloc[0].n) == (11, 26)
    assert len(published_outcomes(kind="clinical")) == 5
    assert set(published_outcomes(compound="mitotane")["study"]) == {
        "H295R xenograft",
        "ACC cohort",
    }
    ute = published_outcomes(query="UTE10")
    assert "23 days" in ute.iloc[0].comparator
    with pytest.raises(DataValidationError, match="Unknown outcome kind"):
        published_outcomes(kind="mouse")


def test_compare_potency():
    cmp = compare_potency("defactinib", 2.5e-6).set_index("model")
    assert cmp.loc["endometrioid cancer cell lines", "within_range"]
    assert cmp.loc["TT (medullary thyroid cancer)", "within_range"]  # 1.26-fold
    assert not cmp.loc["K1 (papillary thyroid cancer)", "within_range"]  # 4.1-fold
    assert cmp.loc["K1 (papillary thyroid cancer)", "fold"] == pytest.approx(2.5 / 10.34)
    assert "more potent" in cmp.loc["K1 (papillary thyroid cancer)", "verdict"]


def test_unknown_compound_lists_known():
    with pytest.raises(DataValidationError, match="Known: avutometinib"):
        get_compound("aspirin")


def test_site_file_with_unknown_citation_is_rejected(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text(
        'schema = 1\nname = "x"\ndisplay_name = "X"\ncas = { value = "1", citation = "seed000" }\n'
        'mechanism = { value = "m", citation = "nobody" }\n'
    )
    with pytest.raises(DataValidationError, match=r"x.toml `mechanism`: citation 'nobody'"):
        load_compound(p)


def test_bad_toml_names_file(tmp_path):
    p = tmp_path / "broken.toml"
    p.write_text("schema = 1\nname = \n")
    with pytest.raises(DataValidationError, match=r"broken\.toml: not valid TOML"):
        load_compound(p)
