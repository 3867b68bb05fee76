"""``rk spheroid``: spheroid images → measurements, invasion index, dose-response, QC figures."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import typer

from repurposekit.cli._common import console, ensure_out_dir, err_console, progress, write_table

app = typer.Typer(
    no_args_is_help=True, help="3D spheroid invasion images to invasion dose-response."
)


def _expand(images: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in images:
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix.lower() in (".tif", ".tiff", ".png"))
        else:
            out.append(p)
    return out


def fit_invasion_curves(invasion, out: Path) -> str:
    """Feed the per-well invasion table to ``repurposekit.curves`` when it exists.

    Returns a one-line status. The hook is kept separate so the curves engine can be wired
    without touching the image pipeline.
    """
    try:
        from repurposekit.curves import fit_dose_response  # type: ignore[attr-defined]
    except ImportError:
        return (
            "dose-response not fitted: repurposekit.curves.fit_dose_response is not available yet"
        )
    import warnings

    try:
        data = invasion.for_curves()
    except Exception as exc:
        return f"dose-response not fitted: {exc}"
    if data.empty or not (data["dose_molar"] > 0).any():
        return "dose-response not fitted: no treated wells with doses"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # invasion relative to vehicle is a fraction with a natural floor of 0 (no invasion)
            fits = fit_dose_response(
                data,
                dose="dose_molar",
                response="invasion_rel_vehicle",
                by="compound",
                model="LL.3",
                scale="fraction",
            )
    except Exception as exc:  # the fit engine's own errors are reported, not fatal here
        return f"dose-response fit failed: {type(exc).__name__}: {exc}"
    for w in caught:  # shown, not silenced
        err_console.print(f"[yellow]warning (curves):[/] {w.message}", highlight=False)
    write_table(fits.to_frame(), out / "invasion_fits.csv")
    return "dose-response fits written to invasion_fits.csv"


def combination_indices(invasion, out: Path, *, figures: bool) -> str:
    """Chou–Talalay CI of invasion for two-drug wells → invasion_ci.csv (one-line status)."""
    t = invasion.table
    need = {"drug_a", "drug_b", "dose_a_molar", "dose_b_molar"}
    if not need <= set(t.columns):
        return "no combination index: the plate map has no compound_b/concentration_b"
    both = (t["drug_a"].fillna("").astype(str) != "") & (t["drug_b"].fillna("").astype(str) != "")
    if not both.any():
        return "no combination index: no wells with two drugs"
    from repurposekit._exceptions import DataValidationError
    from repurposekit.imaging import invasion_combination_index

    try:
        syn = invasion_combination_index(invasion)
    except DataValidationError as exc:
        return f"no combination index: {exc}"
    write_table(syn.to_frame(), out / "invasion_ci.csv")
    if figures and len(syn.wells):
        from repurposekit.cli._common import save_figure
        from repurposekit.plot.spheroid import invasion_fa_ci

        save_figure(invasion_fa_ci(syn).figure, out / "invasion_fa_ci.png")
    lines = [f"Chou–Talalay CI of invasion → invasion_ci.csv ({len(syn.wells)} combination wells)"]
    for _, r in syn.indices.iterrows():
        lines.append(f"  {r['mixture']} Fa={r['fa']:.2f}: CI={r['ci']:.2f} ({r['call']})")
    return "\n".join(lines)


@app.command("measure")
def measure(
    images: list[Path] = typer.Argument(..., help="Image files or folders (TIFF, OME-TIFF, PNG)."),
    layout: Path = typer.Option(
        None,
        "--layout",
        help="CSV: file, well, day [, timepoint, compound, concentration, unit, compound_b, concentration_b, role].",
    ),
    plate_map: Path = typer.Option(
        None, "--plate-map", help="CSV keyed by well: compound, concentration, unit, role …"
    ),
    pattern: str = typer.Option(
        None,
        "--pattern",
        help="Regex with (?P<well>…) and (?P<day>…) groups, used without --layout.",
    ),
    out: Path = typer.Option(Path("rk-spheroid"), "--out", "-o", help="Output folder."),
    modality: str = typer.Option(
        "brightfield", "--modality", help="brightfield (incl. phase) or fluorescence."
    ),
    plane: str = typer.Option(
        "sharpest",
        "--plane",
        help="sharpest, or projection (min for brightfield, max for fluorescence).",
    ),
    spacing_um: float = typer.Option(
        None, "--spacing-um", help="Pixel size µm/px (overrides metadata)."
    ),
    pixels: bool = typer.Option(
        False, "--pixels", help="Allow uncalibrated images (areas in px only)."
    ),
    day_from: float = typer.Option(0.0, "--day-from", help="Reference day of the invasion index."),
    day_to: float = typer.Option(None, "--day-to", help="Final day (default: last day per well)."),
    viability: Path = typer.Option(
        None,
        "--viability",
        help="CellTiter-Glo 3D endpoint: per-well CSV (well, viability_pct) or, with "
        "--viability-map, a raw plate-reader export. Joined into invasion.csv.",
    ),
    viability_map: Path = typer.Option(
        None,
        "--viability-map",
        help="Plate map of the --viability plate (well, role, …): normalised by the plates module.",
    ),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0: all cores)."),
    no_figures: bool = typer.Option(False, "--no-figures", help="Skip the QC overlays."),
) -> None:
    """Measure every spheroid image, compute invasion per well, write tables and QC figures.

    Writes DIR/spheroids.csv (one row per image), DIR/invasion.csv (per well, vehicle-
    normalised; with --viability also viability_pct), DIR/invasion_fits.csv (dose-response),
    DIR/invasion_ci.csv (Chou–Talalay CI when wells hold two drugs), DIR/errors.csv when some
    files failed, DIR/qc/<file>.png overlays and DIR/qc/contact_sheet.png.

    Example: rk spheroid measure plate1/*.tif --layout plate1/layout.csv --viability ctg.csv --out results
    """
    import matplotlib

    matplotlib.use("Agg")
    from repurposekit.cli._common import save_figure
    from repurposekit.imaging import invasion_index, join_viability, measure_batch
    from repurposekit.io.images import map_images, read_image, read_viability
    from repurposekit.plot.spheroid import (
        contact_sheet_panel,
        invasion_dose,
        invasion_viability,
        overlay,
    )

    if viability_map is not None and viability is None:
        from repurposekit._exceptions import DataValidationError

        msg = "--viability-map needs --viability (the plate-reader export it maps)."
        raise DataValidationError(msg)
    # read the viability file before the (long) image batch, so a bad file fails fast
    viab = read_viability(viability, plate_map=viability_map) if viability is not None else None
    files = _expand(images)
    items = map_images(files, layout=layout, pattern=pattern, plate_map=plate_map)
    out = ensure_out_dir(out)
    loader = functools.partial(read_image, spacing_um=spacing_um)
    n_jobs = jobs or (os.cpu_count() or 1)
    with progress() as bar:
        task = bar.add_task("segmenting", total=len(items))
        batch = measure_batch(
            items,
            loader=loader,
            modality=modality,
            plane=plane,
            require_spacing=not pixels,
            day0=day_from,
            n_jobs=n_jobs,
            on_progress=lambda n: bar.update(task, completed=n),
        )
    table = batch.table
    write_table(table, out / "spheroids.csv")
    errors = batch.errors
    if len(errors):
        write_table(errors[["path", "well", "day", "error"]], out / "errors.csv")
        for _, r in errors.iterrows():
            err_console.print(f"[yellow]skipped[/] {r['error']}", highlight=False, soft_wrap=True)
    area = "total_area_um2" if table["total_area_um2"].notna().any() else "total_area_px"
    ok = table[~table["error"].astype(bool)]
    inv = None
    if len(ok) and ok["day"].nunique() > 1:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            inv = invasion_index(ok, day_from=day_from, day_to=day_to, area=area)
        for w in caught:
            err_console.print(f"[yellow]warning:[/] {w.message}", highlight=False)
        if viab is not None:
            inv = join_viability(inv, viab)
            n_miss = int(inv.table["viability_pct"].isna().sum())
            if n_miss:
                err_console.print(
                    f"[yellow]warning:[/] {n_miss} well(s) have no viability read in {viability}",
                    highlight=False,
                )
        write_table(inv.to_frame(), out / "invasion.csv")
        status = fit_invasion_curves(inv, out)
        console.print(status, highlight=False)
        console.print(combination_indices(inv, out, figures=not no_figures), highlight=False)
        if not no_figures and "dose_molar" in inv.table.columns:
            save_figure(invasion_dose(inv).figure, out / "invasion_dose.png")
            if viab is not None:
                save_figure(invasion_viability(inv).figure, out / "invasion_viability.png")
    elif viab is not None:
        err_console.print(
            "[yellow]warning:[/] --viability not joined: the invasion index needs images of "
            "at least two days.",
            highlight=False,
        )
    if not no_figures:
        qc = ensure_out_dir(out / "qc")
        for idx, a in batch.analyses.items():
            name = Path(str(table.at[idx, "path"])).name.split(".")[0]
            tp = int(table.at[idx, "timepoint"]) if "timepoint" in table.columns else 0
            ax = overlay(a, title=f"{table.at[idx, 'well']} day {table.at[idx, 'day']:g}")
            save_figure(ax.figure, qc / (f"{name}_t{tp}" if tp else name))
        save_figure(contact_sheet_panel(batch), qc / "contact_sheet.png")
    flagged = table[table["flags"].astype(str) != ""]
    console.print(
        f"[bold green]{len(table)} images[/] ({len(errors)} failed, {len(flagged)} flagged) → {out}",
        highlight=False,
    )
