"""TODO modelling."""
