"""``rk plates``: plate-reader exports → normalised viability, plate QC, heatmaps, curve fits."""

from __future__ import annotations

from pathlib import Path

import typer

from repurposekit.cli._common import console, ensure_out_dir, parse_list, save_figure, write_table

app = typer.Typer(no_args_is_help=True)


def _read_all(plates: list[Path]):
    import pandas as pd

    from repurposekit._exceptions import DataValidationError
    from repurposekit.io.plates import read_plate

    frames = [read_plate(p) for p in plates]
    seen: dict[str, Path] = {}
    for path, frame in zip(plates, frames, strict=True):
        for name in frame["plate"].unique():
            if name in seen:
                msg = (
                    f"{path}: plate {name!r} is also in {seen[name]}; give each plate its own name."
                )
                raise DataValidationError(msg)
            seen[name] = path
    return pd.concat(frames, ignore_index=True)


@app.command("read")
def read(
    plates: list[Path] = typer.Argument(
        ..., help="Plate-reader exports (grid, ';'-vendor, or long CSV)."
    ),
    out: Path = typer.Option(Path("rk-plates"), "--out", help="Output folder."),
) -> None:
    """Convert plate-reader exports to one long table (plate, well, row, column, value).

    Example: rk plates read plate_ENDO-A.csv plate_TT.csv --out plates
    """
    readings = _read_all(plates)
    out = ensure_out_dir(out)
    write_table(readings, out / "readings.csv")
    console.print(
        f"{readings['plate'].nunique()} plate(s), {len(readings)} wells -> {out / 'readings.csv'}"
    )


@app.command("normalize")
def normalize(
    plates: list[Path] = typer.Argument(
        ..., help="Plate-reader exports (grid, ';'-vendor, or long CSV)."
    ),
    plate_map: Path = typer.Option(
        ..., "--map", help="Plate map CSV (well, role, sample, compound, concentration, unit …)."
    ),
    out: Path = typer.Option(Path("rk-plates"), "--out", help="Output folder."),
    positive_control: bool = typer.Option(
        False, "--positive-control", help="Scale so the positive control is 0 % viability."
    ),
    no_solvent_match: bool = typer.Option(
        False, "--no-solvent-match", help="Use all vehicle wells, whatever their solvent."
    ),
    fit: bool = typer.Option(
        False, "--fit", help="Also fit dose-response curves (LL.4) per --by group."
    ),
    by: str = typer.Option("sample,compound", "--by", help="Curve groups for --fit."),
    compound: str = typer.Option(
        None, "--compound", help="With --fit: compare this compound's IC50s with published values."
    ),
) -> None:
    """Normalise CellTiter-Glo plates to % of vehicle, run plate QC and draw heatmaps.

    Writes OUT/wells.csv (one row per analysed well: raw value, blank-subtracted value,
    viability_percent, inhibition_percent, qc_passed), OUT/qc.csv (one row per plate: Z′,
    CV of controls, signal window, edge effect, passed, qc_flags), OUT/curve_input.csv (sample
    and vehicle wells ready for `rk curves fit`), OUT/heatmap_<plate>.png and, with --fit,
    OUT/fits.csv and OUT/curves.png. Plates that fail QC are flagged, never dropped.

    Example: rk plates normalize plate_ENDO-A.csv plate_TT.csv --map plate_map.csv --fit --out screen
    """
    import matplotlib

    matplotlib.use("Agg")
    from repurposekit.io.plates import read_plate_map
    from repurposekit.plates import annotate_plates, curve_table, normalize_plates
    from repurposekit.plot.plates import plate_heatmap

    readings = _read_all(plates)
    pmap = read_plate_map(plate_map)
    source = plates[0] if len(plates) == 1 else ", ".join(p.name for p in plates)
    annotated = annotate_plates(readings, pmap, source=source, map_source=plate_map)
    res = normalize_plates(
        annotated, positive_control=positive_control, solvent_matched=not no_solvent_match
    )
    out = ensure_out_dir(out)
    write_table(res.wells, out / "wells.csv")
    write_table(res.qc, out / "qc.csv")
    cols = parse_list(by)
    ct = curve_table(res, by=tuple(cols)) if cols else None
    if ct is not None:
        write_table(ct, out / "curve_input.csv")
    for plate in dict.fromkeys(res.wells["plate"]):
        ax = plate_heatmap(res, plate=plate)
        save_figure(ax.figure, out / f"heatmap_{plate}.png")
    for _, q in res.qc.iterrows():
        if q["passed"]:
            console.print(f"  {q['plate']}: Z′ {q['z_prime']:.2f}  [green]QC pass[/]")
        else:
            console.print(
                f"  {q['plate']}: Z′ {q['z_prime']:.2f}  [bold red]FAILED QC[/] ({q['qc_flags']})"
            )
    console.print(f"{len(res.qc)} plate(s) -> {out}")
    if fit and ct is not None:
        from repurposekit.curves import compare_published, fit_dose_response
        from repurposekit.plot.curves import dose_response, dose_response_panel

        fits = fit_dose_response(ct, by=cols, response="viability_percent", scale="percent")
        table = fits.to_frame()
        qc_ok = ct.groupby(cols)["qc_passed"].all().rename("qc_passed").reset_index()
        table = table.merge(qc_ok, on=cols, how="left")
        write_table(table, out / "fits.csv")
        if len(cols) >= 2 and len(fits) > 4:
            fig = dose_response_panel(fits, panel_by=cols[0], unit="uM", max_panels=8)
        else:
            fig = dose_response(list(fits)[:24], unit="uM").figure
        save_figure(fig, out / "curves.png")
        console.print(f"{len(fits)} curve(s) fitted -> {out / 'fits.csv'}")
        if compound:
            comp = compare_published(fits, compound)
            write_table(comp, out / "published_comparison.csv")
