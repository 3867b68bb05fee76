"""imaging (under construction)."""
