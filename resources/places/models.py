"""places models."""
