"""Join readings with a plate map, and CellTiter-Glo-style normalisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError, StatisticalWarning, warn
from repurposekit._provenance import settings as _settings
from repurposekit._validate import require_columns, where
from repurposekit.plates._qc import plate_qc


def _plot_function(name: str):
    """The figure builder ``name`` from ``repurposekit.plot.plates``, imported only when a plot is
    asked for (analysis modules never import the plot layer at module level)."""
    from repurposekit.plot import plates as plot_module

    return getattr(plot_module, name)


__all__ = ["PlateResult", "annotate_plates", "curve_table", "normalize_plates"]

_MAP_COLS = ["role", "sample", "compound", "dose_molar", "dose_unit", "replicate", "solvent"]


def annotate_plates(
    readings: pd.DataFrame,
    plate_map: pd.DataFrame,
    *,
    source: str | Path | None = None,
    map_source: str | Path | None = None,
) -> pd.DataFrame:
    """Attach the plate map to the readings (``io.plates.read_plate`` + ``read_plate_map``).

    A map without a ``plate`` column applies to every plate. Every mapped well must have a
    reading on its plate (else the map does not match the plate: error naming the well);
    readings without a map entry get role ``"empty"`` and are not analysed.

    Returns
    -------
    pandas.DataFrame
        The readings with ``role, sample, compound, dose_molar, dose_unit, replicate, solvent``.
    """
    require_columns(readings, ["plate", "well", "row", "column", "value"], source=source)
    require_columns(plate_map, ["well", "role"], source=map_source)
    pmap = plate_map.copy()
    for c in _MAP_COLS:
        if c not in pmap.columns:
            pmap[c] = 0.0 if c == "dose_molar" else ""
    plates = list(dict.fromkeys(readings["plate"]))
    if "plate" not in pmap.columns or (pmap["plate"] == "").all():
        pmap = pd.concat(
            [pmap.drop(columns="plate", errors="ignore").assign(plate=p) for p in plates]
        )
    else:
        unknown = sorted(set(pmap["plate"]) - set(plates))
        if unknown:
            msg = (
                f"{where(map_source)}plate map names plate(s) {unknown} that are not in "
                f"{source or 'the readings'} (plates there: {plates})."
            )
            raise DataValidationError(msg)
        unmapped = [p for p in plates if p not in set(pmap["plate"])]
        if unmapped:
            msg = f"{where(map_source)}plate map has no wells for plate(s) {unmapped}."
            raise DataValidationError(msg)
    merged = pmap.merge(readings, on=["plate", "well"], how="left", indicator=True)
    missing = merged[(merged["_merge"] == "left_only") & (merged["role"] != "empty")]
    if not missing.empty:
        first = missing.iloc[0]
        fmt = readings.loc[readings["plate"] == first["plate"], "n_wells"]
        size = f"{int(fmt.iloc[0])}-well " if len(fmt) and "n_wells" in readings else ""
        msg = (
            f"{where(map_source)}plate map does not match {source or 'the plate'}: well "
            f"{first['well']} ({first['role']}) is not on the {size}plate {first['plate']!r} "
            f"({len(missing)} mapped well(s) missing). Use the map made for this plate format."
        )
        raise DataValidationError(msg)
    out = readings.merge(pmap[["plate", "well", *_MAP_COLS]], on=["plate", "well"], how="left")
    out["role"] = out["role"].fillna("empty")
    for c in ("sample", "compound", "dose_unit", "replicate", "solvent"):
        out[c] = out[c].fillna("")
    out["dose_molar"] = out["dose_molar"].fillna(0.0).astype(float)
    no_value = out[(out["role"] != "empty") & out["value"].isna()]
    if not no_value.empty:
        warn(
            f"{len(no_value)} mapped well(s) have no reading (first: {no_value['plate'].iloc[0]} "
            f"{no_value['well'].iloc[0]}); they are left out.",
            StatisticalWarning,
        )
    return out


@dataclass(frozen=True, eq=False)
class PlateResult:
    """Normalised wells and plate QC.

    Attributes
    ----------
    wells : pandas.DataFrame
        One row per analysed well: ``plate, well, row, column, role, sample, compound,
        dose_molar, replicate, value, value_blanked, viability_percent,
        inhibition_percent, qc_passed``.
    qc : pandas.DataFrame
        One row per plate (see :func:`repurposekit.plates.plate_qc`).
    """

    wells: pd.DataFrame
    qc: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failed_plates(self) -> list[str]:
        """Plates that failed QC (kept in ``wells``, flagged by ``qc_passed``)."""
        return self.qc.loc[~self.qc["passed"], "plate"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """The normalised well table."""
        return self.wells.copy()

    def summary(self) -> str:
        """One line per plate with its QC verdict."""
        lines = [f"{len(self.qc)} plate(s), {len(self.failed_plates)} failed QC"]
        for _, r in self.qc.iterrows():
            verdict = "pass" if r["passed"] else f"FAIL ({r['qc_flags']})"
            lines.append(
                f"  {r['plate']}: Z′ {r['z_prime']:.2f}, CV(vehicle) "
                f"{r['cv_vehicle_percent']:.1f} %, SW {r['signal_window']:.1f}, "
                f"edge {r['edge_effect']:+.0%}: {verdict}"
            )
        return "\n".join(lines)

    def plot(self, ax: Any = None, *, plate: str | None = None, **kwargs: Any) -> Any:
        """Heatmap of one plate (see :func:`repurposekit.plot.plate_heatmap`)."""
        plate_heatmap = _plot_function("plate_heatmap")
        return plate_heatmap(self, ax=ax, plate=plate, **kwargs)


def normalize_plates(
    data: pd.DataFrame,
    *,
    positive_control: bool = False,
    solvent_matched: bool = True,
    qc_thresholds: dict | None = None,
) -> PlateResult:
    """CellTiter-Glo normalisation: blank subtraction, % of vehicle, optional positive-control scaling.

    Parameters
    ----------
    data : pandas.DataFrame
        Annotated readings (:func:`annotate_plates`): ``plate, well, row, column, value,
        role, sample, compound, dose_molar``; optional ``solvent``. Not modified.
    positive_control : bool
        Scale so that the positive-control mean is 0 % viability (100 % inhibition) instead
        of the blank.
    solvent_matched : bool
        Normalise each well to the vehicle wells of its own solvent (``solvent`` column) when
        the plate has vehicle wells for it; otherwise to all vehicle wells of the plate.
    qc_thresholds : dict, optional
        Overrides of :data:`repurposekit.plates.QC_THRESHOLDS`.

    Returns
    -------
    PlateResult

    Notes
    -----
    Per plate: ``value_blanked = value − mean(blank)`` (0 when there are no blank wells),
    ``viability_percent = 100 · value_blanked / mean(vehicle_blanked)``; with
    ``positive_control=True``:
    ``viability_percent = 100 · (value − mean(pos)) / (mean(vehicle) − mean(pos))``.
    ``inhibition_percent = 100 − viability_percent``. Plates that fail QC are kept and
    flagged (``qc_passed``), never dropped.
    """
    require_columns(data, ["plate", "well", "row", "column", "value", "role", "dose_molar"])
    df = data[data["role"].isin(["blank", "vehicle", "positive", "sample"])].copy()
    df = df[df["value"].notna()]
    if "solvent" not in df.columns:
        df["solvent"] = ""
    out = []
    for plate, grp in df.groupby("plate", sort=False):
        g = grp.copy()
        blank = g.loc[g["role"] == "blank", "value"]
        blank_mean = float(blank.mean()) if len(blank) else 0.0
        g["value_blanked"] = g["value"] - blank_mean
        veh = g[g["role"] == "vehicle"]
        if veh.empty:
            msg = f"plate {plate!r} has no vehicle wells: % of vehicle cannot be computed. Mark the solvent-only wells role=vehicle in the plate map."
            raise DataValidationError(msg)
        pos = g.loc[g["role"] == "positive", "value"]
        if positive_control and pos.empty:
            msg = f"plate {plate!r}: positive_control=True but the plate map has no positive-control wells."
            raise DataValidationError(msg)
        floor = float(pos.mean()) if positive_control else blank_mean
        all_veh = float(veh["value"].mean())
        ref = pd.Series(all_veh, index=g.index)
        if solvent_matched:
            by_solvent = veh.groupby("solvent")["value"].mean()
            matched = g["solvent"].map(by_solvent)
            ref = matched.where(matched.notna(), all_veh)
        with np.errstate(divide="ignore", invalid="ignore"):
            g["vehicle_reference"] = ref
            g["viability_percent"] = 100.0 * (g["value"] - floor) / (ref - floor)
        g["inhibition_percent"] = 100.0 - g["viability_percent"]
        g["blank_mean"] = blank_mean
        out.append(g)
    wells = pd.concat(out, ignore_index=True)
    qc = plate_qc(wells, thresholds=qc_thresholds)
    wells["qc_passed"] = wells["plate"].map(dict(zip(qc["plate"], qc["passed"], strict=True)))
    return PlateResult(
        wells=wells,
        qc=qc,
        settings=_settings(
            data, positive_control=positive_control, solvent_matched=solvent_matched
        ),
    )


def curve_table(
    result: PlateResult,
    *,
    response: str = "viability_percent",
    by: tuple[str, ...] = ("sample", "compound"),
    include_vehicle: bool = True,
    passed_only: bool = False,
) -> pd.DataFrame:
    """Sample wells ready for :func:`repurposekit.curves.fit_dose_response`.

    Vehicle wells are added to every ``by`` group of their plate (and solvent) as zero-dose
    points, which anchors the top of each curve, as drc does with dose 0.

    Returns
    -------
    pandas.DataFrame
        ``plate, well, <by>, dose_molar, <response>, qc_passed``.
    """
    wells = result.wells
    if passed_only:
        wells = wells[wells["qc_passed"]]
    samples = wells[wells["role"] == "sample"]
    parts = [samples]
    if include_vehicle:
        veh = wells[wells["role"] == "vehicle"]
        groups = samples[["plate", "solvent", *by]].drop_duplicates()
        parts.append(groups.merge(veh.drop(columns=list(by)), on=["plate", "solvent"], how="inner"))
    out = pd.concat(parts, ignore_index=True)
    cols = ["plate", "well", *by, "dose_molar", response, "qc_passed"]
    return out[cols].sort_values([*by, "dose_molar", "plate", "well"]).reset_index(drop=True)
