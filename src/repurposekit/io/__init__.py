"""Readers and writers for the formats users already have; unit conversion happens here.

One module per domain (``io/plates.py``, ``io/synergy.py``, ``io/images.py`` …). Readers never
modify the file they read, convert units once to the canonical ones (:mod:`repurposekit.units`)
and record the original unit.
"""
