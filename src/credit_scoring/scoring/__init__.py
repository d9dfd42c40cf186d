"""TODO scoring."""
