"""CTCAE grading of laboratory values (ALT, AST, total bilirubin, CPK)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from repurposekit._exceptions import DataValidationError
from repurposekit._provenance import settings as _settings
from repurposekit.knowledge._clinical import Band, LabTest, load_ctcae

__all__ = ["LabGrade", "grade_lab", "grade_labs"]


@dataclass(frozen=True, eq=False)
class LabGrade:
    """CTCAE grade of one laboratory value.

    Attributes
    ----------
    test : str
        Canonical test id (``ALT``, ``AST``, ``BILIRUBIN``, ``CPK``).
    value, uln : float
        The value and the upper limit of normal, in the same unit.
    baseline : float or None
        Baseline value (same unit) when given.
    grade : int
        CTCAE grade 0–4.
    ratio : float
        ``value / reference`` where the reference is the ULN or (baseline-abnormal rule) the baseline.
    reference : str
        ``"ULN"`` or ``"baseline"``.
    band : str
        The band that applied, e.g. ``">5.0 x ULN"``.
    """

    test: str
    term: str
    value: float
    uln: float
    baseline: float | None
    grade: int
    ratio: float
    reference: str
    band: str
    category: str
    role: str
    cite: str
    settings: Any

    def summary(self) -> str:
        """One line, e.g. ``ALT 201 (5.03 x ULN): grade 3 (CTCAE v5.0, >5.0 x ULN)``."""
        return (
            f"{self.test} {self.value:g} ({self.ratio:.3g} x {self.reference}): grade {self.grade} "
            f"(CTCAE v{self.settings['ctcae_version']}, {self.band})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON)."""
        return {
            "test": self.test,
            "term": self.term,
            "value": self.value,
            "uln": self.uln,
            "baseline": self.baseline,
            "grade": self.grade,
            "ratio": self.ratio,
            "reference": self.reference,
            "band": self.band,
            "ctcae_version": self.settings["ctcae_version"],
            "cite": self.cite,
        }


def _decimal(x: Any, name: str, where: str) -> Decimal:
    if isinstance(x, bool) or x is None:
        msg = f"{where}{name} is missing or not a number ({x!r}); give a positive number."
        raise DataValidationError(msg)
    try:
        xf = float(x)
    except (TypeError, ValueError):
        msg = f"{where}{name} {x!r} is not a number."
        raise DataValidationError(msg) from None
    if not math.isfinite(xf) or xf < 0:
        msg = f"{where}{name} must be a finite number >= 0, got {x!r}."
        raise DataValidationError(msg)
    try:  # exact decimal arithmetic so that 5 x ULN is exactly on the band edge
        return Decimal(str(x)) if not isinstance(x, float) else Decimal(repr(x))
    except InvalidOperation:  # pragma: no cover - float() above already rejected these
        msg = f"{where}{name} {x!r} is not a number."
        raise DataValidationError(msg) from None


def _apply(bands: tuple[Band, ...], ratio: Decimal) -> tuple[int, str]:
    grade, label = 0, "within normal limits"
    for b in bands:
        if ratio > b.bound or (b.inclusive and ratio == b.bound):
            grade, label = b.grade, f"{'>=' if b.inclusive else '>'}{b.bound} x"
    return grade, label


def grade_lab(
    test: str,
    value: float,
    *,
    uln: float,
    baseline: float | None = None,
    ctcae_version: str = "5.0",
    source: str = "",
) -> LabGrade:
    """Grade one laboratory value by CTCAE.

    Parameters
    ----------
    test : str
        ``ALT``, ``AST``, ``bilirubin`` or ``CPK`` (aliases such as ``CK``, ``SGPT`` accepted).
    value : float
        Measured value, same unit as ``uln``.
    uln : float
        Upper limit of normal of the laboratory that measured ``value``. Required.
    baseline : float, optional
        Pre-treatment value. For ALT, AST and bilirubin, when the baseline is above the ULN
        the CTCAE v5.0 baseline-abnormal bands (multiples of baseline) are used.
    ctcae_version : str
        Version of the grading table (built-in: ``"5.0"``) or the path of a YAML file.
    source : str
        Where the value came from (named in error messages).

    Returns
    -------
    LabGrade

    Notes
    -----
    Grade :math:`g` applies when :math:`v / r` exceeds the lower bound of band :math:`g`
    (strictly, ``>``; the ALT/AST baseline-abnormal grade 1 band is inclusive,
    ``1.5 - 3.0 x baseline``); the reported grade is the highest band that applies. The
    comparison is done in exact decimal arithmetic so a value of exactly 5 x ULN is grade 2.

    References
    ----------
    National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) v5.0 (2017).

    Examples
    --------
    >>> grade_lab("ALT", 200, uln=40).grade, grade_lab("ALT", 201, uln=40).grade
    (2, 3)
    >>> grade_lab("CPK", 1000, uln=200).grade  # 5 x ULN is the top of grade 2
    2
    """
    where = f"{source}: " if source else ""
    table = load_ctcae(ctcae_version)
    lab: LabTest = table.test(test)
    v = _decimal(value, f"{lab.id} value", where)
    if uln is None:
        msg = (
            f"{where}{lab.id} value {value!r} has no ULN; give the upper limit of normal of the "
            f"reporting laboratory (e.g. uln: 40)."
        )
        raise DataValidationError(msg)
    u = _decimal(uln, f"{lab.id} ULN", where)
    if u == 0:
        msg = f"{where}{lab.id} ULN must be > 0, got {uln!r}."
        raise DataValidationError(msg)
    reference, bands, ref_value = "ULN", lab.uln_bands, u
    if baseline is not None:
        b = _decimal(baseline, f"{lab.id} baseline", where)
        if lab.baseline_bands is not None and b > u:
            reference, bands, ref_value = "baseline", lab.baseline_bands, b
    ratio = v / ref_value
    grade, band = _apply(bands, ratio)
    if grade:
        band = f"{band} {reference}"
    return LabGrade(
        test=lab.id,
        term=lab.term,
        value=float(value),
        uln=float(uln),
        baseline=None if baseline is None else float(baseline),
        grade=grade,
        ratio=float(ratio),
        reference=reference,
        band=band,
        category=lab.category,
        role=lab.role,
        cite=lab.cite,
        settings=_settings(ctcae_version=table.version, test=lab.id),
    )


def grade_labs(
    data: pd.DataFrame,
    *,
    test: str = "test",
    value: str = "value",
    uln: str = "uln",
    baseline: str | None = "baseline",
    ctcae_version: str = "5.0",
) -> pd.DataFrame:
    """Grade a tidy table of laboratory values (one row per value).

    Parameters
    ----------
    data : DataFrame
        Columns ``test``, ``value``, ``uln`` and optionally ``baseline``.
    test, value, uln, baseline : str
        Column names.
    ctcae_version : str
        CTCAE version or YAML path.

    Returns
    -------
    DataFrame
        ``data`` (copied) plus ``grade``, ``ratio``, ``reference`` and ``band``. A row that
        cannot be graded raises :class:`DataValidationError` naming the row.

    Examples
    --------
    >>> df = pd.DataFrame({"test": ["ALT", "CPK"], "value": [201, 2001], "uln": [40, 200]})
    >>> grade_labs(df)["grade"].tolist()
    [3, 4]
    """
    from repurposekit._validate import require_columns

    require_columns(data, [test, value, uln])
    has_base = baseline is not None and baseline in data.columns
    rows = []
    for i, (idx, r) in enumerate(data.iterrows()):
        base = r[baseline] if has_base and pd.notna(r[baseline]) else None
        u = r[uln] if pd.notna(r[uln]) else None
        g = grade_lab(
            r[test],
            r[value],
            uln=u,  # type: ignore[arg-type]
            baseline=base,
            ctcae_version=ctcae_version,
            source=f"row {i + 1} (index {idx!r})",
        )
        rows.append({"grade": g.grade, "ratio": g.ratio, "reference": g.reference, "band": g.band})
    out = data.copy()
    extra = pd.DataFrame(rows, index=data.index)
    for c in extra.columns:
        out[c] = extra[c]
    return out
