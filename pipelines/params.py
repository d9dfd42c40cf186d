"""Write params.yaml from conf/ (what DVC's Hydra integration writes on `dvc exp run`), checked by the schemas.

Usage, from the repository root: ``python pipelines/params.py [HYDRA_OVERRIDE ...]`` (e.g. ``features=minimal``);
``--check`` exits 1 if params.yaml is not what conf/ composes to (for CI). Reads ./conf, writes ./params.yaml.
params.yaml is committed and never edited by hand.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dvc.utils.hydra import compose_and_dump
from omegaconf import OmegaConf

from credit_scoring.config import DEFAULT_CONFIG_NAME, DEFAULT_PARAMS_FILE, to_config
from credit_scoring.errors import CreditScoringError

CONF_DIR = Path("conf")


def render(overrides: list[str]) -> str:
    """params.yaml's text for conf/ + overrides, composed exactly as `dvc exp run` does."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "params.yaml"
        compose_and_dump(out, str(CONF_DIR.resolve()), None, DEFAULT_CONFIG_NAME, str(Path.cwd()), overrides)
        text = out.read_text(encoding="utf-8")
    to_config(OmegaConf.create(text))  # schema check: a bad conf/ never reaches params.yaml
    return text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    overrides = [a for a in argv if a != "--check"]
    target = DEFAULT_PARAMS_FILE
    try:
        text = render(overrides)
    except CreditScoringError as exc:
        print(f"[params] FAILED: {exc}", file=sys.stderr)
        return 1
    if check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            print(
                f"[params] {target.name} is out of date with conf/: run `python pipelines/params.py`",
                file=sys.stderr,
            )
            return 1
        print(f"[params] {target.name} matches conf/")
        return 0
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
        print(f"[params] wrote {target.name}")
    else:
        print(f"[params] {target.name} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
