"""omics (under construction)."""
