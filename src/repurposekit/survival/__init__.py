"""survival (under construction)."""
