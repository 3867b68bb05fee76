"""Differential expression for the treated-vs-control step (PyDESeq2 for counts; Welch/moderated t for log data)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from repurposekit._exceptions import DataValidationError, StatisticalWarning, warn
from repurposekit._provenance import settings as _settings
from repurposekit.omics._kernels import bh_adjust
from repurposekit.omics._scores import check_expression

__all__ = ["DEResult", "differential_expression"]


@dataclass(frozen=True, eq=False)
class DEResult:
    """Per-gene differential expression, ``group`` vs ``reference``.

    Attributes
    ----------
    table : pandas.DataFrame
        ``gene, base_mean, log2_fold_change, se, statistic, p_value, q_value`` (+ ``df`` for
        t tests), in input gene order.
    method, group, reference : str
    settings : mapping
    """

    table: pd.DataFrame
    method: str
    group: str
    reference: str
    settings: Mapping[str, Any]

    def ranking(self) -> pd.Series:
        """The test statistic per gene, for preranked GSEA."""
        t = self.table.dropna(subset=["statistic"])
        return pd.Series(t["statistic"].to_numpy(), index=t["gene"].to_numpy(), name="statistic")

    def to_frame(self) -> pd.DataFrame:
        """The per-gene table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Genes at q < 0.05."""
        t = self.table
        return (
            f"{self.method}: {self.group} vs {self.reference}, {len(t)} genes, "
            f"{int((t['q_value'] < 0.05).sum())} at BH q < 0.05"
        )

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Volcano plot."""

        from repurposekit.plot.omics import volcano

        return volcano(self, ax=ax, **kwargs)


def _trigamma_inverse(x: float) -> float:
    """Solve trigamma(y) = x (Smyth 2004; as limma ``trigammaInverse``).

    Newton's method from y = 1/2 + 1/x, stopped at a relative step below 1e-8; for
    x > 1e7 and x < 1e-6 the asymptotes y = 1/√x and y = 1/x are used directly.
    """
    x = float(x)
    if x > 1e7:
        return 1.0 / np.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = float(special.polygamma(1, y))
        dif = tri * (1 - tri / x) / float(special.polygamma(2, y))
        y += dif
        if -dif / y < 1e-8:
            break
    return y


def _fit_f_dist(s2: np.ndarray, d: float) -> tuple[float, float]:
    """Prior df d0 and scale s0² of the sample variances (limma ``fitFDist``, no covariate).

    As limma: variances that are exactly zero are kept but offset to 1e-5 × the median
    (with a warning), and when the spread of log s² does not exceed its sampling variance
    d0 = ∞ and s0² = mean(s²).
    """
    x = np.asarray(s2, float)
    x = np.maximum(x[np.isfinite(x) & (x > -1e-15)], 0.0)
    if x.size == 0:
        return np.nan, np.nan
    if x.size == 1:
        return 0.0, float(x[0])
    m = float(np.median(x))
    if m == 0:
        warn(
            "more than half of the genes have zero variance: the empirical-Bayes prior of the "
            "moderated t is unreliable; filter out unexpressed genes first.",
            StatisticalWarning,
        )
        m = 1.0
    elif (x == 0).any():
        warn(
            f"{int((x == 0).sum())} gene(s) have zero variance; offset to 1e-5 × the median "
            "variance when fitting the prior (as limma); consider filtering them out.",
            StatisticalWarning,
        )
    x = np.maximum(x, 1e-5 * m)
    e = np.log(x) - special.digamma(d / 2) + np.log(d / 2)
    emean = e.mean()
    evar = ((e - emean) ** 2).sum() / (e.size - 1) - special.polygamma(1, d / 2)
    if evar > 0:
        d0 = 2 * _trigamma_inverse(evar)
        s0 = float(np.exp(emean + special.digamma(d0 / 2) - np.log(d0 / 2)))
    else:
        d0, s0 = np.inf, float(x.mean())
    return d0, s0


def differential_expression(
    expression: pd.DataFrame,
    groups: pd.Series,
    *,
    group: str,
    reference: str,
    method: str = "moderated",
    n_cpus: int = 1,
) -> DEResult:
    r"""Compare ``group`` with ``reference`` gene by gene.

    Parameters
    ----------
    expression : pandas.DataFrame
        Genes × samples: log-scale values for ``"welch"``/``"moderated"``, raw integer counts
        for ``"deseq2"``.
    groups : pandas.Series
        Group label per sample (index = sample IDs); samples of other groups are ignored.
    group, reference : str
        The two labels compared (fold change = group / reference).
    method : {"moderated", "welch", "deseq2"}
        ``"moderated"``: two-group t with an empirical-Bayes variance prior (limma's
        eBayes); ``"welch"``: Welch's unequal-variance t test; ``"deseq2"``: PyDESeq2
        (negative-binomial GLM, Wald test, R DESeq2 defaults incl. independent filtering
        and Cook's outlier handling).
    n_cpus : int
        Worker processes PyDESeq2 may start (``"deseq2"`` only). Default 1: starting a
        process pool costs seconds, more than the per-gene fits of a typical bulk RNA-seq
        experiment; raise it for very large matrices on a free machine.

    Returns
    -------
    DEResult

    Notes
    -----
    Moderated t (Smyth 2004): pooled variance :math:`s_g^2` on :math:`d = n-2` df; prior
    :math:`d_0, s_0^2` fitted to all genes by the method of moments on :math:`\log s^2`;
    :math:`\tilde s_g^2 = (d_0 s_0^2 + d s_g^2)/(d_0+d)`,
    :math:`t = \Delta / (\tilde s_g\sqrt{1/n_1+1/n_2})` on :math:`\min(d+d_0, Gd)` df
    (:math:`G` genes), as limma ``eBayes`` (trend = FALSE, robust = FALSE).

    References
    ----------
    Smyth GK (2004) Stat Appl Genet Mol Biol 3:3. Love MI, Huber W, Anders S (2014)
    Genome Biol 15:550. Muzellec B et al. (2023) Bioinformatics 39:btad547 (PyDESeq2).
    """
    if method not in ("moderated", "welch", "deseq2"):
        msg = f"method must be 'moderated', 'welch' or 'deseq2', got {method!r}."
        raise DataValidationError(msg)
    check_expression(expression)
    if not isinstance(groups, pd.Series):
        msg = "groups must be a pandas Series of group labels indexed by sample."
        raise DataValidationError(msg)
    g = groups.astype(str)
    g.index = g.index.astype(str)
    cols = [str(c) for c in expression.columns]
    missing = [c for c in cols if c not in g.index]
    if missing:
        msg = f"{len(missing)} expression sample(s) have no group label (e.g. {missing[:3]}); add them to groups."
        raise DataValidationError(msg)
    for lab in (group, reference):
        if (g.loc[cols] == lab).sum() < 2:
            msg = f"group {lab!r} has fewer than 2 samples (labels present: {sorted(set(g.loc[cols]))})."
            raise DataValidationError(msg)
    x = expression.copy()
    x.columns = cols
    a = [c for c in cols if g[c] == group]
    b = [c for c in cols if g[c] == reference]
    genes = x.index.astype(str)
    if method == "deseq2":
        table = _deseq2(x[a + b], a, b, group, reference, n_cpus=n_cpus)
    else:
        xa, xb = x[a].to_numpy(float), x[b].to_numpy(float)
        n1, n2 = len(a), len(b)
        lfc = xa.mean(axis=1) - xb.mean(axis=1)
        va, vb = xa.var(axis=1, ddof=1), xb.var(axis=1, ddof=1)
        if method == "welch":
            se = np.sqrt(va / n1 + vb / n2)
            with np.errstate(invalid="ignore", divide="ignore"):
                tstat = lfc / se
                df = (va / n1 + vb / n2) ** 2 / (
                    (va / n1) ** 2 / (n1 - 1) + (vb / n2) ** 2 / (n2 - 1)
                )
        else:
            d = n1 + n2 - 2
            s2 = ((n1 - 1) * va + (n2 - 1) * vb) / d
            d0, s0 = _fit_f_dist(s2, d)
            post = np.full_like(s2, s0) if np.isinf(d0) else (d0 * s0 + d * s2) / (d0 + d)
            se = np.sqrt(post * (1 / n1 + 1 / n2))
            with np.errstate(invalid="ignore", divide="ignore"):
                tstat = lfc / se
            # limma caps the total df at the pooled residual df of all genes
            df = np.full_like(s2, min(d + d0, d * s2.size))
        p = 2 * stats.t.sf(np.abs(tstat), df)
        table = pd.DataFrame(
            {
                "gene": genes,
                "base_mean": x[a + b].to_numpy(float).mean(axis=1),
                "log2_fold_change": lfc,
                "se": se,
                "statistic": tstat,
                "df": df,
                "p_value": p,
                "q_value": bh_adjust(p),
            }
        )
    st = _settings(
        method=method,
        group=group,
        reference=reference,
        n_group=len(a),
        n_reference=len(b),
        n_cpus=n_cpus,
    )
    return DEResult(table=table, method=method, group=group, reference=reference, settings=st)


def _deseq2(
    counts: pd.DataFrame, a: list[str], b: list[str], group: str, reference: str, *, n_cpus: int
) -> pd.DataFrame:
    c = counts.to_numpy(float)
    if (c < 0).any() or not np.allclose(c, np.round(c)):
        msg = "method='deseq2' needs raw non-negative integer counts; use 'moderated' for log-scale data."
        raise DataValidationError(msg)
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.ds import DeseqStats

    meta = pd.DataFrame({"condition": [group] * len(a) + [reference] * len(b)}, index=a + b)
    cts = counts.T.round().astype(int)
    cts.columns = cts.columns.astype(str)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        dds = DeseqDataSet(
            counts=cts, metadata=meta, design="~condition", quiet=True, n_cpus=n_cpus
        )
        dds.deseq2()
        ds = DeseqStats(dds, contrast=["condition", group, reference], quiet=True, n_cpus=n_cpus)
        ds.summary()
    r = ds.results_df
    return pd.DataFrame(
        {
            "gene": r.index.astype(str),
            "base_mean": r["baseMean"].to_numpy(),
            "log2_fold_change": r["log2FoldChange"].to_numpy(),
            "se": r["lfcSE"].to_numpy(),
            "statistic": r["stat"].to_numpy(),
            "p_value": r["pvalue"].to_numpy(),
            "q_value": r["padj"].to_numpy(),
        }
    )
