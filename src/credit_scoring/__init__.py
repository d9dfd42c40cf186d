"""Credit-scoring MLOps reference system on the Home Credit Default Risk schema.

Sub-packages by concern (docs/architecture.md): config, io, data, features, modelling, scoring, tracking,
stages, serving, monitoring, reporting, generator, cli; `legacy` keeps pickled models of older layouts loading.
"""

from credit_scoring import legacy

__version__ = "0.1.0"

legacy.install()
