"""Old module paths, for models pickled before the package was split by concern.

A registered champion's pickle names the classes it holds by module path (``credit_scoring.inference.
ScoringPipeline``, ``credit_scoring.models.LightGBMModel``, ...). Those modules moved; `install` puts a finder on
`sys.meta_path` that answers each old path with a proxy module whose attributes are the new module's, so an
old champion unpickles into today's classes (same objects, no copies). Old paths that are packages now
(``credit_scoring.config``, ``credit_scoring.features``) serve their old names from the package itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

# old module -> new module (only modules whose classes can be inside a logged model)
MOVED_MODULES = {
    "credit_scoring.inference": "credit_scoring.scoring.pipeline",
    "credit_scoring.models": "credit_scoring.modelling.models",
    "credit_scoring.calibration": "credit_scoring.modelling.calibration",
    "credit_scoring.modelling_config": "credit_scoring.config.modelling",
}
# names an old module that is a package now served: package -> {name: new module}
MOVED_NAMES = {
    "credit_scoring.features": {"CategoricalEncoder": "credit_scoring.features.encoding"},
}


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finder and loader of the old module paths."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return types.ModuleType(spec.name, f"Old path of {MOVED_MODULES[spec.name]} (pickled models).")

    def exec_module(self, module: types.ModuleType) -> None:
        target = importlib.import_module(MOVED_MODULES[module.__name__])
        module.__getattr__ = lambda name: getattr(target, name)  # type: ignore[method-assign]


def moved_name(package: str, name: str) -> Any:
    """The object an old module's `name` now is, for a package's module-level ``__getattr__``."""
    home = MOVED_NAMES.get(package, {}).get(name)
    if home is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def install() -> None:
    """Answer the old module paths (idempotent)."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())
