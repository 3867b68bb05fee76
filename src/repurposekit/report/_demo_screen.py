"""Demo section "screen": plate normalisation + QC + heatmaps, then dose-response fits.

Runs on the bundled SIMULATED defactinib screen (``datasets/screen``, see its PROVENANCE.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from repurposekit.report._html import Section

__all__ = ["build"]

CELL_LINES = ("ENDO-A", "ENDO-B", "TT", "K1")


def build(out: Path) -> Section:
    """Build the screen section of the demo report into ``out/screen``."""
    from repurposekit.curves import compare_published, fit_dose_response
    from repurposekit.datasets import path
    from repurposekit.io.plates import read_plate, read_plate_map
    from repurposekit.plates import annotate_plates, curve_table, normalize_plates
    from repurposekit.plot.curves import dose_response_panel
    from repurposekit.plot.plates import plate_heatmap_panel

    sec = Section("screen", "Plate assays and dose-response (simulated defactinib screen)", out)
    sec.text(
        "Four 384-well CellTiter-Glo plates, one per cell line (ENDO-A, ENDO-B, TT, K1), each "
        "with defactinib and three partners (avutometinib, trametinib, paclitaxel) in 10-point "
        "3-fold dilutions, 8 replicates, plus blank, DMSO vehicle and staurosporine wells. "
        "<b>The data are simulated</b> (datasets/screen/generate_screen.py) with true "
        "defactinib IC50s near published values, so the fit can be compared with the "
        "literature; plate ENDO-B was given an edge effect and noisy controls on purpose. "
        "The plates come in three export formats (grid CSV, a ';'-separated decimal-comma "
        "vendor export, and a long table), all read by <code>repurposekit.io.plates</code>.",
        kind="note",
    )
    readings = pd.concat(
        [read_plate(path("screen", f"plate_{line}.csv")) for line in CELL_LINES], ignore_index=True
    )
    pmap = read_plate_map(path("screen", "plate_map.csv"))
    result = normalize_plates(annotate_plates(readings, pmap))

    qc = result.qc[
        [
            "plate",
            "z_prime",
            "cv_vehicle_percent",
            "signal_to_background",
            "signal_window",
            "edge_effect",
            "passed",
            "qc_flags",
        ]
    ]
    failed = result.failed_plates
    if failed:
        sec.text(
            f"Plate(s) {', '.join(failed)} FAILED QC and are flagged (kept, not dropped): "
            + "; ".join(
                f"{r['plate']}: {r['qc_flags'].replace(';', ', ')}"
                for _, r in qc[~qc["passed"]].iterrows()
            )
            + ". Their curves below carry qc_passed = False.",
            kind="warning",
        )
    sec.table(
        qc,
        "plate_qc",
        caption="Plate QC: Z′ (vehicle vs staurosporine), CV of vehicle wells, "
        "signal/background, signal window, edge effect (outer-ring vs interior vehicle).",
    )
    sec.figure(
        plate_heatmap_panel(result),
        "plate_heatmaps",
        caption="Viability (% of solvent-matched vehicle, blank-subtracted) per well. "
        "B blank, V vehicle, P positive control.",
    )

    table = curve_table(result)
    fits = fit_dose_response(
        table, by=("sample", "compound"), response="viability_percent", scale="percent"
    )
    frame = fits.to_frame()
    qc_ok = table.groupby(["sample", "compound"])["qc_passed"].all().reset_index()
    frame = frame.merge(qc_ok, on=["sample", "compound"], how="left")
    show = frame[
        [
            "sample",
            "compound",
            "ic50",
            "ic50_low",
            "ic50_high",
            "ec50",
            "hill",
            "bottom",
            "emax",
            "auc_norm",
            "converged",
            "flags",
            "qc_passed",
        ]
    ].copy()
    for c in ("ic50", "ic50_low", "ic50_high", "ec50"):
        show[f"{c}_uM"] = show.pop(c) * 1e6
    sec.table(
        show,
        "dose_response_fits",
        caption="drc LL.4 fits (hill = drc's b; > 0 for falling viability); IC50 = dose "
        "where the fitted curve crosses 50 % viability, with its 95 % t-interval (µM).",
    )
    curves_fig = dose_response_panel(fits, panel_by="sample", unit="uM")
    for ax in curves_fig.axes:
        line = ax.get_title().removeprefix("sample = ")
        if line in failed:
            ax.set_title(f"{line}: plate FAILED QC", color="#C62828")
    sec.figure(
        curves_fig,
        "dose_response",
        caption="Fitted LL.4 curves (95 % pointwise confidence band), replicate means ± SD; "
        "vehicle wells at '0'; ticks mark each IC50.",
    )

    truth = pd.read_csv(path("screen", "truth.csv"))
    rec = frame.merge(truth, on=["sample", "compound"])
    rec["fold_vs_truth"] = rec["ic50"] / rec["ic50_molar"]
    sec.table(
        rec[["sample", "compound", "ic50_molar", "ic50", "fold_vs_truth"]].rename(
            columns={"ic50_molar": "true_ic50_M", "ic50": "fitted_ic50_M"}
        ),
        "recovery",
        caption="Recovery of the simulated truth (absolute IC50, molar).",
    )
    try:
        comp = compare_published(fits, "defactinib")
    except Exception as exc:  # the knowledge base is another stage; keep the section alive
        sec.text(f"Published comparison unavailable: {exc}", kind="warning")
    else:
        sec.table(
            comp[
                [
                    "sample",
                    "fitted_molar",
                    "published_model",
                    "low_molar",
                    "high_molar",
                    "fold",
                    "within",
                    "citation",
                    "note",
                ]
            ],
            "defactinib_vs_published",
            caption="Fitted defactinib IC50s against the knowledge base's published cell-viability "
            "IC50s (within = inside the published range, or within 3-fold of a single value).",
            max_rows=40,
        )
    return sec
