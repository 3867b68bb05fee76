"""Generate the bundled (SIMULATED) defactinib screen: 4 cell lines × 4 compounds, 384-well.

Run from the repository root to regenerate every file of this folder byte for byte:

    .venv/bin/python src/repurposekit/datasets/screen/generate_screen.py

Nothing here is measured data. The true curves are drc LL.4 with absolute IC50s chosen near
published values (defactinib: endometrioid lines 1.7-3.8 µM, TT 1.98 µM, K1 10.34 µM; see
the knowledge base) so the demo can show how a fit is compared with the literature; the
partner compounds' potencies are illustrative only. CellTiter-Glo luminescence is
simulated with 5 % multiplicative noise; plate ENDO-B gets an evaporation edge effect (outer
ring −30 %) and noisier vehicle wells so that it fails QC on purpose.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20260125
ROWS = [chr(ord("A") + i) for i in range(16)]

# compound -> (top concentration µM, {cell line: (IC50 µM, hill, bottom % viability)})
COMPOUNDS = {
    "defactinib": (
        30.0,
        {
            "ENDO-A": (1.9, 1.3, 12.0),
            "ENDO-B": (3.4, 1.1, 18.0),
            "TT": (2.0, 1.5, 10.0),
            "K1": (10.5, 1.4, 15.0),
        },
    ),
    "avutometinib": (
        1.0,
        {
            "ENDO-A": (0.012, 1.0, 25.0),
            "ENDO-B": (0.030, 0.9, 30.0),
            "TT": (0.050, 1.1, 35.0),
            "K1": (0.020, 1.0, 28.0),
        },
    ),
    "trametinib": (
        1.0,
        {
            "ENDO-A": (0.004, 1.2, 30.0),
            "ENDO-B": (0.010, 1.0, 35.0),
            "TT": (0.008, 1.1, 40.0),
            "K1": (0.003, 1.3, 25.0),
        },
    ),
    "paclitaxel": (
        1.0,
        {
            "ENDO-A": (0.006, 1.8, 20.0),
            "ENDO-B": (0.009, 1.6, 22.0),
            "TT": (0.015, 1.5, 25.0),
            "K1": (0.025, 1.4, 30.0),
        },
    ),
}
CELL_LINES = ["ENDO-A", "ENDO-B", "TT", "K1"]
FORMAT = {"ENDO-A": "grid", "ENDO-B": "grid", "TT": "vendor", "K1": "long"}
N_DOSES = 10
VEHICLE_RLU = 52_000.0
BLANK_RLU = 450.0
POSITIVE_RLU = 1_400.0  # staurosporine 10 µM: residual ATP signal


def layout() -> list[dict]:
    """One record per well of the 384-well map (same layout on every plate)."""
    wells = []
    comps = list(COMPOUNDS)
    for r, row in enumerate(ROWS):
        for col in range(1, 25):
            rec = {
                "row": row,
                "column": col,
                "role": "empty",
                "compound": "",
                "conc": "",
                "unit": "",
                "replicate": "",
            }
            if col in (1, 24):
                first_half = r < 8
                blank = first_half if col == 1 else not first_half
                rec["role"] = "blank" if blank else "positive"
                if not blank:
                    rec.update(compound="staurosporine", conc="10", unit="uM")
            elif col in (2, 23):
                rec["role"] = "vehicle"
            else:
                comp = comps[r // 4]
                top = COMPOUNDS[comp][0]
                k = (col - 3) % N_DOSES  # 0 = top dose
                rec.update(
                    role="sample",
                    compound=comp,
                    conc=f"{top / 3.0**k:.6g}",
                    unit="uM",
                    replicate=str((r % 4) + 1 + 4 * ((col - 3) // N_DOSES)),
                )
            wells.append(rec)
    return wells


def viability(conc_um: float, ic50: float, hill: float, bottom: float) -> float:
    """% viability of drc LL.4 (top 100) whose absolute IC50 is ``ic50``."""
    e = ic50 / ((100.0 - 50.0) / (50.0 - bottom)) ** (1.0 / hill)
    return bottom + (100.0 - bottom) / (1.0 + (conc_um / e) ** hill)


def simulate(rng: np.random.Generator) -> dict[str, np.ndarray]:
    plates = {}
    for line in CELL_LINES:
        grid = np.zeros((16, 24))
        for w in layout():
            r, c = ROWS.index(w["row"]), w["column"] - 1
            if w["role"] == "blank":
                mu = BLANK_RLU
            elif w["role"] == "positive":
                mu = POSITIVE_RLU
            elif w["role"] == "vehicle":
                mu = VEHICLE_RLU
            else:
                ic50, hill, bottom = COMPOUNDS[w["compound"]][1][line]
                mu = (
                    BLANK_RLU
                    + (VEHICLE_RLU - BLANK_RLU)
                    * viability(float(w["conc"]), ic50, hill, bottom)
                    / 100
                )
            cv = 0.05
            if line == "ENDO-B" and w["role"] == "vehicle":
                cv = 0.22
            val = mu * rng.lognormal(0.0, cv)
            edge = r in (0, 15) or c in (0, 23)
            if line == "ENDO-B" and edge and w["role"] != "blank":
                val *= 0.70
            grid[r, c] = round(val)
        plates[line] = grid
    return plates


def write_grid(path: Path, name: str, grid: np.ndarray) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write("# SIMULATED CellTiter-Glo luminescence (RLU); see PROVENANCE.md\n")
        fh.write(f"Plate: {name}\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["", *range(1, 25)])
        for r, row in enumerate(ROWS):
            w.writerow([row, *(f"{v:.0f}" for v in grid[r])])


def write_vendor(path: Path, name: str, grid: np.ndarray) -> None:
    """European-locale reader export: metadata lines, ';' separators, decimal commas."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write("Application: SIMULATED plate reader export (see PROVENANCE.md)\n")
        fh.write("Date;25.01.2026\n")
        fh.write(f"Plate name;{name}\n")
        fh.write("Measurement;Luminescence;Integration time [ms];500\n")
        fh.write("\n")
        fh.write(";" + ";".join(str(c) for c in range(1, 25)) + "\n")
        for r, row in enumerate(ROWS):
            vals = ";".join(f"{v:.1f}".replace(".", ",") for v in grid[r])
            fh.write(f"{row};{vals}\n")


def write_long(path: Path, name: str, grid: np.ndarray) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["plate", "well", "luminescence"])
        for r, row in enumerate(ROWS):
            for c in range(24):
                w.writerow([name, f"{row}{c + 1}", f"{grid[r, c]:.0f}"])


def main() -> None:
    rng = np.random.default_rng(SEED)
    plates = simulate(rng)
    for line, grid in plates.items():
        path = HERE / f"plate_{line}.csv"
        {"grid": write_grid, "vendor": write_vendor, "long": write_long}[FORMAT[line]](
            path, line, grid
        )
    with (HERE / "plate_map.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "plate",
                "well",
                "role",
                "sample",
                "compound",
                "concentration",
                "unit",
                "replicate",
                "solvent",
            ]
        )
        for line in CELL_LINES:
            for rec in layout():
                solvent = "" if rec["role"] in ("blank", "empty") else "DMSO"
                w.writerow(
                    [
                        line,
                        f"{rec['row']}{rec['column']:02d}",
                        rec["role"],
                        line,
                        rec["compound"],
                        rec["conc"],
                        rec["unit"],
                        rec["replicate"],
                        solvent,
                    ]
                )
    with (HERE / "truth.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["sample", "compound", "ic50_molar", "hill", "bottom_percent"])
        for comp, (_, lines) in COMPOUNDS.items():
            for line in CELL_LINES:
                ic50, hill, bottom = lines[line]
                w.writerow([line, comp, f"{ic50 * 1e-6:.6g}", hill, bottom])


if __name__ == "__main__":
    main()
