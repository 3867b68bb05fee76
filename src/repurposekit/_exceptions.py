"""Exceptions and warnings of RepurposeKit.

Hierarchy::

    RepurposeKitError (Exception)
    ├── DataValidationError (also ValueError)  bad user input: names the file, row/column and the fix
    ├── FitError                               a model could not be fitted (only with ``strict=True``)
    └── RuleError                              a clinical rule table is malformed or no rule applies

    RepurposeKitWarning (UserWarning)
    ├── ConvergenceWarning                     a fit did not converge; the result is flagged, not dropped
    └── StatisticalWarning                     a statistic is computed but should be read with care

The command line turns :class:`DataValidationError` (and any :class:`RepurposeKitError`)
into a one-line message and exit code 2.
"""

from __future__ import annotations

import warnings
from pathlib import Path

__all__ = [
    "ConvergenceWarning",
    "DataValidationError",
    "FitError",
    "RepurposeKitError",
    "RepurposeKitWarning",
    "RuleError",
    "StatisticalWarning",
    "warn",
]


class RepurposeKitError(Exception):
    """Base class of every error raised on purpose by RepurposeKit."""


class DataValidationError(RepurposeKitError, ValueError):
    """User input is malformed; the message names where (file, row, column) and how to fix it."""


class FitError(RepurposeKitError):
    """A model could not be fitted and ``strict=True`` was asked for."""


class RuleError(RepurposeKitError):
    """A rule table is malformed, or an input matches no rule where one is required."""


class RepurposeKitWarning(UserWarning):
    """Base class of RepurposeKit warnings."""


class ConvergenceWarning(RepurposeKitWarning):
    """A fit did not converge; the result carries ``converged=False`` and a message."""


class StatisticalWarning(RepurposeKitWarning):
    """A statistic was computed under conditions that make it unreliable."""


_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def warn(
    message: str, category: type[Warning] = RepurposeKitWarning, *, stacklevel: int = 2
) -> None:
    """Issue a warning that points at the user's code rather than ours."""
    try:
        warnings.warn(message, category, skip_file_prefixes=(_PACKAGE_DIR,))
    except TypeError:  # Python < 3.12 has no skip_file_prefixes
        warnings.warn(message, category, stacklevel=stacklevel + 1)
