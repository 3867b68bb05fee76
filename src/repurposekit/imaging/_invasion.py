"""Invasion index per well, normalised to vehicle wells, in a tidy table for curves/synergy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError, StatisticalWarning, warn
from repurposekit._provenance import settings as _settings
from repurposekit._validate import coerce_numeric, require_columns

__all__ = ["InvasionResult", "invasion_index", "join_viability"]

# columns carried from the image table to the invasion table when present
_CARRY = (
    "plate",
    "compound",
    "dose_molar",
    "drug_a",
    "dose_a_molar",
    "drug_b",
    "dose_b_molar",
    "role",
)


@dataclass(frozen=True, eq=False)
class InvasionResult:
    """Invasion index per well (see :func:`invasion_index`).

    Attributes
    ----------
    table : DataFrame
        One row per well: ``well``, plate-map columns (``compound``, ``dose_molar``, ``role``
        …), ``day_from``, ``day_to``, ``area_from``, ``area_to``, ``invasion_index``,
        ``invasion_rel_vehicle``, ``invasion_inhibition``, ``flags``.
    vehicle_mean : float
        Mean invasion index of the vehicle wells (NaN when there are none).
    settings : mapping
        Arguments, version, input checksum.
    """

    table: pd.DataFrame
    vehicle_mean: float
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-well table."""
        return self.table.copy()

    def for_curves(self, *, response: str = "invasion_rel_vehicle") -> pd.DataFrame:
        """Tidy input for ``repurposekit.curves.fit_dose_response`` (``by="compound"``).

        Treated wells with a finite response, plus the vehicle wells repeated once per
        compound at ``dose_molar = 0`` (each curve then sees its zero-dose level). Flagged
        wells are kept (their ``flags`` column says why).
        """
        t = self.table
        if "compound" not in t.columns or "dose_molar" not in t.columns:
            msg = "the invasion table has no compound/dose_molar columns: give a plate map."
            raise DataValidationError(msg)
        ok = t[np.isfinite(t[response].astype(float))]
        is_vehicle = ok["role"].astype(str).str.lower() == "vehicle" if "role" in ok else False
        treated = ok[~is_vehicle & (ok["compound"].astype(str) != "")]
        vehicle = ok[is_vehicle]
        parts = [treated]
        for comp in dict.fromkeys(treated["compound"]):
            v = vehicle.copy()
            v["compound"] = comp
            v["dose_molar"] = 0.0
            parts.append(v)
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> str:
        """Mean invasion index per compound and dose."""
        t = self.table
        keys = [c for c in ("compound", "dose_molar") if c in t.columns]
        if not keys:
            return t[["well", "invasion_index"]].to_string(index=False)
        g = t.groupby(keys, dropna=False)["invasion_rel_vehicle"].agg(["mean", "count"])
        head = f"vehicle mean invasion index: {self.vehicle_mean:.3g}\n"
        return head + g.to_string()

    def plot(self, ax=None):
        """Invasion (relative to vehicle) against dose (lazy import of the plotting layer)."""
        from repurposekit.plot.spheroid import invasion_dose

        return invasion_dose(self, ax=ax)


def invasion_index(
    data: pd.DataFrame,
    *,
    day_from: float = 0,
    day_to: float | None = None,
    area: str = "total_area_um2",
    by: str | Sequence[str] = "well",
    role: str = "role",
    vehicle: str = "vehicle",
) -> InvasionResult:
    """Invasion index (A_to − A_from) / A_from per well, and relative to the vehicle wells.

    Parameters
    ----------
    data : DataFrame
        One row per image: ``well`` (or the ``by`` columns), ``day``, the ``area`` column,
        optionally ``flags`` and plate-map columns (``compound``, ``dose_molar``, ``role`` …).
        Not modified.
    day_from, day_to : float
        The day pair (days). ``day_to=None``: the last day present for each well.
    area : str
        Area column (``total_area_um2``; ``total_area_px`` when uncalibrated — the ratio is
        the same).
    by : str or sequence of str
        Columns identifying one spheroid (well, or plate + well).
    role, vehicle : str
        Column naming the well role and the value that marks vehicle controls.

    Returns
    -------
    InvasionResult

    Notes
    -----
    .. math:: II = (A_{d_1} - A_{d_0}) / A_{d_0}, \\qquad
              II_{rel} = II / \\overline{II}_{vehicle}, \\qquad
              \\text{inhibition} = 1 - II_{rel}

    A well missing either day, or with a zero/NaN area, gets NaN and a ``missing_day`` or
    ``no_area`` flag; it stays in the table. Flags of both images are carried.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"well": ["A1", "A1", "B1", "B1"], "day": [0, 4, 0, 4],
    ...                   "total_area_um2": [1.0, 3.0, 1.0, 2.0],
    ...                   "role": ["vehicle", "vehicle", "treated", "treated"]})
    >>> invasion_index(d).to_frame()[["well", "invasion_index", "invasion_rel_vehicle"]]
      well  invasion_index  invasion_rel_vehicle
    0   A1             2.0                   1.0
    1   B1             1.0                   0.5
    """
    keys = [by] if isinstance(by, str) else list(by)
    require_columns(data, [*keys, "day", area])
    df = data.copy()
    df["day"] = coerce_numeric(df, "day")
    df[area] = coerce_numeric(df, area, allow_missing=True)
    if "flags" not in df.columns:
        df["flags"] = ""
    df["flags"] = df["flags"].fillna("").astype(str)
    rows = []
    for key, g in df.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rec: dict[str, Any] = dict(zip(keys, key, strict=False))
        for c in _CARRY:
            if c in g.columns and c not in rec:
                rec[c] = g[c].iloc[0]
        d_to = float(g["day"].max()) if day_to is None else float(day_to)
        a0 = g.loc[np.isclose(g["day"], day_from), area]
        a1 = g.loc[np.isclose(g["day"], d_to), area]
        flags: list[str] = []
        for f in g.loc[np.isclose(g["day"], day_from) | np.isclose(g["day"], d_to), "flags"]:
            flags += [x for x in f.split(";") if x and x not in flags]
        rec["day_from"] = float(day_from)
        rec["day_to"] = d_to
        if a0.empty or a1.empty:
            flags.append("missing_day")
            rec["area_from"] = float(a0.mean()) if not a0.empty else np.nan
            rec["area_to"] = float(a1.mean()) if not a1.empty else np.nan
            ii = np.nan
        else:
            rec["area_from"] = float(a0.mean())
            rec["area_to"] = float(a1.mean())
            ok = np.isfinite(rec["area_from"]) and rec["area_from"] > 0
            ii = (rec["area_to"] - rec["area_from"]) / rec["area_from"] if ok else np.nan
            if not ok:
                flags.append("no_area")
        rec["invasion_index"] = ii
        rec["flags"] = ";".join(flags)
        rows.append(rec)
    table = pd.DataFrame(rows)
    vmean = np.nan
    if role in table.columns:
        is_vehicle = table[role].astype(str).str.lower() == vehicle.lower()
        v = table.loc[is_vehicle, "invasion_index"].dropna()
        if len(v):
            vmean = float(v.mean())
    if not np.isfinite(vmean):
        warn(
            f"no {vehicle!r} wells with an invasion index (column {role!r}); "
            "invasion_rel_vehicle is NaN.",
            StatisticalWarning,
        )
    elif vmean <= 0:
        msg = (
            f"vehicle wells have a mean invasion index of {vmean:.3g} ≤ 0: the spheroids did "
            "not grow or invade, so a relative invasion cannot be computed. Check the day pair."
        )
        raise DataValidationError(msg)
    table["invasion_rel_vehicle"] = table["invasion_index"] / vmean
    table["invasion_inhibition"] = 1.0 - table["invasion_rel_vehicle"]
    return InvasionResult(
        table=table,
        vehicle_mean=vmean,
        settings=_settings(
            data[[c for c in data.columns if c in (*keys, "day", area)]],
            day_from=day_from,
            day_to=day_to,
            area=area,
            by=keys,
            vehicle=vehicle,
        ),
    )


def join_viability(invasion: InvasionResult, viability: pd.DataFrame) -> InvasionResult:
    """Attach endpoint viability (% of vehicle) to the per-well invasion table.

    Parameters
    ----------
    invasion : InvasionResult
        From :func:`invasion_index` (not modified).
    viability : DataFrame
        ``well``, ``viability_pct`` and optionally ``plate`` and ``viability_qc_passed``
        (:func:`repurposekit.io.images.read_viability`). Not modified.

    Returns
    -------
    InvasionResult
        The same result with ``viability_pct`` (NaN for wells without a read) and
        ``viability_qc_passed`` when given; wells are matched on ``plate`` + ``well`` when
        both tables name plates, else on ``well``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"well": ["A01", "A01", "B01", "B01"], "day": [0, 4, 0, 4],
    ...                   "total_area_um2": [1.0, 3.0, 1.0, 2.0],
    ...                   "role": ["vehicle", "vehicle", "treated", "treated"]})
    >>> v = pd.DataFrame({"well": ["A01", "B01"], "viability_pct": [100.0, 92.0]})
    >>> join_viability(invasion_index(d), v).table[["well", "viability_pct"]]
      well  viability_pct
    0  A01          100.0
    1  B01           92.0
    """
    require_columns(viability, ["well", "viability_pct"])
    t = invasion.table
    v = viability.copy()
    keys = ["well"]
    if "plate" in v.columns:
        if "plate" in t.columns and v["plate"].astype(str).isin(t["plate"].astype(str)).any():
            keys = ["plate", "well"]
            v["plate"] = v["plate"].astype(str)
        elif v["plate"].nunique() > 1:
            msg = (
                f"the viability table holds {v['plate'].nunique()} plates "
                f"({sorted(v['plate'].astype(str).unique())}) but the image layout names none "
                "of them: add a matching plate column to the layout, or give one plate's reads."
            )
            raise DataValidationError(msg)
        else:
            v = v.drop(columns="plate")
    cols = [c for c in ("viability_pct", "viability_qc_passed") if c in v.columns]
    base = t.drop(columns=[c for c in cols if c in t.columns])
    if keys == ["plate", "well"]:
        base = base.assign(plate=base["plate"].astype(str))
    table = base.merge(v[[*keys, *cols]], on=keys, how="left", validate="many_to_one")
    return InvasionResult(
        table=table,
        vehicle_mean=invasion.vehicle_mean,
        settings=MappingProxyType(
            dict(
                invasion.settings,
                viability_sha256=_settings(viability[[*keys, *cols]])["input_sha256"],
            )
        ),
    )
