"""curves (under construction)."""
