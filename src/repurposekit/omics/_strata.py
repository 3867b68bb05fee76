"""Biomarker stratification: combine markers into strata and summarise outcome per stratum."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.omics._cna import clopper_pearson
from repurposekit.omics._survival import _batch_cox, km_median

__all__ = ["Stratification", "stratify"]


@dataclass(frozen=True, eq=False)
class Stratification:
    """Patients grouped by a combination of biomarkers, with outcome per stratum.

    Attributes
    ----------
    assignments : pandas.DataFrame
        Per patient: each marker's label, ``stratum``, time, event.
    table : pandas.DataFrame
        The trial-designer table, one row per stratum: ``stratum``, marker labels, ``n``,
        ``prevalence_percent`` with exact 95 % CI, ``events``, ``median_time`` (KM; NaN if
        not reached), ``hr_vs_rest`` with CI and Wald ``p_value`` (Cox, stratum vs all
        others), and ``patients_to_screen_per_enrolled`` (1 / prevalence).
    markers : pandas.DataFrame
        Per marker: rule and prevalence of the positive label with exact CI.
    logrank_p : float
        Log-rank test across all strata.
    settings : mapping
    """

    assignments: pd.DataFrame
    table: pd.DataFrame
    markers: pd.DataFrame
    logrank_p: float
    time: str
    event: str
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The per-stratum table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Strata, sizes and the overall log-rank p."""
        parts = [
            f"{r.stratum}: n={r.n} ({r.prevalence_percent:.0f} %)" for r in self.table.itertuples()
        ]
        return "; ".join(parts) + f". Log-rank across strata p = {self.logrank_p:.3g}"

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Kaplan–Meier curves per stratum."""

        from repurposekit.plot.omics import strata_km

        return strata_km(self, ax=ax, **kwargs)


def _marker_labels(data: pd.DataFrame, name: str, rule: Any) -> tuple[pd.Series, str]:
    """Return (labels 'name+'/'name-' or category, rule text)."""
    if isinstance(rule, str):
        col, thr = rule, None
    elif isinstance(rule, (tuple, list)) and len(rule) == 2:
        col, thr = rule
    else:
        msg = f"marker {name!r}: rule must be a column name or (column, threshold), got {rule!r}."
        raise DataValidationError(msg)
    if col not in data.columns:
        msg = f"marker {name!r}: no column {col!r} in the data (columns: {list(data.columns)})."
        raise DataValidationError(msg)
    v = data[col]
    if thr is not None:
        num = pd.to_numeric(v, errors="coerce")
        if num.isna().any():
            s = num.index[num.isna().to_numpy()][0]
            msg = f"marker {name!r}: column {col!r} has a missing/non-numeric value for {s!r}."
            raise DataValidationError(msg)
        if isinstance(thr, str) and thr == "median":
            thr = float(num.median())
            lab = np.where(num > thr, f"{name} high", f"{name} low")
            return pd.Series(lab, index=data.index), f"{col} > median ({thr:.4g})"
        lab = np.where(num >= float(thr), f"{name}+", f"{name}-")
        return pd.Series(lab, index=data.index), f"{col} ≥ {thr:g}"
    if v.isna().any():
        s = v.index[v.isna().to_numpy()][0]
        msg = f"marker {name!r}: column {col!r} is missing for {s!r}."
        raise DataValidationError(msg)
    if pd.api.types.is_bool_dtype(v) or set(pd.unique(v)) <= {0, 1}:
        return pd.Series(
            np.where(v.astype(bool), f"{name}+", f"{name}-"), index=data.index
        ), f"{col} true"
    return v.astype(str).radd(f"{name} ").rename(None), f"{col} categories"


def stratify(
    data: pd.DataFrame,
    *,
    markers: Mapping[str, Any],
    time: str = "time",
    event: str = "event",
    min_stratum_size: int = 5,
    confidence_level: float = 0.95,
) -> Stratification:
    """Combine biomarkers into strata and summarise survival per stratum.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient (index = patient ID) with the marker columns and ``time``/``event``.
    markers : dict
        ``{name: rule}``; rule is a column of booleans/0-1 (positive = true), a categorical
        column, or ``(column, threshold)`` (positive = value ≥ threshold; ``"median"`` for a
        median split), e.g. ``{"PTK2 gain": "ptk2_gain", "FAK score": ("fak_score", "median"),
        "KRAS": "kras_mut", "pY397-FAK": ("pfak_hscore", 100)}``.
    time, event : str
        Survival columns (time ≥ 0, any unit; event 1/0).
    min_stratum_size : int
        Strata smaller than this are reported but get no HR (too few patients).
    confidence_level : float

    Returns
    -------
    Stratification

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"gain": rng.random(60) < 0.4, "kras": rng.random(60) < 0.3,
    ...                   "time": rng.exponential(12, 60), "event": 1})
    >>> res = stratify(d, markers={"PTK2": "gain", "KRAS": "kras"})
    >>> int(res.table["n"].sum())
    60
    """
    if not markers:
        msg = "give at least one marker, e.g. markers={'PTK2 gain': 'ptk2_gain'}."
        raise DataValidationError(msg)
    for c in (time, event):
        if c not in data.columns:
            msg = f"data lacks the survival column {c!r}; pass time=/event=."
            raise DataValidationError(msg)
    t = pd.to_numeric(data[time], errors="coerce")
    e = pd.to_numeric(data[event], errors="coerce")
    if t.isna().any() or e.isna().any():
        msg = f"missing or non-numeric {time!r}/{event!r} values; drop those patients first."
        raise DataValidationError(msg)
    if (t < 0).any():
        s = t.index[(t < 0).to_numpy()][0]
        msg = f"patient {s!r}: {time} = {t[s]} is negative; survival times must be ≥ 0."
        raise DataValidationError(msg)
    if not e.isin([0, 1]).all():
        msg = f"column {event!r} must be 0 (censored) or 1 (event)."
        raise DataValidationError(msg)
    labels = {}
    mrows = []
    n = len(data)
    for name, rule in markers.items():
        lab, text = _marker_labels(data, name, rule)
        labels[name] = lab
        pos = lab.str.endswith(("+", " high"))
        k = int(pos.sum())
        lo, hi = clopper_pearson(k, n, confidence_level=confidence_level)
        mrows.append(
            {
                "marker": name,
                "rule": text,
                "n": n,
                "n_positive": k,
                "percent": 100 * k / n,
                "ci_low_percent": 100 * lo,
                "ci_high_percent": 100 * hi,
            }
        )
    assign = pd.DataFrame(labels, index=data.index)
    assign["stratum"] = assign.apply(lambda r: " / ".join(r.astype(str)), axis=1)
    assign[time] = t.astype(float)
    assign[event] = e.astype(int)
    tt = assign[time].to_numpy(float)
    ee = assign[event].to_numpy(int)
    zq = stats.norm.ppf(0.5 + confidence_level / 2)
    rows = []
    strata = sorted(pd.unique(assign["stratum"]))
    for s in strata:
        m = (assign["stratum"] == s).to_numpy()
        k = int(m.sum())
        lo, hi = clopper_pearson(k, n, confidence_level=confidence_level)
        row = {
            "stratum": s,
            **{c: assign.loc[m, c].iloc[0] for c in labels},
            "n": k,
            "prevalence_percent": 100 * k / n,
            "prevalence_ci_low": 100 * lo,
            "prevalence_ci_high": 100 * hi,
            "events": int(ee[m].sum()),
            "median_time": km_median(tt[m], ee[m]),
            "hr_vs_rest": np.nan,
            "hr_ci_low": np.nan,
            "hr_ci_high": np.nan,
            "p_value": np.nan,
            "patients_to_screen_per_enrolled": n / k,
        }
        if k >= min_stratum_size and n - k >= min_stratum_size and ee.sum() > 0:
            fit = _batch_cox(tt, ee, m.astype(float)[:, None], [s])
            if fit["converged"][0]:
                b, se = fit["coef"][0], fit["se"][0]
                row.update(
                    hr_vs_rest=np.exp(b),
                    hr_ci_low=np.exp(b - zq * se),
                    hr_ci_high=np.exp(b + zq * se),
                    p_value=fit["p"][0],
                )
        rows.append(row)
    table = pd.DataFrame(rows)
    if len(strata) > 1:
        codes = pd.Categorical(assign["stratum"], categories=strata).codes
        lr = _kway_logrank(tt, ee, codes, len(strata))
    else:
        lr = np.nan
    st = _settings(
        markers={k: str(v) for k, v in markers.items()},
        time=time,
        event=event,
        min_stratum_size=min_stratum_size,
        confidence_level=confidence_level,
    )
    return Stratification(
        assignments=assign,
        table=table,
        markers=pd.DataFrame(mrows),
        logrank_p=float(lr),
        time=time,
        event=event,
        settings=st,
    )


def _kway_logrank(t: np.ndarray, e: np.ndarray, codes: np.ndarray, k: int) -> float:
    """K-group log-rank p (R ``survdiff``)."""
    groups = np.stack([codes == j for j in range(k)], axis=1)
    order = np.argsort(t, kind="stable")
    ts, es, gs = t[order], e[order], groups[order].astype(float)
    ev = np.unique(ts[es == 1])
    o = np.zeros(k)
    ex = np.zeros(k)
    v = np.zeros((k, k))
    for u in ev:
        risk = ts >= u
        nr = gs[risk].sum(axis=0)
        ntot = nr.sum()
        dmask = (ts == u) & (es == 1)
        d = gs[dmask].sum(axis=0)
        dt = d.sum()
        o += d
        ex += dt * nr / ntot
        if ntot > 1:
            p = nr / ntot
            v += dt * (ntot - dt) / (ntot - 1) * (np.diag(p) - np.outer(p, p))
    diff = (o - ex)[:-1]
    vv = v[:-1, :-1]
    chisq = float(diff @ np.linalg.pinv(vv) @ diff)
    return float(stats.chi2.sf(chisq, k - 1))
