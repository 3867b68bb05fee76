"""Per-sample gene-set scores: ssGSEA, GSVA, z-score, PLAGE, singscore."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from repurposekit._exceptions import DataValidationError, warn
from repurposekit._provenance import settings as _settings
from repurposekit.omics import _kernels as K
from repurposekit.omics._genesets import GeneSets

__all__ = ["METHODS", "SignatureScores", "as_gene_sets", "check_expression", "score_gene_sets"]

#: method name -> (description, reference, needs ranks only)
METHODS: dict[str, dict[str, str]] = {
    "ssgsea": {
        "description": "single-sample GSEA: sum of the rank-weighted random walk (GSVA's definition)",
        "reference": "Barbie et al. 2009, Nature 462:108; Hänzelmann et al. 2013, doi:10.1186/1471-2105-14-7",
    },
    "gsva": {
        "description": "GSVA: kernel CDF per gene, then KS-like walk (max. positive + max. negative)",
        "reference": "Hänzelmann, Castelo & Guinney 2013, BMC Bioinformatics 14:7",
    },
    "zscore": {
        "description": "combined z-score: Σ z_gene / √k over standardised genes",
        "reference": "Lee et al. 2008, PLoS Comput Biol 4:e1000217",
    },
    "plage": {
        "description": "PLAGE: first right singular vector of the standardised set matrix",
        "reference": "Tomfohr, Lu & Kepler 2005, BMC Bioinformatics 6:225",
    },
    "singscore": {
        "description": "singscore: normalised mean rank (up − down), with MAD dispersion",
        "reference": "Foroutan et al. 2018, BMC Bioinformatics 19:404",
    },
}


def check_expression(expression: pd.DataFrame, *, source: str = "expression") -> np.ndarray:
    """Validate a genes × samples matrix and return it as float array."""
    if not isinstance(expression, pd.DataFrame):
        msg = f"{source}: expected a pandas DataFrame (genes × samples), got {type(expression).__name__}."
        raise DataValidationError(msg)
    if expression.shape[0] < 2 or expression.shape[1] < 1:
        msg = f"{source}: needs at least 2 genes and 1 sample, got {expression.shape[0]} × {expression.shape[1]}."
        raise DataValidationError(msg)
    for col in expression.columns:
        if pd.api.types.is_numeric_dtype(expression[col]):
            continue
        vals = pd.to_numeric(expression[col], errors="coerce")
        row = (vals.isna() & expression[col].notna()).to_numpy()
        if row.any():
            i = int(row.argmax())
            msg = (
                f"{source}: sample column {col!r} is not numeric (gene {expression.index[i]!r}: "
                f"{expression[col].iloc[i]!r}). Expression values must be numbers; remove "
                "annotation columns or make them the index."
            )
            raise DataValidationError(msg)
    x = expression.apply(pd.to_numeric).to_numpy(dtype=float)
    if not np.isfinite(x).all():
        r, c = np.argwhere(~np.isfinite(x))[0]
        msg = (
            f"{source}: missing or infinite value at gene {expression.index[r]!r}, sample "
            f"{expression.columns[c]!r}. Impute or drop such genes before scoring."
        )
        raise DataValidationError(msg)
    return x


def _single_thread_blas() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: behaviour is identical, only slower under load
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def as_gene_sets(gene_sets: GeneSets | Mapping[str, Any]) -> GeneSets:
    """Accept a :class:`GeneSets` or a ``{name: genes}`` mapping."""
    if isinstance(gene_sets, GeneSets):
        return gene_sets
    if isinstance(gene_sets, Mapping):
        return GeneSets.from_dict(gene_sets)
    msg = f"gene_sets must be GeneSets or a dict of name -> genes, got {type(gene_sets).__name__}."
    raise DataValidationError(msg)


@dataclass(frozen=True, eq=False)
class SignatureScores:
    """Gene-set scores per sample.

    Attributes
    ----------
    scores : pandas.DataFrame
        Sets × samples.
    method : str
    matched : pandas.DataFrame
        Per set: ``set, n_listed, n_matched, fraction_matched, missing, status`` (``"scored"``
        or why the set was dropped).
    details : pandas.DataFrame or None
        singscore: long table with up/down scores and dispersions per set and sample.
    settings : mapping
    """

    scores: pd.DataFrame
    method: str
    matched: pd.DataFrame
    details: pd.DataFrame | None
    settings: Mapping[str, Any]

    @property
    def dropped(self) -> pd.DataFrame:
        """Sets that were not scored and why."""
        return self.matched[self.matched["status"] != "scored"].reset_index(drop=True)

    def by_sample(self) -> pd.DataFrame:
        """Samples × sets (the layout survival association expects)."""
        return self.scores.T.copy()

    def to_frame(self) -> pd.DataFrame:
        """Long table ``set, sample, score``."""
        long = self.scores.rename_axis(index="set", columns="sample").stack().rename("score")
        return long.reset_index()

    def summary(self) -> str:
        """Short description."""
        n_drop = len(self.dropped)
        return (
            f"{self.method} scores: {self.scores.shape[0]} sets × {self.scores.shape[1]} samples"
            + (f"; {n_drop} set(s) dropped (see .dropped)" if n_drop else "")
        )

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Heatmap of the scores (see :func:`repurposekit.plot.omics.score_heatmap`)."""

        from repurposekit.plot.omics import score_heatmap

        return score_heatmap(self, ax=ax, **kwargs)


def score_gene_sets(
    expression: pd.DataFrame,
    gene_sets: GeneSets | Mapping[str, Any],
    *,
    method: str = "ssgsea",
    normalize: bool = True,
    kcdf: str = "gaussian",
    mx_diff: bool = True,
    tau: float | None = None,
    min_size: int = 1,
    max_size: float = np.inf,
    center: bool = True,
    known_direction: bool = True,
) -> SignatureScores:
    r"""Score every gene set in every sample.

    Parameters
    ----------
    expression : pandas.DataFrame
        Genes × samples, log-scale values (counts for ``kcdf="poisson"``); the index holds
        gene identifiers of the same type as the gene sets (symbols or Entrez IDs).
    gene_sets : GeneSets or dict
        Sets to score. Weights < 0 mark "down" members (used by singscore only; the other
        methods use all members).
    method : {"ssgsea", "gsva", "zscore", "plage", "singscore"}
    normalize : bool
        ssGSEA only: divide all scores by their range (GSVA ``ssgsea.norm=TRUE``).
    kcdf : {"gaussian", "poisson"}
        GSVA only: kernel of the per-gene CDF (Gaussian for log data, Poisson for counts).
    mx_diff : bool
        GSVA only: score = largest positive + largest negative deviation (default) or the
        larger of the two.
    tau : float, optional
        Weight exponent; default 0.25 for ssGSEA and 1 for GSVA (as in GSVA).
    min_size, max_size : int
        Sets with fewer/more matched genes are dropped (reported in ``.dropped``).
    center : bool
        singscore: subtract 0.5 from each part (scores then lie in [-0.5, 0.5] per part).
    known_direction : bool
        singscore: ``False`` scores an undirected set by distance from the median rank.

    Returns
    -------
    SignatureScores

    Raises
    ------
    DataValidationError
        Non-numeric or missing expression values, or no set has a gene in the matrix.

    Notes
    -----
    Definitions follow GSVA 1.46 exactly (they reproduce its output to 1e-13):

    * **ssGSEA**: per sample, genes ranked by value (average ranks truncated to integers),
      walk in decreasing order; :math:`ES = \sum_i [F_{in}(i) - F_{out}(i)]` with
      :math:`F_{in}` weighted by :math:`r^{\tau}`; normalised by
      :math:`\max(ES)-\min(ES)` over all sets and samples.
    * **GSVA**: per gene a kernel CDF :math:`\hat F(x_j)=\frac1n\sum_i\Phi((x_j-x_i)/h)`,
      :math:`h=sd/4` (GSVA tabulates Φ on a 0.001 grid; we use the same table);
      :math:`z=\log(\hat F/(1-\hat F))`, rank scores :math:`|n-p+1-n/2|`, KS walk.
    * **z-score**: :math:`\sum_{g\in S} z_g/\sqrt{k}` with genes standardised across samples.
    * **PLAGE**: first right singular vector of the standardised set matrix; its sign is
      LAPACK's (identical to R's on the reference data), so compare up to sign elsewhere.
    * Genes with constant expression are dropped for GSVA, z-score and PLAGE (not ssGSEA),
      as GSVA does; duplicated gene IDs: members map to the first row (R ``match``).
    * **singscore**: ranks with ties = min; score
      :math:`(\bar r - (k+1)/2)/((2n-k+1)/2-(k+1)/2)`, minus 0.5 if centred; up/down
      signatures add the up score and one minus the down score; total dispersion is the
      mean of the two MADs (singscore ≥ 1.20).

    References
    ----------
    See :data:`METHODS`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> expr = pd.DataFrame(rng.normal(size=(50, 4)), index=[f"g{i}" for i in range(50)],
    ...                     columns=list("abcd"))
    >>> res = score_gene_sets(expr, {"S": ["g1", "g2", "g3", "nope"]}, method="zscore")
    >>> res.scores.shape
    (1, 4)
    >>> int(res.matched.loc[0, "n_matched"])
    3
    """
    if method not in METHODS:
        msg = f"unknown method {method!r}; choose one of {sorted(METHODS)}."
        raise DataValidationError(msg)
    kcdf = kcdf.lower()
    if kcdf not in ("gaussian", "poisson"):
        msg = f"kcdf must be 'gaussian' or 'poisson', got {kcdf!r}."
        raise DataValidationError(msg)
    x = check_expression(expression)
    gs = as_gene_sets(gene_sets)
    genes = np.asarray(expression.index.astype(str))
    samples = list(expression.columns)
    n_dup = int(pd.Index(genes).duplicated().sum())
    if n_dup:
        warn(
            f"{n_dup} duplicated gene identifier(s) in the expression matrix; all rows are "
            "ranked and each set member maps to the first row (GSVA 1.46 behaviour). "
            "Collapse duplicates first (read_expression(..., duplicates='mean')) to avoid this."
        )
    keep = np.ones(len(genes), dtype=bool)
    n_constant = 0
    if method in ("gsva", "zscore", "plage"):
        keep = x.std(axis=1) > 0
        n_constant = int((~keep).sum())
        if n_constant:
            warn(
                f"{n_constant} gene(s) with constant expression dropped (as GSVA does for {method})."
            )
    xk = x[keep]
    match = gs.match(list(genes[keep]))
    report = match.report.copy()
    sizes = report["n_matched"].to_numpy()
    status = np.where(
        sizes == 0,
        "dropped: no genes present in the expression matrix",
        np.where(
            sizes < min_size,
            f"dropped: fewer than min_size={min_size} genes matched",
            np.where(
                sizes > max_size, f"dropped: more than max_size={max_size} genes matched", "scored"
            ),
        ),
    )
    if method == "plage":
        status = np.where(
            (status == "scored") & (sizes < 2), "dropped: PLAGE needs ≥ 2 genes", status
        )
    report["status"] = status
    names = report.loc[report["status"] == "scored", "set"].tolist()
    n_empty = int((sizes == 0).sum())
    if n_empty:
        empty = report.loc[sizes == 0, "set"].tolist()
        warn(
            f"{n_empty} gene set(s) have no gene in the expression matrix and were dropped: "
            f"{', '.join(empty[:5])}{' …' if n_empty > 5 else ''}. Check the identifier type "
            "(symbols vs Entrez IDs)."
        )
    if not names:
        msg = (
            f"no gene set could be scored: {report['status'].iloc[0] if len(report) else 'no sets given'}. "
            f"Expression IDs look like {list(genes[:3])}; set members like "
            f"{gs.table['gene'].head(3).tolist()}."
        )
        raise DataValidationError(msg)

    details = None
    if method == "ssgsea":
        t = 0.25 if tau is None else tau
        ra, pos = K.ssgsea_prepare(xk, alpha=t)
        es = np.vstack([K.ssgsea_set(ra, pos, match.indices[s]) for s in names])
        if normalize:
            es = es / (es.max() - es.min())
    elif method == "gsva":
        t = 1.0 if tau is None else tau
        rs, pos = K.gsva_prepare(xk, kernel=kcdf)
        es = np.vstack(
            [K.gsva_set(rs, pos, match.indices[s], tau=t, mx_diff=mx_diff) for s in names]
        )
    elif method == "zscore":
        z = K.standardise_rows(xk)
        es = np.vstack([K.zscore_set(z, match.indices[s]) for s in names])
    elif method == "plage":
        z = K.standardise_rows(xk)
        with _single_thread_blas():  # many tiny SVDs: BLAS threads only add contention
            es = np.vstack([K.plage_set(z, match.indices[s]) for s in names])
    else:
        es, details = _singscore(
            xk, match, names, samples, center=center, known_direction=known_direction
        )
    scores = pd.DataFrame(es, index=pd.Index(names, name="set"), columns=expression.columns)
    st = _settings(
        method=method,
        normalize=normalize,
        kcdf=kcdf,
        mx_diff=mx_diff,
        tau=tau,
        min_size=min_size,
        max_size=max_size,
        center=center,
        known_direction=known_direction,
        n_genes=len(genes),
        n_constant_genes_dropped=n_constant,
        n_duplicated_gene_ids=n_dup,
        gene_sets_source=gs.source,
    )
    return SignatureScores(
        scores=scores, method=method, matched=report, details=details, settings=st
    )


def _singscore(
    x: np.ndarray,
    match: Any,
    names: list[str],
    samples: list[Any],
    *,
    center: bool,
    known_direction: bool,
) -> tuple[np.ndarray, pd.DataFrame]:
    ranks = K.rank_columns(x, ties="min")
    off = -0.5 if (center and known_direction) else 0.0
    rows = []
    out = []
    for s in names:
        idx = match.indices[s]
        w = match.weights[s]
        up, dn = idx[~(w < 0)], idx[w < 0]
        if up.size == 0:  # only a down set: score it as an up set of reversed direction
            d_score, d_disp = K.singscore_part(ranks, dn, known_direction=known_direction)
            total = 1.0 - d_score + off
            disp = d_disp
            u_score = u_disp = np.full(x.shape[1], np.nan)
            dn_score = total
        elif dn.size == 0:
            u, disp = K.singscore_part(ranks, up, known_direction=known_direction)
            total = u + off
            u_score, u_disp = total, disp
            dn_score = d_disp = np.full(x.shape[1], np.nan)
        else:
            u, u_disp = K.singscore_part(ranks, up, known_direction=known_direction)
            d, d_disp = K.singscore_part(ranks, dn, known_direction=True)
            u_score = u + off
            dn_score = 1.0 - d + off
            total = u_score + dn_score
            disp = (u_disp + d_disp) / 2.0
        out.append(total)
        rows.append(
            pd.DataFrame(
                {
                    "set": s,
                    "sample": samples,
                    "total_score": total,
                    "total_dispersion": disp,
                    "up_score": u_score,
                    "up_dispersion": u_disp,
                    "down_score": dn_score,
                    "down_dispersion": d_disp,
                    "n_up": up.size,
                    "n_down": dn.size,
                }
            )
        )
    return np.vstack(out), pd.concat(rows, ignore_index=True)
