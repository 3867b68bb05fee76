"""Result objects of :func:`repurposekit.curves.fit_dose_response`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from repurposekit.curves._kernels import ll4
from repurposekit.curves._metrics import delta_se, ed, t_interval
from repurposekit.curves._scales import Scale


def _plot_function(name: str):
    """The figure builder ``name`` from ``repurposekit.plot.curves``, imported only when a plot is
    asked for (analysis modules never import the plot layer at module level)."""
    from repurposekit.plot import curves as plot_module

    return getattr(plot_module, name)


__all__ = ["DoseResponseFit", "DoseResponseFits"]

_PARAMS = ("hill", "bottom", "top", "ec50")


@dataclass(frozen=True, eq=False)
class DoseResponseFit:
    """One fitted curve (a view into :class:`DoseResponseFits`).

    Attributes
    ----------
    key : tuple
        Values of the ``by`` columns (empty when there is one curve).
    row : pandas.Series
        The curve's row of ``DoseResponseFits.to_frame()``.
    data : pandas.DataFrame
        The points that were fitted (dose column in molar).
    """

    key: tuple
    row: pd.Series
    data: pd.DataFrame
    coef: np.ndarray  # (b, c, d, e)
    cov: np.ndarray  # (4, 4)
    df: int
    model: str
    scale: Scale
    dose: str
    response: str
    confidence_level: float
    by: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    # -- estimates ----------------------------------------------------------------------
    @property
    def params(self) -> dict[str, float]:
        """``{"hill", "bottom", "top", "ec50"}`` (drc's b, c, d, e; ec50 in molar)."""
        return {k: float(self.row[k]) for k in _PARAMS}

    @property
    def stderr(self) -> dict[str, float]:
        """Standard errors of the parameters and derived metrics."""
        names = (*_PARAMS, "ic50", "emax", "auc", "auc_norm")
        return {k: float(self.row[f"{k}_se"]) for k in names}

    @property
    def ci(self) -> dict[str, tuple[float, float]]:
        """t-based confidence intervals (``confidence_level``) of parameters and metrics."""
        names = (*_PARAMS, "ic50", "emax", "auc", "auc_norm")
        return {k: (float(self.row[f"{k}_low"]), float(self.row[f"{k}_high"])) for k in names}

    def __getattr__(self, name: str) -> Any:
        # ec50, ic50, emax, auc, rss, converged, message, flags … straight from the row
        row = object.__getattribute__(self, "row")
        if name in row.index:
            return row[name]
        raise AttributeError(name)

    @property
    def flag_list(self) -> list[str]:
        """The flags as a list (``[]`` when none)."""
        return [f for f in str(self.row["flags"]).split(";") if f]

    def predict(self, dose: np.ndarray | float) -> np.ndarray:
        """Fitted response at ``dose`` (molar)."""
        b, c, d, e = self.coef
        return ll4(np.asarray(dose, dtype=float), b, c, d, e)

    def ed(self, p: float) -> dict[str, float]:
        """drc's relative ED(p) with its delta-method SE and t interval.

        The dose (molar) that moves the response ``p`` % of the way from the zero-dose level
        to the infinite-dose level: ``e (p / (100 - p))^(1/|b|)`` (drc ``ED(fit, p)``).
        """
        if not 0 < p < 100:
            msg = f"p must be between 0 and 100 (percent), got {p}."
            raise ValueError(msg)
        par = self.coef[None, :]
        est = ed(par, p)
        se = delta_se(lambda q: ed(q, p)[:, None], par, self.cov[None])[:, 0]
        lo, hi = t_interval(est, se, np.array([self.df]), self.confidence_level)
        return {
            "estimate": float(est[0]),
            "se": float(se[0]),
            "low": float(lo[0]),
            "high": float(hi[0]),
        }

    def summary(self) -> str:
        """A few lines a scientist can paste into a notebook."""
        from repurposekit.units import format_concentration

        name = ", ".join(f"{k}={v}" for k, v in zip(self.by, self.key, strict=True)) or "curve"
        r = self.row
        lines = [
            f"{name}: {self.model} fit, {int(r['n_points'])} points, {self.scale.label}",
            f"  hill {r['hill']:.3g} ± {r['hill_se']:.2g}   bottom {r['bottom']:.4g}   "
            f"top {r['top']:.4g}",
            f"  EC50 {format_concentration(r['ec50'])} "
            f"[{format_concentration(r['ec50_low'])}, {format_concentration(r['ec50_high'])}]   "
            f"IC50 {format_concentration(r['ic50'])}",
            f"  Emax {r['emax']:.4g}   AUC(norm) {r['auc_norm']:.3f}   RSS {r['rss']:.4g}   "
            f"{r['message']}",
        ]
        if self.flag_list:
            lines.append(f"  flags: {', '.join(self.flag_list)}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The curve's row as a one-row DataFrame."""
        return self.row.to_frame().T.reset_index(drop=True)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Fitted curve, data points and CI band (see :func:`repurposekit.plot.dose_response`)."""
        dose_response = _plot_function("dose_response")
        return dose_response(self, ax=ax, **kwargs)

    def band(self, dose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise confidence band of the fitted mean response at ``dose`` (delta method)."""
        x = np.asarray(dose, dtype=float)

        def f(q: np.ndarray) -> np.ndarray:
            return ll4(x[None, :], q[:, 0:1], q[:, 1:2], q[:, 2:3], q[:, 3:4])

        est = f(self.coef[None, :])
        se = delta_se(f, self.coef[None, :], self.cov[None])
        lo, hi = t_interval(est, se, np.array([self.df]), self.confidence_level)
        return lo[0], hi[0]


@dataclass(frozen=True, eq=False)
class DoseResponseFits:
    """All fitted curves of one :func:`fit_dose_response` call.

    Index it by position (``fits[0]``), by key (``fits["defactinib"]`` for one ``by`` column,
    ``fits[("OVCAR8", "defactinib")]`` for several), iterate over it, or take the table with
    ``.to_frame()`` (one row per curve).
    """

    table: pd.DataFrame
    data: pd.DataFrame
    by: tuple[str, ...]
    keys: tuple[tuple, ...]
    params: np.ndarray
    cov: np.ndarray
    df: np.ndarray
    model: str
    scale: Scale
    dose: str
    response: str
    confidence_level: float
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def _index(self, key: Any) -> int:
        if isinstance(key, (int, np.integer)) and key not in self.keys and (key,) not in self.keys:
            i = int(key)
            if not -len(self) <= i < len(self):
                msg = f"curve index {i} out of range ({len(self)} curves)"
                raise IndexError(msg)
            return i % len(self)
        k = key if isinstance(key, tuple) else (key,)
        try:
            return self.keys.index(k)
        except ValueError:
            msg = f"no curve {key!r}; keys are {list(self.keys)[:10]}"
            raise KeyError(msg) from None

    def __getitem__(self, key: Any) -> DoseResponseFit:
        i = self._index(key)
        return DoseResponseFit(
            key=self.keys[i],
            row=self.table.iloc[i],
            data=self.data[self.data["curve"] == i].drop(columns="curve"),
            coef=self.params[i],
            cov=self.cov[i],
            df=int(self.df[i]),
            model=self.model,
            scale=self.scale,
            dose=self.dose,
            response=self.response,
            confidence_level=self.confidence_level,
            by=self.by,
            settings=self.settings,
        )

    def __iter__(self) -> Iterator[DoseResponseFit]:
        for i in range(len(self)):
            yield self[i]

    def to_frame(self) -> pd.DataFrame:
        """One row per curve: by columns, estimates, SEs, CIs, RSS, convergence, flags."""
        return self.table.copy()

    def summary(self) -> str:
        """One block per curve (see :meth:`DoseResponseFit.summary`)."""
        n_conv = int(self.table["converged"].sum())
        head = f"{len(self)} curve(s), model {self.model}, {n_conv} converged"
        return "\n".join([head, *(f.summary() for f in self)])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """All curves on one axes (see :func:`repurposekit.plot.dose_response`)."""
        dose_response = _plot_function("dose_response")
        return dose_response(self, ax=ax, **kwargs)
