"""clinic (under construction)."""
