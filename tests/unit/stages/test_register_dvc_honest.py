"""register and monitor stay honest with DVC (issue 15, item 1): register runs on every repro and writes the
live aliases; monitor depends on them, so it reruns when the served champion changes."""

from __future__ import annotations

from pathlib import Path

import yaml

from credit_scoring.config import compose_config
from credit_scoring.io.catalog import Catalog

ROOT = Path(__file__).resolve().parents[3]


def stages() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_register_always_runs_and_writes_the_live_aliases() -> None:
    register = stages()["register"]
    assert register.get("always_changed") is True
    catalog = Catalog(compose_config([]).paths)
    assert catalog.live_aliases.name == "champion.json" and catalog.live_aliases.stage == "register"
    assert "${paths.register}/champion.json" in register["outs"]


def test_stages_reading_the_champion_depend_on_the_live_aliases() -> None:
    for name in ("monitor", "validate"):  # each scores the version holding @champion
        assert "${paths.register}/champion.json" in stages()[name]["deps"], name


def test_auto_promote_is_on_for_the_demo_only() -> None:
    assert compose_config([]).registry.auto_promote is True
    assert compose_config(["dataset=single_table"]).registry.auto_promote is False
    assert compose_config(["dataset.demo=false"]).registry.auto_promote is False
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert params["registry"]["auto_promote"] is True and params["registry"]["four_eyes"] is True
