"""Embedded Home Credit-shaped dataset generator (deterministic, with a planted signal and an oracle file)."""

from credit_scoring.generator.config import GenerationResult, GeneratorConfig
from credit_scoring.generator.core import GeneratorError, generate, generate_batches, simulate

__all__ = [
    "GenerationResult",
    "GeneratorConfig",
    "GeneratorError",
    "generate",
    "generate_batches",
    "simulate",
]
