"""knowledge (under construction)."""
