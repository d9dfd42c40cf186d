"""Data files of the generator: the Home Credit spec (columns, marginals, volumes) and the design of the planted signal."""
