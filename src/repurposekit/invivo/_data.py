"""Tumour-growth data: validation, caliper volumes, relative volume, flags, body weight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit._validate import check_nonnegative, coerce_numeric, require_columns, where

__all__ = [
    "VOLUME_FORMULAS",
    "BodyWeightChange",
    "GrowthData",
    "body_weight_change",
    "caliper_volume",
    "prepare_growth_data",
]

#: caliper volume formulas: name -> (description, function of length and width in mm)
VOLUME_FORMULAS: dict[str, tuple[str, Any]] = {
    "lw2_half": ("V = L·W²/2 (modified ellipsoid; default)", lambda L, W: L * W**2 / 2.0),
    "lw2_pi6": ("V = π/6·L·W² (prolate ellipsoid)", lambda L, W: np.pi / 6.0 * L * W**2),
    "lw_pow1.5_pi6": (
        "V = π/6·(L·W)^1.5 (sphere of the geometric-mean diameter)",
        lambda L, W: np.pi / 6.0 * (L * W) ** 1.5,
    ),
}


def caliper_volume(
    length_mm: np.ndarray | pd.Series | float,
    width_mm: np.ndarray | pd.Series | float,
    *,
    formula: str = "lw2_half",
) -> np.ndarray:
    """Tumour volume (mm³) from caliper length and width (mm).

    Parameters
    ----------
    length_mm, width_mm : array_like of float, mm
        Longest diameter and the perpendicular (shorter) one.
    formula : {"lw2_half", "lw2_pi6", "lw_pow1.5_pi6"}
        ``lw2_half`` is :math:`V = L W^2 / 2` (Tomayko & Reynolds 1989), the default.

    Returns
    -------
    numpy.ndarray of float, mm³

    Examples
    --------
    >>> float(caliper_volume(10.0, 8.0))
    320.0
    """
    if formula not in VOLUME_FORMULAS:
        msg = f"unknown volume formula {formula!r}; choose one of {sorted(VOLUME_FORMULAS)}."
        raise DataValidationError(msg)
    L = np.asarray(length_mm, dtype=float)
    W = np.asarray(width_mm, dtype=float)
    return np.asarray(VOLUME_FORMULAS[formula][1](L, W), dtype=float)


@dataclass(frozen=True, eq=False)
class GrowthData:
    """A validated tumour-growth study in long form.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per animal and measurement day: ``subject, group, day, volume_mm3`` plus
        ``baseline_mm3, delta_volume_mm3, rtv, log_rtv, after_endpoint`` and, when given,
        ``length_mm, width_mm, body_weight_g``. Sorted by group order, subject, day.
    animals : pandas.DataFrame
        One row per animal: ``subject, group, n_measurements, first_day, last_day,
        baseline_mm3, endpoint_day`` (first day with volume ≥ ``endpoint_mm3``; NaN if never),
        ``removed`` (followed less long than its group's last day).
    flags : pandas.DataFrame
        ``subject, group, day, flag, message`` (missing baseline, volume jumps that look like
        typos, width > length, measurements after the endpoint …). Flagged rows are kept.
    groups : tuple of str
        Group order (first = control unless stated otherwise).
    endpoint_mm3 : float
        Humane-endpoint volume.
    baseline_day : float
        Day of the baseline measurement used for relative volumes.
    settings : Mapping
        Provenance.
    weights : pandas.DataFrame
        ``subject, group, day, body_weight_g`` for every weighing (also on days without
        calipers); empty when the input had no body weights.
    """

    data: pd.DataFrame
    animals: pd.DataFrame
    flags: pd.DataFrame
    groups: tuple[str, ...]
    endpoint_mm3: float
    baseline_day: float
    settings: Mapping[str, Any]
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def control(self) -> str:
        """The first group (the reference arm unless a function is told otherwise)."""
        return self.groups[0]

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy long table."""
        return self.data.copy()

    def summary(self) -> str:
        """One line per group: animals, days, flags."""
        lines = [
            f"GrowthData: {self.animals.shape[0]} animals, {len(self.groups)} groups, "
            f"days {self.data['day'].min():g}–{self.data['day'].max():g}, "
            f"endpoint {self.endpoint_mm3:g} mm³, {len(self.flags)} flag(s)"
        ]
        for g in self.groups:
            a = self.animals[self.animals["group"] == g]
            lines.append(
                f"  {g}: n={len(a)}, reached endpoint {int(a['endpoint_day'].notna().sum())}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax=None, **kwargs):
        """Spaghetti plot of every animal (:func:`repurposekit.plot.invivo.spaghetti`)."""
        from repurposekit.plot.invivo import spaghetti

        return spaghetti(self, ax=ax, **kwargs)


_JUMP_FLOOR_MM3 = 50.0  # below this, caliper volumes are too noisy for ratio checks


def _jumps(v: np.ndarray, d: np.ndarray, fold: float) -> list[tuple[int, str]]:
    """Measurements that look like typos: a one-off spike or dip against both neighbours
    by more than ``fold``, or any step by more than ``fold**2`` (e.g. a shifted decimal point).
    Steps where either volume is below 50 mm³ are not checked."""
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(1, len(v)):
            if min(v[j], v[j - 1]) < _JUMP_FLOOR_MM3:
                continue
            up = v[j] / v[j - 1]
            if j + 1 < len(v):
                back = v[j + 1] / v[j]
                spike = (up > fold and back < 1 / fold) or (up < 1 / fold and back > fold)
                if spike and v[j + 1] >= _JUMP_FLOOR_MM3:
                    out.append((j, f"is {up:.3g}× the previous and {1 / back:.3g}× the next value"))
                    continue
            if up > fold**2 or up < 1 / fold**2:
                out.append((j, f"is {up:.3g}× the value on day {d[j - 1]:g}"))
    return out


def _flag(rows: list, subject, group, day, flag: str, message: str) -> None:
    rows.append({"subject": subject, "group": group, "day": day, "flag": flag, "message": message})


def prepare_growth_data(
    data: pd.DataFrame,
    *,
    subject: str = "subject",
    group: str = "group",
    day: str = "day",
    volume: str = "volume_mm3",
    volume_formula: str = "lw2_half",
    groups: Sequence[str] | None = None,
    baseline_day: float | None = None,
    endpoint_mm3: float = 1500.0,
    jump_fold: float = 3.0,
    source: str | Path | None = None,
) -> GrowthData:
    """Validate a long tumour-growth table and derive relative volumes and flags.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table ``subject, group, day`` and either ``volume_mm3`` or ``length_mm`` and
        ``width_mm`` (caliper diameters, mm); optional ``body_weight_g``. Not modified.
    subject, group, day, volume : str
        Column names.
    volume_formula : str
        Used when volumes are computed from calipers; see :data:`VOLUME_FORMULAS`.
    groups : sequence of str, optional
        Group order (first = control). Default: order of first appearance.
    baseline_day : float, optional
        Day of the baseline (day of randomisation / first dose). Default: the first day of
        the study (minimum day over all animals).
    endpoint_mm3 : float, mm³
        Humane endpoint (default 1,500 mm³). Animals are not dropped when they pass it; the
        day they first reach it is recorded in ``animals.endpoint_day`` and any later row is
        marked ``after_endpoint`` and flagged.
    jump_fold : float
        A measurement more than ``jump_fold`` times above (or below) both of its neighbours
        (a one-off spike or dip), or a step by more than ``jump_fold²`` between consecutive
        measurements, is flagged ``volume_jump`` as a likely typo (for example a misplaced
        decimal point). The row is kept.
    source : str or Path, optional
        File name used in error messages.

    Returns
    -------
    GrowthData

    Raises
    ------
    DataValidationError
        Missing columns, non-numeric or negative values, an animal listed in two groups,
        two measurements of one animal on the same day.

    Notes
    -----
    ``delta_volume_mm3 = V_t - V_0``, ``rtv = V_t / V_0``, ``log_rtv = log(V_t / V_0)``, with
    :math:`V_0` the animal's volume at ``baseline_day``. An animal without a baseline
    measurement gets NaN there and a ``missing_baseline`` flag.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"subject": [1, 1, 2, 2], "group": ["V", "V", "T", "T"],
    ...                    "day": [0, 7, 0, 7], "volume_mm3": [100.0, 400.0, 120.0, 180.0]})
    >>> gd = prepare_growth_data(df)
    >>> gd.data["rtv"].round(2).tolist()
    [1.0, 4.0, 1.0, 1.5]
    """
    src = source
    require_columns(data, [subject, group, day], source=src)
    has_volume = volume in data.columns
    has_caliper = {"length_mm", "width_mm"} <= set(data.columns)
    if not has_volume and not has_caliper:
        msg = (
            f"{where(src)}no tumour size columns: give '{volume}' or both 'length_mm' and "
            f"'width_mm'; the table has {list(map(str, data.columns))}."
        )
        raise DataValidationError(msg)
    df = pd.DataFrame(
        {
            "subject": data[subject].astype(str).str.strip(),
            "group": data[group].astype(str).str.strip(),
            "day": coerce_numeric(data, day, source=src),
        },
        index=data.index,
    )
    flags: list[dict] = []
    if has_caliper:
        L = coerce_numeric(data, "length_mm", source=src, allow_missing=True)
        W = coerce_numeric(data, "width_mm", source=src, allow_missing=True)
        check_nonnegative(L, "length_mm", source=src)
        check_nonnegative(W, "width_mm", source=src)
        df["length_mm"] = L
        df["width_mm"] = W
        computed = caliper_volume(np.maximum(L, W), np.minimum(L, W), formula=volume_formula)
        swapped = (W > L).to_numpy()
        for i in np.flatnonzero(swapped):
            r = df.iloc[i]
            _flag(
                flags,
                r["subject"],
                r["group"],
                r["day"],
                "width_gt_length",
                f"width {W.iloc[i]:g} mm > length {L.iloc[i]:g} mm; the larger was used as length.",
            )
    if has_volume:
        V = coerce_numeric(data, volume, source=src, allow_missing=True)
        check_nonnegative(V, volume, source=src)
        if has_caliper:
            V = V.where(V.notna(), pd.Series(computed, index=data.index))
        df["volume_mm3"] = V
    else:
        df["volume_mm3"] = computed
    if "body_weight_g" in data.columns:
        bw = coerce_numeric(data, "body_weight_g", source=src, allow_missing=True)
        check_nonnegative(bw, "body_weight_g", source=src)
        df["body_weight_g"] = bw

    # one group per animal
    per = df.groupby("subject")["group"].unique()
    multi = per[per.map(len) > 1]
    if len(multi):
        s = multi.index[0]
        msg = (
            f"{where(src)}animal {s!r} is listed in more than one group ({', '.join(multi.iloc[0])}); "
            f"every animal belongs to exactly one group. Fix the '{group}' column "
            f"(or give animals of different groups different '{subject}' ids)."
        )
        raise DataValidationError(msg)
    # two tumour measurements of one animal on one day (a weight-only row is fine)
    dup = df.duplicated(["subject", "day"], keep=False) & df["volume_mm3"].notna()
    dup &= dup.groupby([df["subject"], df["day"]]).transform("sum") > 1
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        r = df.iloc[i]
        msg = (
            f"{where(src)}animal {r['subject']!r} has more than one row for day {r['day']:g} "
            f"(file row {data.index[i] + 2 if isinstance(data.index[i], (int, np.integer)) else data.index[i]}). "
            "Keep one measurement per animal and day, or average them first."
        )
        raise DataValidationError(msg)

    order = list(dict.fromkeys(df["group"])) if groups is None else [str(g) for g in groups]
    unknown = sorted(set(df["group"]) - set(order))
    if unknown:
        msg = f"{where(src)}group(s) {unknown} are in the data but not in `groups` {order}."
        raise DataValidationError(msg)
    if "body_weight_g" in df.columns:
        weights = df.loc[df["body_weight_g"].notna(), ["subject", "group", "day", "body_weight_g"]]
        weights = weights.sort_values(["subject", "day"], kind="stable").reset_index(drop=True)
    else:
        weights = pd.DataFrame(columns=["subject", "group", "day", "body_weight_g"])
    df = df[df["volume_mm3"].notna()].copy()
    df["_g"] = df["group"].map({g: i for i, g in enumerate(order)})
    df = df.sort_values(["_g", "subject", "day"], kind="stable").drop(columns="_g")
    df = df.reset_index(drop=True)

    b_day = float(df["day"].min()) if baseline_day is None else float(baseline_day)
    base = df[df["day"] == b_day].set_index("subject")["volume_mm3"]
    df["baseline_mm3"] = df["subject"].map(base)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["delta_volume_mm3"] = df["volume_mm3"] - df["baseline_mm3"]
        df["rtv"] = df["volume_mm3"] / df["baseline_mm3"]
        df["log_rtv"] = np.log(df["rtv"].where(df["rtv"] > 0))

    animals = []
    group_last = df.groupby("group")["day"].max()
    for (g, s), a in df.groupby(["group", "subject"], sort=False):
        v = a["volume_mm3"].to_numpy()
        d = a["day"].to_numpy()
        hit = np.flatnonzero(v >= endpoint_mm3)
        ep = float(d[hit[0]]) if len(hit) else np.nan
        if s not in base.index:
            _flag(
                flags,
                s,
                g,
                b_day,
                "missing_baseline",
                f"no volume on the baseline day {b_day:g}; relative volume and ΔV are NaN for "
                "this animal (add the baseline or pass baseline_day=).",
            )
        for j, why in _jumps(v, d, jump_fold):
            _flag(
                flags,
                s,
                g,
                float(d[j]),
                "volume_jump",
                f"volume {v[j]:g} mm³ on day {d[j]:g} {why}; check for a typo (kept as given).",
            )
        if len(hit) and hit[0] < len(v) - 1:
            _flag(
                flags,
                s,
                g,
                float(d[hit[0] + 1]),
                "after_endpoint",
                f"{len(v) - hit[0] - 1} measurement(s) after the {endpoint_mm3:g} mm³ endpoint "
                f"(reached day {ep:g}); kept, marked after_endpoint.",
            )
        animals.append(
            {
                "subject": s,
                "group": g,
                "n_measurements": len(v),
                "first_day": float(d[0]),
                "last_day": float(d[-1]),
                "baseline_mm3": float(base.get(s, np.nan)),
                "endpoint_day": ep,
                "removed": bool(d[-1] < group_last[g]),
            }
        )
    animals_df = pd.DataFrame(animals)
    ep_map = animals_df.set_index("subject")["endpoint_day"]
    df["after_endpoint"] = df["day"] > df["subject"].map(ep_map).fillna(np.inf)
    flags_df = pd.DataFrame(flags, columns=["subject", "group", "day", "flag", "message"])
    return GrowthData(
        data=df,
        animals=animals_df,
        flags=flags_df,
        groups=tuple(order),
        endpoint_mm3=float(endpoint_mm3),
        baseline_day=b_day,
        weights=weights,
        settings=_settings(
            data,
            volume_formula=volume_formula,
            baseline_day=b_day,
            endpoint_mm3=endpoint_mm3,
            jump_fold=jump_fold,
        ),
    )


@dataclass(frozen=True, eq=False)
class BodyWeightChange:
    """Body-weight change from baseline with toxicity flags.

    ``table``: ``subject, group, day, body_weight_g, pct_change, loss_ge_15, loss_ge_20``;
    ``animals``: per animal the nadir (most negative ``pct_change``), its day and the flags;
    ``groups``: per group and day mean ± SEM of ``pct_change`` and the animals flagged.
    """

    table: pd.DataFrame
    animals: pd.DataFrame
    groups: pd.DataFrame
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Per-animal, per-day table."""
        return self.table.copy()

    def summary(self) -> str:
        """Animals crossing each threshold per group."""
        a = self.animals
        lines = ["Body-weight change (loss thresholds 15 % and 20 % of baseline):"]
        for g, sub in a.groupby("group", sort=False):
            lines.append(
                f"  {g}: ≥15 % loss {int(sub['loss_ge_15'].sum())}/{len(sub)}, "
                f"≥20 % loss {int(sub['loss_ge_20'].sum())}/{len(sub)}"
            )
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Mean ± SEM body-weight change (:func:`repurposekit.plot.invivo.body_weight`)."""
        from repurposekit.plot.invivo import body_weight

        return body_weight(self, ax=ax, **kwargs)


def body_weight_change(
    growth: GrowthData, *, thresholds_pct: Sequence[float] = (15.0, 20.0)
) -> BodyWeightChange:
    """Percent body-weight change from each animal's baseline weight, with loss flags.

    Parameters
    ----------
    growth : GrowthData
        Must carry ``body_weight_g``.
    thresholds_pct : two floats, %
        Loss thresholds flagged (default 15 % and 20 %; a ≥ 20 % loss is a common humane
        endpoint, ≥ 15 % a warning).

    Returns
    -------
    BodyWeightChange

    Notes
    -----
    ``pct_change = 100 (BW_t - BW_0) / BW_0`` with :math:`BW_0` the weight on the baseline
    day (or the animal's first weighing when it was not weighed that day).
    """
    if growth.weights.empty:
        msg = "no body_weight_g column in the growth data; add body weights to compute changes."
        raise DataValidationError(msg)
    lo, hi = (float(t) for t in thresholds_pct)
    order = {g: i for i, g in enumerate(growth.groups)}
    t = growth.weights.copy()
    t = t.sort_values(
        ["group", "subject", "day"], key=lambda c: c.map(order) if c.name == "group" else c
    )
    first = t.groupby("subject")["body_weight_g"].first()
    base = t[t["day"] == growth.baseline_day].set_index("subject")["body_weight_g"]
    b = first.copy()
    b.loc[base.index] = base
    t["pct_change"] = 100.0 * (t["body_weight_g"] / t["subject"].map(b) - 1.0)
    t[f"loss_ge_{lo:g}"] = t["pct_change"] <= -lo
    t[f"loss_ge_{hi:g}"] = t["pct_change"] <= -hi
    t = t.rename(columns={f"loss_ge_{lo:g}": "loss_ge_15", f"loss_ge_{hi:g}": "loss_ge_20"})
    idx = t.groupby("subject", sort=False)["pct_change"].idxmin()
    animals = t.loc[idx, ["subject", "group", "day", "pct_change"]].rename(
        columns={"day": "nadir_day", "pct_change": "nadir_pct_change"}
    )
    animals["loss_ge_15"] = animals["nadir_pct_change"] <= -lo
    animals["loss_ge_20"] = animals["nadir_pct_change"] <= -hi
    gs = (
        t.groupby(["group", "day"], sort=False)
        .agg(
            n=("pct_change", "size"),
            mean_pct_change=("pct_change", "mean"),
            sd=("pct_change", "std"),
            n_loss_ge_15=("loss_ge_15", "sum"),
            n_loss_ge_20=("loss_ge_20", "sum"),
        )
        .reset_index()
    )
    gs["sem"] = gs["sd"] / np.sqrt(gs["n"])
    return BodyWeightChange(
        table=t.reset_index(drop=True),
        animals=animals.reset_index(drop=True),
        groups=gs,
        settings=_settings(thresholds_pct=(lo, hi)),
    )
