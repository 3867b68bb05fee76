"""Enrichment: over-representation (hypergeometric) and preranked GSEA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from repurposekit._exceptions import DataValidationError, warn
from repurposekit._provenance import settings as _settings
from repurposekit.omics import _kernels as K
from repurposekit.omics._genesets import GeneSets
from repurposekit.omics._scores import as_gene_sets

__all__ = ["EnrichmentResult", "GSEAResult", "gsea_preranked", "ora"]


@dataclass(frozen=True, eq=False)
class EnrichmentResult:
    """Over-representation analysis.

    Attributes
    ----------
    table : pandas.DataFrame
        Per set, sorted by p: ``set, n_background, n_set, n_query, n_overlap, expected,
        fold_enrichment, p_value, q_value, overlap_genes``.
    unmatched_query : list of str
        Query genes absent from the background (ignored, as R's ``intersect`` does).
    settings : mapping
    """

    table: pd.DataFrame
    unmatched_query: list[str]
    settings: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The per-set table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Counts at q < 0.05 and the top set."""
        t = self.table
        return (
            f"ORA: {len(t)} sets, {int((t['q_value'] < 0.05).sum())} with BH q < 0.05; "
            f"top {t['set'].iloc[0]} ({int(t['n_overlap'].iloc[0])}/{int(t['n_set'].iloc[0])}, "
            f"p = {t['p_value'].iloc[0]:.2g})"
        )

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Bar chart of −log10 q of the top sets."""

        from repurposekit.plot.omics import enrichment_bar

        return enrichment_bar(self, ax=ax, **kwargs)


def ora(
    query: Sequence[str],
    gene_sets: GeneSets | Mapping[str, Any],
    *,
    background: Sequence[str],
    min_size: int = 1,
    max_size: float = np.inf,
) -> EnrichmentResult:
    r"""Over-representation of ``query`` genes in each set (one-sided hypergeometric test).

    Parameters
    ----------
    query : sequence of str
        Genes of interest (e.g. differentially expressed genes).
    gene_sets : GeneSets or dict
    background : sequence of str
        The universe: every gene that could have been in the query (e.g. all genes measured).
        It is required because the answer depends on it.
    min_size, max_size : int
        Set-size limits after intersecting with the background (sets outside are dropped).

    Returns
    -------
    EnrichmentResult

    Notes
    -----
    With N background genes, K of them in the set, n query genes (∩ background) and k in the
    overlap, :math:`p = P(X \ge k)`, :math:`X \sim \mathrm{Hypergeom}(N, K, n)`, identical to
    R ``phyper(k-1, K, N-K, n, lower.tail=FALSE)`` and the one-sided Fisher exact test.
    q-values are BH over all tested sets.

    Examples
    --------
    >>> bg = [f"g{i}" for i in range(100)]
    >>> res = ora(["g1", "g2", "g3"], {"S": ["g1", "g2", "g50"]}, background=bg)
    >>> int(res.table.loc[0, "n_overlap"])
    2
    """
    gs = as_gene_sets(gene_sets)
    bg = list(dict.fromkeys(map(str, background)))
    if not bg:
        msg = "background is empty; pass every gene that could have been selected (e.g. all measured genes)."
        raise DataValidationError(msg)
    bgset = set(bg)
    q_all = list(dict.fromkeys(map(str, query)))
    unmatched = [g for g in q_all if g not in bgset]
    q = set(q_all) - set(unmatched)
    if unmatched:
        warn(
            f"{len(unmatched)} query gene(s) are not in the background and were ignored: {', '.join(unmatched[:5])}"
        )
    if not q:
        msg = "no query gene is in the background; check identifier types (symbols vs Entrez)."
        raise DataValidationError(msg)
    N, n = len(bg), len(q)
    rows = []
    for name, genes in gs.to_dict().items():
        members = [g for g in dict.fromkeys(genes) if g in bgset]
        K_ = len(members)
        if max(min_size, 1) > K_ or max_size < K_:
            continue
        ov = [g for g in members if g in q]
        k = len(ov)
        rows.append(
            {
                "set": name,
                "n_background": N,
                "n_set": K_,
                "n_query": n,
                "n_overlap": k,
                "expected": n * K_ / N,
                "fold_enrichment": (k / n) / (K_ / N),
                "p_value": float(stats.hypergeom.sf(k - 1, N, K_, n)),
                "overlap_genes": ",".join(ov),
            }
        )
    if not rows:
        msg = "no gene set has members in the background within the size limits."
        raise DataValidationError(msg)
    table = pd.DataFrame(rows)
    table.insert(
        table.columns.get_loc("p_value") + 1, "q_value", K.bh_adjust(table["p_value"].to_numpy())
    )
    table = table.sort_values(["p_value", "set"], kind="stable").reset_index(drop=True)
    st = _settings(
        n_background=N, n_query=n, min_size=min_size, max_size=max_size, gene_sets_source=gs.source
    )
    return EnrichmentResult(table=table, unmatched_query=unmatched, settings=st)


@dataclass(frozen=True, eq=False)
class GSEAResult:
    """Preranked GSEA.

    Attributes
    ----------
    table : pandas.DataFrame
        Per set: ``set, size, es, nes, p_value, fdr_q, fwer_p, rank_at_max, leading_edge``
        (GSEA desktop definitions), sorted by NES.
    ranking : pandas.Series
        The ranked metric (decreasing), index = genes.
    hits : dict of str to numpy.ndarray
        0-based positions of each set's members in the ranking.
    null_es : dict of str to numpy.ndarray
        Permutation null ES per set.
    settings : mapping
    """

    table: pd.DataFrame
    ranking: pd.Series
    hits: dict[str, np.ndarray]
    null_es: dict[str, np.ndarray]
    weight: float
    settings: Mapping[str, Any]

    def running_sum(self, name: str) -> np.ndarray:
        """The running enrichment score of one set along the ranking."""
        hit = np.zeros(self.ranking.size, dtype=bool)
        hit[self.hits[name]] = True
        return K.gsea_running_sum(self.ranking.to_numpy(float), hit, weight=self.weight)

    def to_frame(self) -> pd.DataFrame:
        """The per-set table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Counts at FDR < 0.25 (GSEA's suggested cut-off)."""
        t = self.table
        return f"GSEA preranked: {len(t)} sets, {int((t['fdr_q'] < 0.25).sum())} with FDR q < 0.25"

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, name: str | None = None, *, ax: Any = None, **kwargs: Any) -> Any:
        """Classic enrichment plot (running sum + hits) of ``name`` (default: top set)."""

        from repurposekit.plot.omics import gsea_plot

        return gsea_plot(self, name or self.table["set"].iloc[0], ax=ax, **kwargs)


def gsea_preranked(
    ranking: pd.Series,
    gene_sets: GeneSets | Mapping[str, Any],
    *,
    permutations: int = 1000,
    weight: float = 1.0,
    min_size: int = 15,
    max_size: int = 500,
    rng: np.random.Generator | int | None = None,
) -> GSEAResult:
    r"""Preranked gene-set enrichment analysis as the GSEA desktop application computes it.

    Parameters
    ----------
    ranking : pandas.Series
        Ranking metric per gene (index = genes), e.g. a DE t-statistic or signed −log10 p.
    gene_sets : GeneSets or dict
    permutations : int
        Gene-set permutations for the null (preranked GSEA permutes gene sets).
    weight : float
        Exponent p of the weighted running sum (GSEA "weighted" = 1; 0 = classic KS).
    min_size, max_size : int
        Set-size limits after matching to the ranking (GSEA defaults 15 and 500).
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    GSEAResult

    Notes
    -----
    ES: maximum deviation from zero of the running sum, stepping up by
    :math:`|r_j|^p/\sum_{S}|r|^p` at members and down by :math:`1/(N-N_H)` otherwise.
    NES = ES / mean(null ES of the same sign); nominal p = fraction of same-sign null ES at
    least as extreme; FDR q for NES* ≥ 0 =
    [#(all null NES ≥ NES*)/#(all null NES ≥ 0)] / [#(observed NES ≥ NES*)/#(observed NES ≥ 0)]
    (mirror for negative), capped at 1; FWER p = fraction of permutations whose largest
    same-sign null NES over all sets is ≥ NES*. These reproduce GSEA desktop's EDB values
    given its null ES.

    References
    ----------
    Subramanian A et al. (2005) PNAS 102:15545–15550.
    """
    if not isinstance(ranking, pd.Series):
        msg = "ranking must be a pandas Series: metric values indexed by gene."
        raise DataValidationError(msg)
    r = pd.to_numeric(ranking, errors="coerce")
    if r.isna().any():
        msg = f"ranking has missing or non-numeric values (e.g. gene {r.index[r.isna()][0]!r})."
        raise DataValidationError(msg)
    r.index = r.index.astype(str)
    if r.index.duplicated().any():
        msg = f"ranking has duplicated genes (e.g. {r.index[r.index.duplicated()][0]!r}); collapse them first."
        raise DataValidationError(msg)
    r = r.sort_values(ascending=False, kind="stable")
    gs = as_gene_sets(gene_sets)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    m = gs.match(list(r.index))
    metric = r.to_numpy(float)
    aw = np.abs(metric) ** weight
    names, es, hits, nulls, nes, pv, null_nes, rank_at, lead = [], [], {}, {}, [], [], [], [], []
    for name in gs.names:
        pos = np.sort(m.indices[name])
        if not (min_size <= pos.size <= max_size) or pos.size >= metric.size:
            continue
        hit = np.zeros(metric.size, dtype=bool)
        hit[pos] = True
        rs = K.gsea_running_sum(metric, hit, weight=weight)
        i = int(np.argmax(np.abs(rs)))
        e = float(rs[i])
        null = K.gsea_null_es(aw, pos.size, permutations, rng)
        n_, p_, nn = K.gsea_nes_p(e, null)
        names.append(name)
        es.append(e)
        hits[name] = pos
        nulls[name] = null
        nes.append(n_)
        pv.append(p_)
        null_nes.append(nn)
        rank_at.append(i)
        le = pos[pos <= i] if e >= 0 else pos[pos >= i]
        lead.append(",".join(r.index[le][:50]))
    if not names:
        msg = f"no gene set has between {min_size} and {max_size} genes in the ranking."
        raise DataValidationError(msg)
    nes_a = np.array(nes)
    table = pd.DataFrame(
        {
            "set": names,
            "size": [hits[n].size for n in names],
            "es": es,
            "nes": nes_a,
            "p_value": pv,
            "fdr_q": K.gsea_fdr(nes_a, null_nes),
            "fwer_p": K.gsea_fwer(nes_a, null_nes),
            "rank_at_max": rank_at,
            "leading_edge": lead,
        }
    ).sort_values("nes", ascending=False, kind="stable", ignore_index=True)
    st = _settings(permutations=permutations, weight=weight, min_size=min_size, max_size=max_size)
    return GSEAResult(table=table, ranking=r, hits=hits, null_es=nulls, weight=weight, settings=st)
