"""Chou–Talalay combination index of invasion inhibition (drug A + drug B on spheroids)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit._validate import require_columns
from repurposekit.synergy import call_ci, chou_talalay, grade_ci, median_effect_fit

__all__ = ["InvasionSynergy", "invasion_combination_index"]

_NEEDED = ("well", "drug_a", "dose_a_molar", "drug_b", "dose_b_molar")


@dataclass(frozen=True, eq=False)
class InvasionSynergy:
    """Chou–Talalay analysis of invasion inhibition (see :func:`invasion_combination_index`).

    Attributes
    ----------
    indices : DataFrame
        CI per mixture (one constant dose ratio) at each Fa level: ``mixture``, ``drug_a``,
        ``drug_b``, ``ratio_a_to_b``, ``fa``, ``dose_a_molar``, ``dose_b_molar`` (the doses of
        the mixture giving that Fa), ``ci``, ``dri_a``, ``dri_b``, ``call``, ``grade``.
    wells : DataFrame
        CI at each combination well: ``well``, the drugs and doses, ``invasion_rel_vehicle``,
        ``fa``, ``ci``, ``dri_a``, ``dri_b``, ``call``, ``grade``, ``flags``.
    parameters : DataFrame
        Median-effect fits (``agent``, ``m``, ``Dm_molar``, ``r``, ``n``, ``flag``) of each
        single drug and mixture.
    chou : mapping
        ``mixture name → ChouTalalayResult`` (for Fa–CI plots).
    settings : mapping
    """

    indices: pd.DataFrame
    wells: pd.DataFrame
    parameters: pd.DataFrame
    chou: Mapping[str, Any]
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One tidy table: Fa-level rows (``kind="fa_level"``) then well rows (``kind="well"``)."""
        a = self.indices.assign(kind="fa_level", well="")
        b = self.wells.assign(kind="well")
        cols = [
            "kind",
            "mixture",
            "well",
            "drug_a",
            "dose_a_molar",
            "drug_b",
            "dose_b_molar",
            "fa",
            "ci",
            "call",
            "grade",
            "dri_a",
            "dri_b",
            "invasion_rel_vehicle",
            "flags",
        ]
        out = pd.concat([a, b], ignore_index=True)
        for c in cols:
            if c not in out.columns:
                out[c] = "" if c in ("flags", "well", "mixture") else np.nan
        out["flags"] = out["flags"].fillna("")
        return out[cols]

    def summary(self) -> str:
        """CI at each Fa level with the protocol's call."""
        lines = [
            "Chou–Talalay CI of invasion (CI < 0.9 synergism, 0.9–1.1 additive, > 1.1 antagonism)"
        ]
        for _, r in self.indices.iterrows():
            lines.append(f"{r['mixture']} Fa={r['fa']:.2f}: CI={r['ci']:.3f} ({r['call']})")
        if not len(self.indices):
            lines.append(
                "no CI at Fa levels (no mixture series with ≥ 2 doses and single-drug fits)"
            )
        return "\n".join(lines)

    def plot(self, ax=None):
        """Fa–CI plot of the first mixture (lazy import of the plotting layer)."""
        from repurposekit.plot.spheroid import invasion_fa_ci

        return invasion_fa_ci(self, ax=ax)


def _ratio_label(r: float) -> str:
    return f"1:{1 / r:.3g}" if r < 1 else f"{r:.3g}:1"


def invasion_combination_index(
    data: Any,
    *,
    fa_levels: Sequence[float] = (0.5, 0.75, 0.9),
    response: str = "invasion_rel_vehicle",
    fa_clip: float = 0.01,
    exclusive: bool = True,
    min_r: float = 0.9,
) -> InvasionSynergy:
    """Chou–Talalay CI of invasion inhibition for two-drug combinations on a spheroid plate.

    Parameters
    ----------
    data : InvasionResult or DataFrame
        Per-well invasion table (:func:`invasion_index`): ``well``, ``drug_a``,
        ``dose_a_molar``, ``drug_b``, ``dose_b_molar`` and the ``response`` column. Wells
        with one drug are the single-agent series; wells with both are combinations. Not
        modified.
    fa_levels : sequence of float
        Fraction-affected levels at which the CI of each mixture is reported.
    response : str
        Invasion relative to vehicle (1 = vehicle invasion, 0 = none).
    fa_clip : float
        ``Fa = 1 − response`` is clipped into ``[fa_clip, 1 − fa_clip]`` (the median-effect
        equation needs 0 < Fa < 1); clipped wells carry the flag ``fa_clipped``.
    exclusive, min_r : see :func:`repurposekit.synergy.chou_talalay`.

    Returns
    -------
    InvasionSynergy

    Notes
    -----
    Median-effect fit of each drug alone, :math:`\\log(F_a/F_u) = m \\log D - m \\log D_m`,
    then for a combination well with doses :math:`d_a, d_b` and effect :math:`F_a`

    .. math:: CI = d_a/(D_x)_a + d_b/(D_x)_b, \\qquad
              (D_x)_i = D_{m,i} \\, (F_a/(1-F_a))^{1/m_i}.

    Combination wells are grouped by dose ratio (3 significant digits); a ratio with ≥ 2
    distinct doses is a constant-ratio mixture, fitted too, and its CI is reported at the
    ``fa_levels`` by :func:`repurposekit.synergy.chou_talalay`. Calls: CI < 0.9 synergism,
    0.9–1.1 additive, > 1.1 antagonism (plus Chou's finer grades).

    References
    ----------
    Chou TC (2006). Pharmacol Rev 58:621. doi:10.1124/pr.58.3.10

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({
    ...     "well": ["A1", "A2", "B1", "B2", "C1", "C2"],
    ...     "drug_a": ["x", "x", "y", "y", "x", "x"],
    ...     "dose_a_molar": [1e-6, 4e-6, 1e-5, 4e-5, 1e-6, 2e-6],
    ...     "drug_b": ["", "", "", "", "y", "y"],
    ...     "dose_b_molar": [0, 0, 0, 0, 1e-5, 2e-5],
    ...     "invasion_rel_vehicle": [0.8, 0.5, 0.8, 0.5, 0.5, 0.3]})
    >>> r = invasion_combination_index(d)
    >>> r.wells[["well", "call"]].to_numpy().tolist()
    [['C1', 'synergism'], ['C2', 'synergism']]
    """
    table = data.table if hasattr(data, "table") else data
    if not isinstance(table, pd.DataFrame):
        msg = f"expected an InvasionResult or a DataFrame, got {type(data).__name__}."
        raise DataValidationError(msg)
    require_columns(
        table,
        [*_NEEDED, response],
        hint="Give the plate map with compound/concentration and compound_b/concentration_b.",
    )
    if not 0 < fa_clip < 0.5:
        msg = f"fa_clip={fa_clip!r} must lie in (0, 0.5)."
        raise DataValidationError(msg)
    t = table.copy()
    t["drug_a"] = t["drug_a"].fillna("").astype(str)
    t["drug_b"] = t["drug_b"].fillna("").astype(str)
    da = pd.to_numeric(t["dose_a_molar"], errors="coerce").fillna(0.0).to_numpy(float)
    db = pd.to_numeric(t["dose_b_molar"], errors="coerce").fillna(0.0).to_numpy(float)
    has_a = (t["drug_a"] != "").to_numpy() & (da > 0)
    has_b = (t["drug_b"] != "").to_numpy() & (db > 0)
    resp = pd.to_numeric(t[response], errors="coerce").to_numpy(float)
    fa_raw = 1.0 - resp
    fa = np.clip(fa_raw, fa_clip, 1.0 - fa_clip)
    clipped = np.isfinite(fa_raw) & (fa != fa_raw)
    t["fa"] = fa
    t["_clipped"] = clipped

    combo = has_a & has_b
    single = has_a ^ has_b
    # single-agent series: drug → (doses, fa, wells)
    s_drug = np.where(has_a, t["drug_a"], t["drug_b"])
    s_dose = np.where(has_a, da, db)
    fits: dict[str, dict[str, float]] = {}
    par_rows = []
    for drug in sorted(set(s_drug[single])):
        sel = single & (s_drug == drug) & np.isfinite(fa)
        f = median_effect_fit(s_dose[sel], fa[sel])
        if len(np.unique(s_dose[sel])) < 2:  # replicates of one dose do not make a line
            f = {"m": np.nan, "Dm": np.nan, "r": np.nan, "n": int(sel.sum()), "n_excluded": 0}
        fits[drug] = f
        flag = "" if np.isfinite(f["m"]) else "fewer than 2 doses"
        if np.isfinite(f["r"]) and f["r"] < min_r:
            flag = f"r<{min_r:g}"
        par_rows.append(
            {
                "agent": drug,
                "m": f["m"],
                "Dm_molar": f["Dm"],
                "r": f["r"],
                "n": f["n"],
                "flag": flag,
            }
        )

    def _dx(drug: str, x: np.ndarray) -> np.ndarray:
        f = fits.get(drug)
        if f is None or not np.isfinite(f["m"]):
            return np.full(x.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return f["Dm"] * (x / (1.0 - x)) ** (1.0 / f["m"])

    # combination wells: CI from the single-drug fits
    cw = t.loc[combo].copy()
    cw["dose_a_molar"] = da[combo]
    cw["dose_b_molar"] = db[combo]
    fa_c = cw["fa"].to_numpy(float)
    dxa = np.array([_dx(d, np.array([v]))[0] for d, v in zip(cw["drug_a"], fa_c, strict=True)])
    dxb = np.array([_dx(d, np.array([v]))[0] for d, v in zip(cw["drug_b"], fa_c, strict=True)])
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = cw["dose_a_molar"].to_numpy(float) / dxa
        pb = cw["dose_b_molar"].to_numpy(float) / dxb
        ci = pa + pb if exclusive else pa + pb + pa * pb
        cw["dri_a"] = dxa / cw["dose_a_molar"].to_numpy(float)
        cw["dri_b"] = dxb / cw["dose_b_molar"].to_numpy(float)
    cw["ci"] = ci
    cw["call"] = call_ci(ci)
    cw["grade"] = grade_ci(ci)
    ratio = np.round(cw["dose_a_molar"] / cw["dose_b_molar"], 12)
    ratio = ratio.map(lambda r: float(f"{r:.3g}"))
    cw["mixture"] = [
        f"{a}+{b} ({_ratio_label(r)})"
        for a, b, r in zip(cw["drug_a"], cw["drug_b"], ratio, strict=True)
    ]
    flags = []
    for (_i, r), c in zip(cw.iterrows(), clipped[combo], strict=True):
        f = [k for k in str(r.get("flags", "") or "").split(";") if k]
        if c:
            f.append("fa_clipped")
        if not np.isfinite(r["fa"]):
            f.append("no_response")
        for d in (r["drug_a"], r["drug_b"]):
            if d not in fits or not np.isfinite(fits[d]["m"]):
                f.append(f"no_single_fit_{d}")
        flags.append(";".join(dict.fromkeys(f)))
    cw["flags"] = flags
    keep = [
        "well",
        "mixture",
        "drug_a",
        "dose_a_molar",
        "drug_b",
        "dose_b_molar",
        response,
        "fa",
        "ci",
        "dri_a",
        "dri_b",
        "call",
        "grade",
        "flags",
    ]
    wells = cw[[c for c in keep if c in cw.columns]].reset_index(drop=True)
    if response != "invasion_rel_vehicle":
        wells = wells.rename(columns={response: "invasion_rel_vehicle"})

    # constant-ratio mixtures with ≥ 2 doses: CI at the Fa levels (repurposekit.synergy)
    ind_rows = []
    results: dict[str, Any] = {}
    for name, g in cw.groupby("mixture", sort=True):
        a, b = g["drug_a"].iloc[0], g["drug_b"].iloc[0]
        ok = np.isfinite(g["fa"].to_numpy(float))
        total = (g["dose_a_molar"] + g["dose_b_molar"])[ok]
        if total.nunique() < 2 or a not in fits or b not in fits:
            continue
        if not (np.isfinite(fits[a]["m"]) and np.isfinite(fits[b]["m"])):
            continue
        parts = []
        for drug in (a, b):
            sel = single & (s_drug == drug) & np.isfinite(fa)
            parts.append(
                pd.DataFrame(
                    {
                        "agent": drug,
                        f"ratio_{a}": float(drug == a),
                        f"ratio_{b}": float(drug == b),
                        "total_dose_molar": s_dose[sel],
                        "fa": fa[sel],
                    }
                )
            )
        gg = g[ok]
        tot = gg["dose_a_molar"] + gg["dose_b_molar"]
        parts.append(
            pd.DataFrame(
                {
                    "agent": name,
                    f"ratio_{a}": (gg["dose_a_molar"] / tot).to_numpy(),
                    f"ratio_{b}": (gg["dose_b_molar"] / tot).to_numpy(),
                    "total_dose_molar": tot.to_numpy(),
                    "fa": gg["fa"].to_numpy(),
                }
            )
        )
        res = chou_talalay(
            pd.concat(parts, ignore_index=True),
            fa_levels=fa_levels,
            exclusive=exclusive,
            min_r=min_r,
        )
        results[name] = res
        mp = res.parameters[res.parameters["agent"] == name].iloc[0]
        par_rows.append(
            {
                "agent": name,
                "m": mp["m"],
                "Dm_molar": mp["Dm_molar"],
                "r": mp["r"],
                "n": mp["n"],
                "flag": mp["flag"],
            }
        )
        for _, r in res.indices.iterrows():
            ind_rows.append(
                {
                    "mixture": name,
                    "drug_a": a,
                    "drug_b": b,
                    "ratio_a_to_b": float(gg["dose_a_molar"].iloc[0] / gg["dose_b_molar"].iloc[0]),
                    "fa": r["fa"],
                    "dose_a_molar": r[f"dose_{a}_molar"],
                    "dose_b_molar": r[f"dose_{b}_molar"],
                    "ci": r["ci"],
                    "dri_a": r[f"dri_{a}"],
                    "dri_b": r[f"dri_{b}"],
                    "call": r["call"],
                    "grade": r["grade"],
                    "flags": mp["flag"],
                }
            )
    return InvasionSynergy(
        indices=pd.DataFrame(
            ind_rows,
            columns=[
                "mixture",
                "drug_a",
                "drug_b",
                "ratio_a_to_b",
                "fa",
                "dose_a_molar",
                "dose_b_molar",
                "ci",
                "dri_a",
                "dri_b",
                "call",
                "grade",
                "flags",
            ],
        ),
        wells=wells,
        parameters=pd.DataFrame(par_rows, columns=["agent", "m", "Dm_molar", "r", "n", "flag"]),
        chou=results,
        settings=_settings(
            table[[c for c in (*_NEEDED, response) if c in table.columns]],
            fa_levels=list(fa_levels),
            response=response,
            fa_clip=fa_clip,
            exclusive=exclusive,
            min_r=min_r,
        ),
    )
