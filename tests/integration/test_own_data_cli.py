"""From a bank's own CSVs to a served champion with the documented commands, in a scratch project:
`credit-scoring dataset init` -> `python pipelines/params.py dataset=NAME paths.raw=...` -> `dvc repro register`
(the version takes @challenger: no auto-promotion on one's own data) -> `credit-scoring promote` by another
person -> `dvc repro` (monitor) -> the app, asked through gradio_client. Once with one table and no production table,
once with a production table of new applications."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 2_500
STARTUP_SECONDS = 180


def loan_book(n: int, seed: int, with_target: bool = True) -> pd.DataFrame:
    """A one-table portfolio: an id, a 0/1 default, numbers and text, no Home Credit column name."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    income = rng.lognormal(8, 0.6, n).round(2)
    frame = pd.DataFrame(
        {
            "loan_id": np.arange(seed * 100_000 + 1, seed * 100_000 + n + 1),
            "monthly_income": income,
            "loan_amount": (income * rng.lognormal(1.5 + 0.3 * risk, 0.4)).round(2),
            "score_a": (risk + rng.normal(size=n)).round(4),
            "score_b": (0.5 * risk + rng.normal(size=n)).round(4),
            "months_on_book": rng.integers(0, 240, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "has_mortgage": rng.choice(["Y", "N"], n),
        }
    )
    if with_target:
        frame.insert(1, "default", (rng.random(n) < 1 / (1 + np.exp(-(-2.2 + 1.6 * risk)))).astype(int))
    return frame


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, (args, done.stdout[-4000:], done.stderr[-4000:])
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("production", [False, True], ids=["one-table", "with-production"])
def test_csvs_to_a_served_champion(tmp_path: Path, repo_root: Path, production: bool) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(repo_root / "dvc.yaml", proj / "dvc.yaml")
    for folder in ("conf", "pipelines", "src", "app"):
        shutil.copytree(repo_root / folder, proj / folder, ignore=shutil.ignore_patterns("__pycache__"))
    raw = proj / "data" / "mybank"
    raw.mkdir(parents=True)
    loan_book(ROWS, 1).to_csv(raw / "loans.csv", index=False)
    if production:
        loan_book(500, 2, with_target=False).to_csv(raw / "new_loans.csv", index=False)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    py = sys.executable

    init = [py, "-m", "credit_scoring.cli.main", "dataset", "init", str(raw), "--name", "mybank"]
    init += ["--id", "loan_id", "--target", "default", "--out", str(proj / "conf" / "dataset")]
    run(init + (["--production", "new_loans"] if production else []), proj, env)
    assert (proj / "conf" / "dataset" / "mybank.yaml").is_file()
    settings = [
        "dataset=mybank",
        "paths.raw=data/mybank",
        "tuning=none",
        "monitoring.evidently.top_features=5",
    ]
    run([py, "pipelines/params.py", *settings], proj, env)
    run([py, "-m", "dvc", "init", "--no-scm", "-q"], proj, env)
    first = run([py, "-m", "dvc", "repro", "register"], proj, env)
    assert "took @challenger" in first.stdout, first.stdout[-3000:]
    promote = [py, "-m", "credit_scoring.cli.main", "promote", "--version", "1", "--approver", "risk.officer"]
    run(promote + ["--reason", "first model of this portfolio"], proj, env)
    repro = run([py, "-m", "dvc", "repro"], proj, env)
    stages = [line.split("'")[1] for line in repro.stdout.splitlines() if line.startswith("Running stage")]
    assert set(stages[-2:]) == {"monitor", "validate"} and "register" in stages, repro.stdout[-3000:]
    assert "was decided before" in repro.stdout, repro.stdout[-3000:]
    assert (proj / "reports" / "model_card.html").is_file() and (proj / "reports" / "index.html").is_file()

    from gradio_client import Client

    port = free_port()
    app = [py, "app/main.py", "--params", str(proj / "params.yaml"), f"serving.port={port}"]
    app += [f"paths.ingest={proj}/artifacts/ingest"]
    app += [f"paths.merge={proj}/artifacts/merge", f"registry.tracking_uri=sqlite:///{proj}/mlruns/mlflow.db"]
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen(app, cwd=proj, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, client = time.monotonic() + STARTUP_SECONDS, None
        while client is None and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()[-3000:]
            try:
                client = Client(
                    f"http://127.0.0.1:{port}", ssl_verify=ssl.create_default_context(), verbose=False
                )
            except Exception:
                time.sleep(2)
        assert client is not None, (tmp_path / "app.log").read_text()[-3000:]
        known = client.predict("100001", api_name="/score")
        assert 0 < known["probability"] < 1 and known["decision"] in ("granted", "refused")
        info = client.predict(api_name="/model_info")
        assert "credit_scoring-mybank" in str(info)
        if production:
            new = client.predict("200001", api_name="/score")
            assert new["source"] == "production"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
