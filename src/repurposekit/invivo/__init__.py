"""invivo (under construction)."""
