"""TODO stages."""
