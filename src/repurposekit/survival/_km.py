"""Kaplan–Meier estimator with R ``survfit`` conventions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.survival._data import as_columns, survival_columns
from repurposekit.survival._kernels import km_confint, km_curve, quantile_from_curve

__all__ = ["KaplanMeierResult", "kaplan_meier"]


@dataclass(frozen=True, eq=False)
class KaplanMeierResult:
    """Kaplan–Meier curves, one per group, as :func:`kaplan_meier` returns them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct observed time (events and censorings) per group, as R's
        ``survfit`` object: the ``by`` columns (if any), ``time``, ``n_risk``, ``n_event``,
        ``n_censor``, ``survival``, ``std_err`` (Greenwood standard error of S(t), as
        ``summary.survfit`` prints it), ``lower``, ``upper`` (pointwise CI of S(t); NaN where
        the chosen transform is undefined, e.g. S = 0 for "log", S in {0, 1} for "log-log").
    groups : pandas.DataFrame
        One row per curve: ``group`` (label), the ``by`` columns, ``n``, ``n_event``.
    by : tuple of str
        Grouping columns (empty for a single curve).
    time : str
        Name of the time column of the input (its unit is the unit of every time here).
    conf_type : str
        "log", "log-log" or "plain".
    confidence_level : float
    settings : Mapping
        Provenance (arguments, version, input checksum).
    """

    table: pd.DataFrame
    groups: pd.DataFrame
    by: tuple[str, ...]
    time: str
    conf_type: str
    confidence_level: float
    settings: Mapping[str, Any]

    def _curves(self) -> list[tuple[dict[str, Any], pd.DataFrame]]:
        """(key with ``group`` and the by columns, that group's rows of :attr:`table`)."""
        out = []
        for _, g in self.groups.iterrows():
            key = {"group": g["group"], **{c: g[c] for c in self.by}}
            mask = np.ones(len(self.table), dtype=bool)
            for c in self.by:
                mask &= (self.table[c] == g[c]).to_numpy()
            out.append((key, self.table.loc[mask].reset_index(drop=True)))
        return out

    def quantile(self, q: float | Sequence[float] = 0.5) -> pd.DataFrame:
        """Survival-time quantiles with CIs, R ``quantile.survfit`` convention.

        Parameters
        ----------
        q : float or sequence of float
            Probabilities of an event: 0.5 is the median, 0.25 the time by which 25 % had
            the event (S(t) = 0.75).

        Returns
        -------
        pandas.DataFrame
            ``group``, the ``by`` columns, ``q``, ``time`` (the quantile), ``lower``, ``upper``.
            NaN where not reached.

        Notes
        -----
        The quantile is the first time at which 1 − S(t) ≥ q; where S(t) equals 1 − q (within
        √ε) over an interval, the midpoint of that interval (the next jump, or the last
        follow-up time when the curve ends flat). The CI is found the same way on the
        pointwise confidence bands (Brookmeyer & Crowley 1982 style): the lower limit where
        the lower band crosses 1 − q, the upper limit where the upper band crosses it.
        """
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any((qs < 0) | (qs > 1)) or np.any(np.isnan(qs)):
            msg = f"quantile probabilities must be in [0, 1]; got {q!r}."
            raise DataValidationError(msg)
        rows = []
        for key, sub in self._curves():
            t = sub["time"].to_numpy()
            for p in qs:
                rows.append(
                    {
                        **key,
                        "q": float(p),
                        "time": quantile_from_curve(t, sub["survival"].to_numpy(), p),
                        "lower": quantile_from_curve(t, sub["lower"].to_numpy(), p),
                        "upper": quantile_from_curve(t, sub["upper"].to_numpy(), p),
                    }
                )
        return pd.DataFrame(rows)

    def median(self) -> pd.DataFrame:
        """Median survival time per group with its CI, as R ``print.survfit``.

        Returns
        -------
        pandas.DataFrame
            ``group``, the ``by`` columns, ``n``, ``n_event``, ``median``, ``lower``,
            ``upper``. NaN means "not reached" (S(t) never fell to 0.5, or the band never
            crossed it).
        """
        q = self.quantile(0.5).drop(columns="q").rename(columns={"time": "median"})
        cols = ["group", *[c for c in self.by if c != "group"]]
        out = self.groups.merge(q, on=cols, how="left")
        return out[[*cols, "n", "n_event", "median", "lower", "upper"]]

    def survival_at(self, times: float | Sequence[float]) -> pd.DataFrame:
        """Landmark survival rates S(t) with CIs at the given times (same unit as the data).

        Returns
        -------
        pandas.DataFrame
            ``group``, the ``by`` columns, ``time``, ``n_risk`` (number still at risk at t),
            ``survival``, ``std_err``, ``lower``, ``upper``. Before the first observation
            S = 1; after the last follow-up time NaN (unknown) unless S already reached 0.
        """
        ts = np.atleast_1d(np.asarray(times, dtype=float))
        rows = []
        for key, sub in self._curves():
            t = sub["time"].to_numpy()
            n_total = float(sub["n_risk"].iloc[0]) if len(sub) else 0.0
            for x in ts:
                i = int(np.searchsorted(t, x, side="right")) - 1  # last time <= x
                j = int(np.searchsorted(t, x, side="left"))  # first time >= x
                n_risk = float(sub["n_risk"].iloc[j]) if j < len(sub) else 0.0
                if i < 0:
                    vals = {"survival": 1.0, "std_err": 0.0, "lower": 1.0, "upper": 1.0}
                    n_risk = n_total
                elif x > t[-1] and sub["survival"].iloc[-1] > 0:
                    vals = dict.fromkeys(("survival", "std_err", "lower", "upper"), np.nan)
                else:
                    r = sub.iloc[i]
                    vals = {c: float(r[c]) for c in ("survival", "std_err", "lower", "upper")}
                rows.append({**key, "time": float(x), "n_risk": n_risk, **vals})
        return pd.DataFrame(rows)

    def number_at_risk(self, times: float | Sequence[float]) -> pd.DataFrame:
        """Numbers at risk (subjects with time ≥ t) per group: rows = groups, columns = times."""
        ts = np.atleast_1d(np.asarray(times, dtype=float))
        out = {}
        for key, sub in self._curves():
            t = sub["time"].to_numpy()
            nr = sub["n_risk"].to_numpy()
            j = np.searchsorted(t, ts, side="left")
            out[key["group"]] = np.where(j < t.size, nr[np.minimum(j, t.size - 1)], 0).astype(int)
        frame = pd.DataFrame(out, index=pd.Index(ts, name=self.time)).T
        frame.index.name = "group"
        return frame

    def rmst(self, tau: float) -> pd.DataFrame:
        """Restricted mean survival time up to ``tau`` (area under S(t) on [0, tau]) per group.

        Returns ``group``, the ``by`` columns, ``tau``, ``rmst``, ``std_err`` (R's
        ``print.survfit(rmean=tau)`` formula).
        """
        rows = []
        for key, sub in self._curves():
            t = sub["time"].to_numpy()
            s = sub["survival"].to_numpy()
            keep = t < tau
            tt = np.concatenate(([0.0], t[keep], [tau]))
            ss = np.concatenate(([1.0], s[keep]))
            areas = np.diff(tt) * ss
            rm = float(areas.sum())
            # variance: sum over event times t_i < tau of A_i^2 d_i / (n_i (n_i - d_i)),
            # A_i = area under S from t_i to tau (R print.survfit rmean)
            d = sub["n_event"].to_numpy()[keep]
            n = sub["n_risk"].to_numpy()[keep]
            tail = np.cumsum(areas[::-1])[::-1][1:]  # area from each t_i to tau
            with np.errstate(divide="ignore", invalid="ignore"):
                term = np.where(d > 0, tail**2 * d / (n * (n - d)), 0.0)
            rows.append(
                {**key, "tau": float(tau), "rmst": rm, "std_err": float(np.sqrt(term.sum()))}
            )
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The KM table (a copy of :attr:`table`)."""
        return self.table.copy()

    def summary(self) -> str:
        """A short text summary: per group n, events, median (CI)."""
        med = self.median()

        def fmt(v: float) -> str:
            return "not reached" if np.isnan(v) else f"{v:g}"

        lines = [
            f"Kaplan–Meier ({self.conf_type} CI, {self.confidence_level:.0%}); "
            f"time in the unit of {self.time!r}"
        ]
        for _, r in med.iterrows():
            lines.append(
                f"  {r['group']}: n={int(r['n'])}, events={int(r['n_event'])}, median "
                f"{fmt(r['median'])} (CI {fmt(r['lower'])} to {fmt(r['upper'])})"
            )
        return "\n".join(lines)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the curves (see :func:`repurposekit.plot.survival.km_plot`); returns the Axes."""

        from repurposekit.plot.survival import km_plot

        return km_plot(self, ax=ax, **kwargs)


def kaplan_meier(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    by: str | Sequence[str] | None = None,
    conf_type: str = "log",
    confidence_level: float = 0.95,
) -> KaplanMeierResult:
    """Kaplan–Meier estimate of the survival function, per group, as R ``survfit``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject. Not modified.
    time : str
        Column of follow-up times (≥ 0; days for in vivo studies, any unit otherwise).
    event : str
        Column of event indicators: 1 (or True) = event, 0 (or False) = censored.
    by : str or sequence of str, optional
        Grouping column(s); one curve per combination (in sorted order, or category order).
    conf_type : {"log", "log-log", "plain"}
        Transform for the pointwise CI of S(t). "log" is R's default; "log-log" is
        lifelines' (and SAS's) default.
    confidence_level : float
        Level of the pointwise CIs and of the CIs of quantiles/medians.

    Returns
    -------
    KaplanMeierResult

    Raises
    ------
    DataValidationError
        Missing columns, missing or non-numeric values, negative times, events not 0/1
        (the message names the column and row).

    Notes
    -----
    .. math:: \\hat S(t) = \\prod_{t_i \\le t} (1 - d_i / n_i)

    Greenwood: :math:`\\sigma^2(t) = \\sum_{t_i \\le t} d_i / (n_i (n_i - d_i))` is the
    variance of :math:`\\log \\hat S(t)`; ``std_err`` = :math:`\\hat S(t)\\,\\sigma(t)`.
    CIs: log: :math:`\\hat S \\exp(\\pm z \\sigma)` (upper capped at 1); log-log:
    :math:`\\hat S^{\\exp(\\pm z \\sigma / \\log \\hat S)}`; plain: :math:`\\hat S \\pm z\\,
    \\hat S \\sigma` clipped to [0, 1].

    References
    ----------
    Kaplan & Meier (1958) JASA 53:457. Greenwood (1926). Brookmeyer & Crowley (1982)
    Biometrics 38:29. Therneau, R package ``survival`` (``survfit``, ``quantile.survfit``).

    Examples
    --------
    >>> import pandas as pd
    >>> from repurposekit.survival import kaplan_meier
    >>> df = pd.DataFrame({"time": [10, 12, 15, 18, 21, 25, 30, 33], "event": 1})
    >>> float(kaplan_meier(df).median()["median"].iloc[0])  # R: 19.5 (midpoint of flat at 0.5)
    19.5
    """
    if conf_type not in ("log", "log-log", "plain"):
        msg = f"conf_type must be 'log', 'log-log' or 'plain'; got {conf_type!r}."
        raise DataValidationError(msg)
    if not 0 < confidence_level < 1:
        msg = f"confidence_level must be in (0, 1); got {confidence_level!r}."
        raise DataValidationError(msg)
    by_cols = as_columns(by)
    t, e = survival_columns(data, time=time, event=event, other=by_cols)
    tables = []
    groups = []
    keys = _group_keys(data, by_cols)
    for label, key, mask in keys:
        c = km_curve(t[mask], e[mask])
        lo, hi = km_confint(c["survival"], c["sigma"], conf_type, confidence_level)
        with np.errstate(invalid="ignore"):
            se = c["survival"] * c["sigma"]
        se = np.where(np.isfinite(c["sigma"]), se, np.nan)
        tab = pd.DataFrame(
            {
                "time": c["time"],
                "n_risk": c["n_risk"].astype(int),
                "n_event": c["n_event"].astype(int),
                "n_censor": c["n_censor"].astype(int),
                "survival": c["survival"],
                "std_err": se,
                "lower": lo,
                "upper": hi,
            }
        )
        for col in reversed(by_cols):
            tab.insert(0, col, key[col])
        tables.append(tab)
        groups.append({"group": label, **key, "n": int(mask.sum()), "n_event": int(e[mask].sum())})
    table = pd.concat(tables, ignore_index=True)
    for col in by_cols:  # keep the user's dtype (e.g. categorical order)
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            table[col] = pd.Categorical(table[col], categories=data[col].cat.categories)
    gcols = ["group", *[c for c in by_cols if c != "group"]]
    groups_df = pd.DataFrame(groups)[[*gcols, "n", "n_event"]]
    return KaplanMeierResult(
        table=table,
        groups=groups_df,
        by=by_cols,
        time=time,
        conf_type=conf_type,
        confidence_level=float(confidence_level),
        settings=_settings(
            data[[time, event, *by_cols]],
            function="kaplan_meier",
            time=time,
            event=event,
            by=list(by_cols),
            conf_type=conf_type,
            confidence_level=confidence_level,
        ),
    )


def _group_keys(
    data: pd.DataFrame, by_cols: tuple[str, ...]
) -> list[tuple[Any, dict[str, Any], np.ndarray]]:
    """(label, {by col: value}, boolean mask) per group, in sorted / category order."""
    n = len(data)
    if not by_cols:
        return [("all", {}, np.ones(n, dtype=bool))]
    grouped = data.groupby(list(by_cols), sort=True, observed=True, dropna=False)
    out = []
    for values, idx in grouped.indices.items():
        vals = values if isinstance(values, tuple) else (values,)
        key = dict(zip(by_cols, vals, strict=False))
        label = vals[0] if len(vals) == 1 else " / ".join(map(str, vals))
        mask = np.zeros(n, dtype=bool)
        mask[idx] = True
        out.append((label, key, mask))
    if any(isinstance(data[c].dtype, pd.CategoricalDtype) for c in by_cols):
        return out  # groupby already follows category order
    return out
