"""synergy (under construction)."""
