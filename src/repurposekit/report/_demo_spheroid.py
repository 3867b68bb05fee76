"""Demo section: the bundled synthetic defactinib ± mitotane spheroid plate, days 0–4."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from repurposekit.report._html import Section

__all__ = ["build"]


def build(out: Path) -> Section:
    """Run the spheroid pipeline on the bundled plate and fill the report section."""
    from repurposekit.datasets import path as dataset_path
    from repurposekit.imaging import (
        invasion_combination_index,
        invasion_index,
        join_viability,
        measure_batch,
    )
    from repurposekit.io.images import map_images, read_image, read_viability
    from repurposekit.plot.spheroid import (
        contact_sheet_panel,
        invasion_dose,
        invasion_fa_ci,
        invasion_viability,
        overlay,
    )

    sec = Section("spheroid", "3D spheroid invasion (images → invasion index)", out)
    folder = dataset_path("spheroid")
    layout = pd.read_csv(folder / "layout.csv")
    files = sorted((folder / "images").glob("*.ome.tif"))
    items = map_images(files, layout=layout)
    batch = measure_batch(items, loader=read_image, modality="brightfield", n_jobs=1)
    t = batch.table
    sec.text(
        f"{len(t)} brightfield z-stacks (3 planes each) of {t['well'].nunique()} wells at days "
        f"{', '.join(f'{d:g}' for d in sorted(t['day'].unique()))}: synthetic images of a "
        "defactinib ± mitotane plate (see datasets/spheroid/PROVENANCE.md; illustrative, not "
        "measured). Each stack: sharpest plane (variance of Laplacian) → texture/darkness "
        "segmentation → total, core and invasive areas, shape metrics, QC flags."
    )
    err = (t["total_area_um2"] / t["true_total_area_um2"] - 1).abs()
    sec.text(
        f"Total area vs the generator's truth: median error {100 * err.median():.1f} %, "
        f"max {100 * err.max():.1f} % (thin halos at 10 µm/px are the hardest).",
        kind="note",
    )
    cols = [
        "well",
        "day",
        "compound",
        "plane_choice",
        "total_area_um2",
        "core_area_um2",
        "invasive_area_um2",
        "circularity",
        "n_strands",
        "max_invasion_distance_um",
        "flags",
    ]
    sec.table(t[cols], "spheroids", caption="One row per image.")
    inv = invasion_index(t, day_from=0, day_to=4)
    # CellTiter-Glo 3D endpoint (day 4): raw luminescence normalised by repurposekit.plates
    viab = read_viability(folder / "viability_ctg.csv", plate_map=folder / "viability_map.csv")
    inv = join_viability(inv, viab)
    icols = [
        "well",
        "compound",
        "dose_molar",
        "invasion_index",
        "invasion_rel_vehicle",
        "viability_pct",
        "flags",
    ]
    sec.table(
        inv.table[icols],
        "invasion",
        caption="Invasion index (A_day4 − A_day0)/A_day0 per well, relative to vehicle, next "
        "to CellTiter-Glo 3D endpoint viability (% of vehicle, simulated).",
    )
    sec.figure(
        contact_sheet_panel(batch),
        "contact_sheet",
        caption="Contact sheet: total (orange) and core (blue) outlines; red frame = QC flag.",
    )
    first = next(i for i in batch.analyses if t.at[i, "well"] == "B02" and t.at[i, "day"] == 4)
    sec.figure(
        overlay(batch.analyses[first]).figure,
        "overlay_B02_day4",
        caption="QC overlay of a vehicle well at day 4.",
    )
    sec.figure(
        invasion_dose(inv).figure,
        "invasion_dose",
        caption="Invasion relative to vehicle against dose (combinations: total dose).",
    )
    sec.figure(
        invasion_viability(inv).figure,
        "invasion_viability",
        caption="Invasion (solid) and endpoint viability (dashed), % of vehicle: invasion "
        "falls at doses that leave most cells alive, i.e. anti-invasive rather than cytotoxic "
        "(illustrative data).",
    )
    try:
        from repurposekit.curves import fit_dose_response  # type: ignore[attr-defined]
    except ImportError:
        sec.text(
            "Invasion dose-response fits will appear here once repurposekit.curves "
            "provides fit_dose_response.",
            kind="note",
        )
    else:
        fits = fit_dose_response(
            inv.for_curves(),
            dose="dose_molar",
            response="invasion_rel_vehicle",
            by="compound",
            model="LL.3",
            scale="fraction",
        )
        ft = fits.to_frame()
        keep = [c for c in ("compound", "ic50", "hill", "top", "converged", "flags") if c in ft]
        sec.table(
            ft[keep],
            "invasion_fits",
            caption="Invasion-inhibition dose-response (LL.3, floor 0; repurposekit.curves).",
        )
    syn = invasion_combination_index(inv, fa_levels=(0.5, 0.75, 0.9))
    sec.text(
        "Chou–Talalay combination index of invasion inhibition (Fa = 1 − invasion relative "
        "to vehicle): median-effect fits of defactinib and mitotane alone, the 1:10 "
        "constant-ratio mixture fitted the same way. Protocol's calls: CI < 0.9 synergism, "
        "0.9–1.1 additive, > 1.1 antagonism. "
        + "; ".join(f"Fa {r.fa:.2f}: CI {r.ci:.2f} ({r.call})" for r in syn.indices.itertuples())
        + "."
    )
    ci_cols = ["mixture", "fa", "dose_a_molar", "dose_b_molar", "ci", "call", "grade"]
    sec.table(
        syn.indices[ci_cols],
        "invasion_ci_levels",
        caption="CI of the defactinib + mitotane (1:10) mixture at Fa 0.5, 0.75 and 0.9 "
        "(dose_a/dose_b: doses of the mixture that give that Fa).",
    )
    w_cols = ["well", "dose_a_molar", "dose_b_molar", "invasion_rel_vehicle", "fa", "ci"]
    sec.table(
        syn.wells[[*w_cols, "call", "grade", "flags"]],
        "invasion_ci_wells",
        caption="CI at each combination well (Fa measured in that well).",
    )
    sec.figure(
        invasion_fa_ci(syn).figure,
        "invasion_fa_ci",
        caption="Fa–CI plot of invasion: median-effect CI curve of the mixture, diamonds at "
        "Fa 0.5/0.75/0.9, open circles = wells; grey band = additive.",
    )
    return sec
