"""plates (under construction)."""
