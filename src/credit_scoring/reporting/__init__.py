"""TODO reporting."""
