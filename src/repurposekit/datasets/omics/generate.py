"""Regenerate the SIMULATED omics demo data in this folder (``python generate.py``).

Everything written here is synthetic (CC0); no patient data. See PROVENANCE.md.

1. ``expression.tsv.gz`` + ``clinical.tsv`` — a breast-cancer-like cohort of 150 tumours ×
   3,000 genes (real HGNC symbols taken from the built-in gene sets) with log2-scale values
   driven by four latent programmes, and overall survival in months that depends on the
   proliferation programme **only**:

   * ``stroma`` (focal adhesion / FAK / integrin / ECM / EMT genes): varies between tumours,
     **no effect on survival**;
   * ``proliferation`` (Hallmark G2M checkpoint, E2F targets, mitotic spindle): log hazard
     ratio ``BETA_PROLIFERATION`` per SD of the latent programme;
   * ``oestrogen`` (Hallmark oestrogen response early/late): correlated −0.45 with
     proliferation (ER-low tumours proliferate more), no direct effect on survival; the
     clinical column ``erlev`` (0–3) is this programme cut at −0.6, 0, 0.6;
   * ``immune`` (interferon α/γ, allograft rejection): no effect.

   A gene that belongs to several programmes follows the first in the order above, so the
   FAK/ECM sets contain no proliferation-driven gene.
2. ``acc_simulated_segments.tsv`` + ``acc_simulated_biomarkers.tsv`` — 228 ACC-like patients:
   PTK2 copy-number segments (~44 % gain), KRAS mutation, pY397-FAK H-score, FAK score and
   overall survival.

The output is deterministic for a given NumPy version (``numpy.random.default_rng``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261125
N_TUMOURS = 150
N_GENES = 3000
#: true log hazard ratio per SD of the latent proliferation programme (HR ≈ 1.73)
BETA_PROLIFERATION = 0.55
#: correlation between the oestrogen and proliferation programmes
RHO_ER_PROLIFERATION = -0.45

FAK_ECM_SETS = "fak_ecm"  # the whole built-in C2 collection (31 sets)
PROGRAMMES: dict[str, tuple[str, ...]] = {
    "stroma": ("HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION",),  # + every fak_ecm set
    "proliferation": (
        "HALLMARK_G2M_CHECKPOINT",
        "HALLMARK_E2F_TARGETS",
        "HALLMARK_MITOTIC_SPINDLE",
    ),
    "oestrogen": ("HALLMARK_ESTROGEN_RESPONSE_EARLY", "HALLMARK_ESTROGEN_RESPONSE_LATE"),
    "immune": (
        "HALLMARK_INTERFERON_GAMMA_RESPONSE",
        "HALLMARK_INTERFERON_ALPHA_RESPONSE",
        "HALLMARK_ALLOGRAFT_REJECTION",
    ),
}
#: sets whose every member is on the simulated array (the demo's key readouts)
KEY_SETS = (
    "HALLMARK_G2M_CHECKPOINT",
    "HALLMARK_E2F_TARGETS",
    "HALLMARK_ESTROGEN_RESPONSE_EARLY",
    "HALLMARK_ESTROGEN_RESPONSE_LATE",
    "PID_FAK_PATHWAY",
    "REACTOME_MET_ACTIVATES_PTK2_SIGNALING",
    "REACTOME_INTEGRIN_SIGNALING",
    "WP_FOCAL_ADHESION",
)


def gene_programmes() -> tuple[list[str], dict[str, str]]:
    """(3,000 array genes, gene → programme) drawn from the built-in symbol gene sets."""
    from repurposekit.omics import builtin_gene_sets

    rng = np.random.default_rng(SEED)
    table = builtin_gene_sets("all_symbols").table
    members = table.groupby("set")["gene"].apply(list).to_dict()
    universe = sorted(set(table["gene"]))
    key = sorted({g for s in KEY_SETS for g in members[s]})
    rest = sorted(set(universe) - set(key))
    extra = rng.choice(rest, size=N_GENES - len(key), replace=False)
    genes = sorted({*key, *extra.tolist()})
    fak_ecm = set(builtin_gene_sets(FAK_ECM_SETS).table["set"])
    prog_sets = {k: set(v) for k, v in PROGRAMMES.items()}
    prog_sets["stroma"] |= fak_ecm
    prog: dict[str, str] = {}
    for name, sets in prog_sets.items():  # dict order = priority
        for s in sorted(sets):
            for g in members[s]:
                prog.setdefault(g, name)
    return genes, prog


def simulate_expression() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated (expression genes × tumours, clinical) tables; see the module docstring.

    Model, for gene g and tumour s: x_gs = μ_g + σ_g (a_g f_{p(g),s} + √(1 − a_g²) ε_gs), with
    μ_g ~ N(7.8, 2.0) clipped to [2, 14], σ_g log-normal (median 0.7), and for 70 % of the
    members of programme p(g) a loading a_g ~ U(0.35, 0.85) (0 otherwise). Survival:
    Weibull (shape 1.1) with hazard ∝ exp(BETA_PROLIFERATION · f_proliferation), censored
    uniformly between 30 and 130 months and administratively at 120 months.
    """
    genes, prog = gene_programmes()
    rng = np.random.default_rng(SEED + 1)
    n, g = N_TUMOURS, len(genes)
    er = rng.normal(size=n)
    prolif = RHO_ER_PROLIFERATION * er + np.sqrt(1 - RHO_ER_PROLIFERATION**2) * rng.normal(size=n)
    factors = {
        "stroma": rng.normal(size=n),
        "proliferation": prolif,
        "oestrogen": er,
        "immune": rng.normal(size=n),
    }
    mu = np.clip(rng.normal(7.8, 2.0, g), 2.0, 14.0)
    sigma = np.exp(rng.normal(np.log(0.7), 0.35, g))
    loads = rng.uniform(0.35, 0.85, g) * (rng.random(g) < 0.7)
    f = np.zeros((g, n))
    a = np.zeros(g)
    for i, gene in enumerate(genes):
        p = prog.get(gene)
        if p is not None:
            f[i] = factors[p]
            a[i] = loads[i]
    eps = rng.normal(size=(g, n))
    x = mu[:, None] + sigma[:, None] * (a[:, None] * f + np.sqrt(1 - a[:, None] ** 2) * eps)
    samples = [f"SIM{i:03d}" for i in range(1, n + 1)]
    expr = pd.DataFrame(np.round(np.clip(x, 0.0, None), 2), index=genes, columns=samples)
    expr.index.name = "gene"

    shape, scale = 1.1, 190.0  # months; about a third of tumours have an event
    u = rng.random(n)
    t_event = scale * (-np.log(u) / np.exp(BETA_PROLIFERATION * prolif)) ** (1 / shape)
    t_cens = np.minimum(rng.uniform(30.0, 130.0, n), 120.0)
    clin = pd.DataFrame(
        {
            "sample": samples,
            "event": (t_event <= t_cens).astype(int),
            "time": np.round(np.minimum(t_event, t_cens), 2),
            "erlev": np.digitize(er, [-0.6, 0.0, 0.6]),
        }
    )
    return expr, clin


def simulated_acc_cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """228 simulated ACC-like patients: (CBS segments on chr8, biomarker/outcome table)."""
    rng = np.random.default_rng(SEED)
    n = 228
    ids = [f"ACC{i:03d}" for i in range(1, n + 1)]
    gain = rng.random(n) < 0.44
    amp = gain & (rng.random(n) < 0.15)
    ptk2 = np.where(
        amp,
        rng.normal(1.25, 0.2, n),
        np.where(gain, rng.normal(0.5, 0.12, n), rng.normal(0.0, 0.1, n)),
    )
    # segments on chr8 around PTK2 (GRCh38 140,657,900-141,002,216): one covering segment per
    # sample, plus a neighbouring neutral segment
    rows = []
    for s, v in zip(ids, ptk2, strict=True):
        b = int(rng.integers(120_000_000, 140_000_000))
        rows.append(
            (
                s,
                "8",
                100_000_000,
                b,
                int(rng.integers(200, 800)),
                round(float(rng.normal(0, 0.05)), 4),
            )
        )
        rows.append((s, "8", b + 1, 145_138_636, int(rng.integers(200, 800)), round(float(v), 4)))
    seg = pd.DataFrame(
        rows, columns=["ID", "chrom", "loc.start", "loc.end", "num.mark", "seg.mean"]
    )
    kras = rng.random(n) < 0.10
    hscore = np.clip(np.round(rng.normal(90 + 70 * gain, 45)), 0, 300).astype(int)
    fak = rng.normal(0.3 * gain, 1.0)
    # survival: hazard higher with PTK2 gain and high pY397-FAK; months, 60-month follow-up
    lp = 0.5 * gain + 0.004 * (hscore - 100) + 0.2 * kras
    t_event = rng.exponential(40 * np.exp(-lp))
    t_cens = rng.uniform(12, 60, n)
    time = np.minimum(t_event, t_cens)
    bio = pd.DataFrame(
        {
            "patient": ids,
            "cohort": np.where(np.arange(n) < 114, "cohort A", "cohort B"),
            "kras_mutant": kras.astype(int),
            "pfak_y397_hscore": hscore,
            "fak_score": np.round(fak, 4),
            "os_months": np.round(time, 2),
            "death": (t_event <= t_cens).astype(int),
        }
    )
    return seg, bio


def main(out: Path = HERE) -> None:
    """Write the four files into ``out`` (default: this folder)."""
    out = Path(out)
    expr, clin = simulate_expression()
    expr.to_csv(out / "expression.tsv.gz", sep="\t", compression={"method": "gzip", "mtime": 0})
    clin.to_csv(out / "clinical.tsv", sep="\t", index=False)
    seg, bio = simulated_acc_cohort()
    seg.to_csv(out / "acc_simulated_segments.tsv", sep="\t", index=False)
    bio.to_csv(out / "acc_simulated_biomarkers.tsv", sep="\t", index=False)
    print(
        f"wrote {expr.shape[0]} genes × {expr.shape[1]} tumours ({int(clin['event'].sum())} "
        f"events) and {bio.shape[0]} ACC-like patients to {out}"
    )


if __name__ == "__main__":
    main()
