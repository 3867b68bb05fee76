"""Copy number: per-gene calls from segment or gene-level log2 ratios, and alteration frequency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings

__all__ = [
    "GENE_LOCATIONS_GRCH38",
    "CopyNumberCalls",
    "call_copy_number",
    "clopper_pearson",
    "proportion_table",
]

#: Gene locations (GRCh38, 1-based inclusive) used when segments are given.
#: PTK2: NCBI Gene 5747, NC_000008.11:140657900..141002216 (8q24.3).
GENE_LOCATIONS_GRCH38: dict[str, tuple[str, int, int]] = {
    "PTK2": ("8", 140_657_900, 141_002_216),
}

#: Default log2-ratio thresholds (tumour/normal). For a pure diploid tumour, log2(3/2) = 0.58
#: and log2(4/2) = 1; 0.3 and 1.0 leave room for stromal admixture and are the cut-offs
#: used by many cBioPortal-style pipelines for "gain" and "high-level amplification".
DEFAULT_THRESHOLDS = {"amplification": 1.0, "gain": 0.3, "loss": -0.3, "deep_deletion": -1.0}


def clopper_pearson(k: int, n: int, *, confidence_level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) confidence interval of a binomial proportion k/n.

    Examples
    --------
    >>> lo, hi = clopper_pearson(100, 228)
    >>> round(lo, 3), round(hi, 3)
    (0.373, 0.506)
    """
    if n <= 0 or not 0 <= k <= n:
        msg = f"need 0 ≤ k ≤ n and n > 0, got k={k}, n={n}."
        raise DataValidationError(msg)
    a = 1 - confidence_level
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def proportion_table(
    positive: pd.Series,
    *,
    by: pd.Series | None = None,
    confidence_level: float = 0.95,
    label: str = "positive",
) -> pd.DataFrame:
    """``n``, ``k``, percent and exact CI of a boolean per sample, overall or per ``by`` group."""
    pos = positive.astype(bool)
    groups = [("all", pos)] if by is None else [(str(k), pos[by == k]) for k in pd.unique(by)]
    rows = []
    for name, p in groups:
        n, k = int(p.size), int(p.sum())
        lo, hi = clopper_pearson(k, n, confidence_level=confidence_level)
        rows.append(
            {
                "cohort": name,
                "n": n,
                f"n_{label}": k,
                "percent": 100.0 * k / n,
                "ci_low_percent": 100 * lo,
                "ci_high_percent": 100 * hi,
                "text": f"{100 * k / n:.0f} % of {n} ({100 * lo:.0f}–{100 * hi:.0f} %)",
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class CopyNumberCalls:
    """Copy-number calls of one or more genes per sample.

    Attributes
    ----------
    table : pandas.DataFrame
        ``sample, gene, log2_ratio, call`` (+ ``cohort`` when given); ``call`` is one of
        ``amplification, gain, neutral, loss, deep_deletion`` (or ``no_data``).
    thresholds : dict
        The log2-ratio cut-offs used (≥ for gains, ≤ for losses).
    settings : mapping
    """

    table: pd.DataFrame
    thresholds: Mapping[str, float]
    settings: Mapping[str, Any]

    def frequency(
        self,
        *,
        calls: Sequence[str] = ("gain", "amplification"),
        by: str | None = "cohort",
        confidence_level: float = 0.95,
    ) -> pd.DataFrame:
        """Fraction of samples with any of ``calls`` per gene (and cohort), exact CI."""
        t = self.table[self.table["call"] != "no_data"]
        out = []
        for gene, g in t.groupby("gene", sort=False):
            pos = g["call"].isin(list(calls))
            grp = g[by] if (by and by in g.columns) else None
            ft = proportion_table(pos, by=grp, confidence_level=confidence_level, label="altered")
            ft.insert(0, "gene", gene)
            ft.insert(2, "alteration", "+".join(calls))
            out.append(ft)
        return pd.concat(out, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """The per-sample call table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """One line per gene."""
        f = self.frequency(by=None)
        return "; ".join(f"{r.gene} gain/amplification {r.text}" for r in f.itertuples())

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Bar chart of alteration frequency with CIs."""

        from repurposekit.plot.omics import cna_frequency

        return cna_frequency(self, ax=ax, **kwargs)


def _call(v: np.ndarray, th: Mapping[str, float]) -> np.ndarray:
    out = np.full(v.shape, "neutral", dtype=object)
    out[v >= th["gain"]] = "gain"
    out[v >= th["amplification"]] = "amplification"
    out[v <= th["loss"]] = "loss"
    out[v <= th["deep_deletion"]] = "deep_deletion"
    out[np.isnan(v)] = "no_data"
    return out


def call_copy_number(
    data: pd.DataFrame,
    *,
    genes: Sequence[str] = ("PTK2",),
    kind: str = "auto",
    thresholds: Mapping[str, float] | None = None,
    locations: Mapping[str, tuple[str, int, int]] | None = None,
    cohort: pd.Series | None = None,
) -> CopyNumberCalls:
    """Call gain/amplification/loss of genes from copy-number log2 ratios.

    Parameters
    ----------
    data : pandas.DataFrame
        Either **segments** (DNAcopy/CBS ``.seg`` layout: ``sample`` (or ``ID``),
        ``chrom``, ``start`` (``loc.start``), ``end`` (``loc.end``), ``log2_ratio``
        (``seg.mean``)), or **gene-level** long (``sample, gene, log2_ratio``) or wide
        (genes × samples, index = gene) log2 ratios.
    genes : sequence of str
        Genes to call.
    kind : {"auto", "segments", "gene_long", "gene_wide"}
    thresholds : dict, optional
        ``amplification, gain, loss, deep_deletion`` log2-ratio cut-offs; default
        :data:`DEFAULT_THRESHOLDS` (≥ 1.0 amplification, ≥ 0.3 gain, ≤ −0.3 loss,
        ≤ −1.0 deep deletion).
    locations : dict, optional
        ``{gene: (chrom, start, end)}`` for segment input (default: built-in GRCh38 PTK2).
        Use the genome build of your segments.
    cohort : pandas.Series, optional
        Cohort label per sample (for per-cohort frequencies).

    Returns
    -------
    CopyNumberCalls

    Notes
    -----
    With segments, a gene's log2 ratio is the overlap-length-weighted mean of the segments
    overlapping it in that sample (a sample with no overlapping segment gets ``no_data``).
    """
    th = dict(DEFAULT_THRESHOLDS)
    th.update(thresholds or {})
    if not th["deep_deletion"] <= th["loss"] < 0 < th["gain"] <= th["amplification"]:
        msg = f"thresholds must satisfy deep_deletion ≤ loss < 0 < gain ≤ amplification, got {th}."
        raise DataValidationError(msg)
    cols = {c.lower().replace(".", "_"): c for c in data.columns}
    if kind == "auto":
        if {"chrom", "start", "end"} <= set(cols) or {"chrom", "loc_start", "loc_end"} <= set(cols):
            kind = "segments"
        elif "gene" in cols and ("sample" in cols or "id" in cols):
            kind = "gene_long"
        else:
            kind = "gene_wide"
    rows = []
    if kind == "segments":
        ren = {}
        for want, alts in {
            "sample": ("sample", "id"),
            "chrom": ("chrom", "chromosome"),
            "start": ("start", "loc_start"),
            "end": ("end", "loc_end"),
            "log2_ratio": ("log2_ratio", "seg_mean", "segment_mean"),
        }.items():
            hit = next((cols[a] for a in alts if a in cols), None)
            if hit is None:
                msg = f"segment table lacks a {want!r} column (accepted: {alts}); it has {list(data.columns)}."
                raise DataValidationError(msg)
            ren[hit] = want
        seg = data.rename(columns=ren)[list(ren.values())].copy()
        seg["chrom"] = seg["chrom"].astype(str).str.replace("chr", "", regex=False)
        seg["sample"] = seg["sample"].astype(str)
        for c in ("start", "end", "log2_ratio"):
            seg[c] = pd.to_numeric(seg[c], errors="coerce")
        if seg[["start", "end", "log2_ratio"]].isna().any().any():
            i = int(np.argmax(seg[["start", "end", "log2_ratio"]].isna().any(axis=1).to_numpy()))
            msg = f"segment row {i + 2}: start, end or log2 ratio is missing or not a number."
            raise DataValidationError(msg)
        locs = {**GENE_LOCATIONS_GRCH38, **(locations or {})}
        samples = list(pd.unique(seg["sample"]))
        for gene in genes:
            if gene not in locs:
                msg = f"no location for gene {gene!r}; pass locations={{'{gene}': (chrom, start, end)}}."
                raise DataValidationError(msg)
            ch, gs, ge = locs[gene]
            s = seg[seg["chrom"] == str(ch).replace("chr", "")]
            ov = (np.minimum(s["end"], ge) - np.maximum(s["start"], gs) + 1).clip(lower=0)
            s = s.assign(_w=ov)[ov > 0]
            val = s.groupby("sample").apply(
                lambda d: float(np.average(d["log2_ratio"], weights=d["_w"])), include_groups=False
            )
            for smp in samples:
                rows.append((smp, gene, float(val.get(smp, np.nan))))
    elif kind == "gene_long":
        scol = cols.get("sample", cols.get("id"))
        vcol = next((cols[a] for a in ("log2_ratio", "value", "log2") if a in cols), None)
        if vcol is None:
            msg = f"gene-level table needs a 'log2_ratio' column; it has {list(data.columns)}."
            raise DataValidationError(msg)
        d = data[data[cols["gene"]].astype(str).isin(genes)]
        for r in d.itertuples(index=False):
            rr = r._asdict()
            rows.append(
                (
                    str(rr[scol]),
                    str(rr[cols["gene"]]),
                    float(pd.to_numeric(rr[vcol], errors="coerce")),
                )
            )
    else:
        idx = data.index.astype(str)
        for gene in genes:
            if gene not in set(idx):
                msg = f"gene {gene!r} is not in the copy-number matrix rows (e.g. {list(idx[:3])})."
                raise DataValidationError(msg)
            v = pd.to_numeric(data[idx == gene].iloc[0], errors="coerce")
            rows += [(str(s), gene, float(x)) for s, x in v.items()]
    if not rows:
        msg = f"no copy-number values found for {list(genes)}."
        raise DataValidationError(msg)
    table = pd.DataFrame(rows, columns=["sample", "gene", "log2_ratio"])
    table["call"] = _call(table["log2_ratio"].to_numpy(float), th)
    if cohort is not None:
        c = cohort.copy()
        c.index = c.index.astype(str)
        table["cohort"] = table["sample"].map(c).fillna("unassigned").astype(str)
    st = _settings(kind=kind, genes=list(genes), thresholds=th)
    return CopyNumberCalls(table=table, thresholds=th, settings=st)
