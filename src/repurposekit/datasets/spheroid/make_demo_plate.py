"""Regenerate the bundled demo plate (run: python make_demo_plate.py). Deterministic (seeded).

Synthetic brightfield z-stacks (repurposekit.imaging.synthetic_spheroid_stack) of a small
defactinib ± mitotane plate imaged at days 0, 2 and 4, written as 8-bit OME-TIFF (deflate)
with PhysicalSizeX, plus layout.csv mapping each file to its well, day and treatment, and a
simulated CellTiter-Glo 3D endpoint read of the same plate (viability_ctg.csv, raw
luminescence per well) with its plate map (viability_map.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from repurposekit.imaging import synthetic_spheroid_stack

HERE = Path(__file__).resolve().parent
SPACING_UM = 10.0
SIZE = 128
CORE_UM = 150.0
GROWTH_UM_PER_DAY = 55.0  # halo front advance of vehicle spheroids
IC50 = {"defactinib": 3e-6, "mitotane": 40e-6}  # illustrative, not measured values
SYNERGY = 1.6  # combination potency boost (illustrative: CI < 1)
# endpoint viability (CellTiter-Glo 3D, day 4): cytotoxicity at higher doses than the
# invasion effect, Bliss-independent in combination (illustrative, not measured values)
CTG_IC50 = {"defactinib": 25e-6, "mitotane": 150e-6}
CTG_HILL = 1.3
CTG_VEHICLE_RLU = 60000.0
CTG_BLANK_RLU = 800.0
CTG_CV = 0.05  # well-to-well coefficient of variation of the luminescence
BLANK_WELLS = ("H10", "H11", "H12")  # medium + Matrigel, no spheroid

WELLS = [
    ("B02", "", 0.0, "", 0.0, "vehicle"),
    ("B03", "", 0.0, "", 0.0, "vehicle"),
    ("B04", "", 0.0, "", 0.0, "vehicle"),
    ("C02", "defactinib", 1.0, "", 0.0, "treated"),
    ("C03", "defactinib", 3.0, "", 0.0, "treated"),
    ("C04", "defactinib", 10.0, "", 0.0, "treated"),
    ("D02", "mitotane", 10.0, "", 0.0, "treated"),
    ("D03", "mitotane", 30.0, "", 0.0, "treated"),
    ("D04", "mitotane", 100.0, "", 0.0, "treated"),
    ("E02", "defactinib", 1.0, "mitotane", 10.0, "treated"),
    ("E03", "defactinib", 3.0, "mitotane", 30.0, "treated"),
    ("E04", "defactinib", 10.0, "mitotane", 100.0, "treated"),
]


def _fraction_invading(doses_um: dict[str, float]) -> float:
    """Fraction of vehicle invasion left (Loewe-style combination with a potency boost)."""
    x = sum(d * 1e-6 / IC50[c] for c, d in doses_um.items() if c)
    if sum(1 for c, d in doses_um.items() if c and d > 0) == 2:
        x *= SYNERGY
    return 1.0 / (1.0 + x)


def make_viability() -> None:
    """Write viability_ctg.csv (plate, well, luminescence) and viability_map.csv."""
    rng = np.random.default_rng(4242)
    reads, pmap = [], []
    for well, ca, da, cb, db, role in WELLS:
        v = 1.0
        for c, d in ((ca, da), (cb, db)):
            if c and d > 0:
                v *= 1.0 / (1.0 + (d * 1e-6 / CTG_IC50[c]) ** CTG_HILL)
        rlu = CTG_BLANK_RLU + (CTG_VEHICLE_RLU - CTG_BLANK_RLU) * v
        reads.append(
            {"plate": "SPH1", "well": well, "luminescence": round(rlu * rng.lognormal(0, CTG_CV))}
        )
        comp = f"{ca}+{cb}" if cb else ca
        pmap.append(
            {
                "well": well,
                "role": "vehicle" if role == "vehicle" else "sample",
                "compound": comp,
                "concentration": (da + db) if comp else "",
                "unit": "uM" if comp else "",
            }
        )
    for well in BLANK_WELLS:
        reads.append(
            {
                "plate": "SPH1",
                "well": well,
                "luminescence": round(CTG_BLANK_RLU * rng.lognormal(0, CTG_CV)),
            }
        )
        pmap.append(
            {"well": well, "role": "blank", "compound": "", "concentration": "", "unit": ""}
        )
    pd.DataFrame(reads).to_csv(HERE / "viability_ctg.csv", index=False)
    pd.DataFrame(pmap).to_csv(HERE / "viability_map.csv", index=False)


def main() -> None:
    make_viability()
    out = HERE / "images"
    out.mkdir(exist_ok=True)
    rows = []
    for k, (well, ca, da, cb, db, role) in enumerate(WELLS):
        frac = _fraction_invading({ca: da, cb: db} if cb else {ca: da})
        for day in (0, 2, 4):
            seed = 1000 + 10 * k + day
            halo = None if day == 0 else CORE_UM + GROWTH_UM_PER_DAY * day * frac + 20.0
            kw = {}
            if well == "D02" and day == 4:
                kw["debris"] = 3  # a QC example: debris in the field
            if well == "C02" and day == 2:
                kw["focus_plane"] = 0  # a QC example: focus at the stack edge
            s = synthetic_spheroid_stack(
                size=SIZE,
                spacing_um=SPACING_UM,
                core_radius_um=CORE_UM + 4.0 * day,
                halo_radius_um=halo,
                n_strands=0 if halo is None else int(2 + 6 * frac),
                strand_length_um=60.0 * frac + 20.0,
                n_planes=3,
                defocus_per_plane=1.2,
                noise=0.015,
                rng=seed,
                **kw,
            )
            img = np.clip(s.stack.astype(float) / 2200.0 * 230.0, 0, 255).astype(np.uint8)
            name = f"{well}_day{day}.ome.tif"
            tifffile.imwrite(
                out / name,
                img,
                ome=True,
                compression="zlib",
                photometric="minisblack",
                metadata={
                    "axes": "ZYX",
                    "PhysicalSizeX": SPACING_UM,
                    "PhysicalSizeY": SPACING_UM,
                    "PhysicalSizeZ": 10.0,
                },
            )
            rows.append(
                {
                    "file": name,
                    "well": well,
                    "day": day,
                    "compound": ca,
                    "concentration": da,
                    "unit": "uM",
                    "compound_b": cb,
                    "concentration_b": db,
                    "role": role,
                    "true_total_area_um2": round(s.total_area_um2, 1),
                    "true_core_area_um2": round(s.core_area_um2, 1),
                }
            )
    pd.DataFrame(rows).to_csv(HERE / "layout.csv", index=False)


if __name__ == "__main__":
    main()
