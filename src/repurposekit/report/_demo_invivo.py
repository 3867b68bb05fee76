"""Demo section: the simulated H295R defactinib + mitotane xenograft study."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from repurposekit.report._html import Section


def build(out: Path) -> Section:
    """Run the in vivo stage on the bundled (simulated) study and fill a report section."""
    from repurposekit import datasets
    from repurposekit import invivo as iv
    from repurposekit.io.invivo import read_design, read_growth_table
    from repurposekit.plot.invivo import allocation as _alloc_plot
    from repurposekit.plot.invivo import spaghetti_panel

    folder = datasets.path("invivo")
    design = read_design(folder / "design.toml")
    sec = Section("invivo", "Xenograft study: H295R defactinib + mitotane (simulated)", out)
    sec.text(
        "Simulated 4-arm study (8 mice per arm) following the protocol of the application note: "
        f"randomisation at 100–150 mm³; {design.duration_days} days of treatment (defactinib "
        "50 mg/kg PO BID 3 weeks on / 1 off, mitotane 200 mg/kg PO QD), then follow-up to "
        f"day {design.duration_days + design.follow_up_days} with calipers 3×/week "
        "(V = L·W²/2) and weights 2×/week; each mouse is removed when its tumour reaches the "
        "humane endpoint (1,500 mm³). The data are simulated (see datasets/invivo/PROVENANCE.md).",
        kind="note",
    )
    cand = pd.read_csv(folder / "candidates.csv")
    alloc = iv.randomize(
        cand,
        group_sizes=design.group_sizes,
        window_mm3=design.window_mm3,
        balance_on=("volume_mm3", "body_weight_g"),
        rng=20260105,
        n_candidates=500,
    )
    sec.table(
        alloc.balance,
        "balance",
        caption=f"Balance of the allocation (seed 20260105); {len(alloc.excluded)} of {len(cand)} candidates not enrolled.",
    )
    sec.table(
        alloc.tests,
        "balance_tests",
        caption="One-way ANOVA (means) and Levene (variances) across groups: high p = balanced.",
    )
    sec.figure(
        _alloc_plot(alloc).figure,
        "allocation",
        caption="Baseline volume per group at randomisation.",
    )
    cal = iv.study_calendar(design)
    sec.table(
        cal.head(12),
        "calendar_first_days",
        caption=f"First days of the study calendar ({len(cal)} entries; also exported as ICS by `rk invivo calendar`).",
    )

    gd = iv.prepare_growth_data(
        read_growth_table(folder / "study.csv"),
        groups=[g.name for g in design.groups],
        endpoint_mm3=design.endpoint_mm3,
    )
    treat = (0.0, float(design.duration_days))
    half = min(design.group_sizes.values()) // 2
    sec.figure(
        iv.growth_curves(gd, min_n=half).plot(treatment=treat).figure,
        "growth_curves",
        caption=f"Mean ± SEM tumour volume; grey: treatment period; hollow symbols: some animals "
        f"had reached the endpoint and left; a group's curve stops when fewer than {half} "
        "animals remain.",
    )
    sec.figure(
        spaghetti_panel(gd, treatment=treat),
        "spaghetti",
        caption="Every animal (log scale); dotted line: humane endpoint; ×: removed at the endpoint.",
    )
    day = iv.default_day(gd)
    tgi = pd.concat(
        [
            iv.tumour_growth_inhibition(gd, day=day, method=m, rng=1).table
            for m in ("delta", "rtv", "auc")
        ]
    )
    sec.table(
        tgi,
        "tgi",
        caption=f"TGI (%) on day {day:g}, the last day on which every group still has at least "
        "half of its animals (later means would describe only the slow-growing survivors), with "
        "stratified-bootstrap 95 % CIs; T/C % = 100·mean V_T / mean V_C.",
    )
    lmm = iv.fit_growth_lmm(gd, robust=True)
    sec.table(
        lmm.estimates,
        "lmm",
        caption="Mixed model logRTV ~ 0 + day:group with a random slope per animal (REML): growth rate per day.",
    )
    syn = iv.lmm_synergy(gd, arms=design.combination, day_max=treat[1])
    sec.table(
        syn.table.drop(columns=["method", "robust"]),
        "synergy",
        caption="SynergyLMM Bliss synergy over the treatment period (model refitted on days ≤ t; "
        "varIdent model, CR2 robust SE). " + syn.table["convention"].iloc[0] + ".",
    )
    sec.figure(
        syn.plot().figure,
        "synergy_over_time",
        caption="Bliss combination index with 95 % CI; CI < 1 = synergy.",
    )
    pw_day = 14.0
    pw = iv.synergy_power(
        gd, arms=design.combination, n_per_group=(3, 5, 8), day=pw_day, n_sim=100, rng=7
    )
    sec.table(
        pw.table[["n_per_group", "day", "effect", "combination_index", "power", "power_se"]]
        .assign(
            power_closed_form=pw.table["power_analytic"], power_synergylmm=pw.table["power_nlme"]
        )
        .round(4),
        "synergy_power",
        caption=f"A-priori power of the Bliss synergy test on day {pw_day:g} (2 weeks of "
        "treatment) for n mice per arm: 100 studies simulated from the fitted mixed model "
        f"(random-slope SD {pw.parameters['sd_ranef']:.3g}/day, residual SD "
        f"{pw.parameters['sd_resid']:.3g}), refitted and tested at p < 0.05; power_se: Monte "
        "Carlo SE; closed form: the same test with known variance components; SynergyLMM: "
        "its PwrSampleSize F test (exemplary data, nlme's df) on the same design.",
    )
    mr = iv.mrecist(gd)
    sec.table(mr.counts(), "mrecist", caption="mRECIST (Gao et al. 2015) per group.")
    sec.figure(
        mr.plot().figure, "waterfall", caption="Best response per animal, coloured by mRECIST call."
    )
    bw = iv.body_weight_change(gd)
    sec.figure(
        bw.plot(treatment=treat, min_n=half).figure,
        "body_weight",
        caption="Body-weight change; grey: treatment period; dashed −15 %, dotted −20 %; a "
        f"group's curve stops when fewer than {half} animals remain.",
    )
    es = iv.endpoint_survival(gd)
    sec.table(
        es.to_frame(),
        "survival",
        caption=f"Time to {es.threshold_mm3:g} mm³ (first measured day at or above; censored at "
        "the last measurement); median NaN = not reached; hazard ratios vs vehicle"
        + (" (Firth-penalised: monotone likelihood)" if es.settings["cox_firth"] else "")
        + ".",
    )
    sec.figure(
        es.plot(treatment=treat).figure,
        "km",
        caption=f"Kaplan–Meier: time to {es.threshold_mm3:g} mm³ with medians (95 % CI) and the "
        "log-rank test; ticks: animals censored (study end) without reaching the endpoint.",
    )
    return sec
