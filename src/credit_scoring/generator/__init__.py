"""Embedded Home Credit-shaped dataset generator (deterministic, with a planted signal and an oracle file)."""

from credit_scoring.generator.config import GenerationResult, GeneratorConfig

__all__ = ["GenerationResult", "GeneratorConfig", "GeneratorError", "generate"]


class GeneratorError(ValueError):
    """A generation request that cannot be carried out (bad argument, unwritable folder)."""


def generate(cfg, out_dir, oracle_dir, progress=None):  # pragma: no cover - replaced by the real implementation
    raise NotImplementedError("generator orchestration is being written")
