"""Credit-scoring MLOps reference system on the Home Credit Default Risk schema."""

__version__ = "0.1.0"
