"""funds models."""
