"""Benchmark of scoring the champion: one raw applicant row and a batch, through the pyfunc, the unwrapped
pipeline, the REST endpoint, and the app's what-if path.

* pyfunc, one row: `mlflow.pyfunc.load_model(<champion>).predict(one row)` (application columns + side
  aggregates, as JSON gives them: floats, text, None), over random production rows. Goal: p50 <= 5 ms,
  p95 <= 10 ms.
* unwrapped: `ScoringPipeline.predict(one row)` (no MLflow around it). For reference.
* pyfunc batch: every production row at once (4,755 for the default dataset). Goal: >= 50,000 rows/s.
* what-if: `ScoringService.score_fields` of a known client with one edited field (the row rebuilt and
  preprocessed, the score and the SHAP reasons). Goal: <= 10 ms (p50).
* REST: `credit-scoring serve`'s command (mlflow models serve) on a free loopback port, one row per POST
  /invocations over one kept-alive connection, as MLflow's `inputs` (column name -> values; goal: p50 <= 20
  ms round trip) and as `dataframe_split` (for reference). The answers are compared with the pyfunc's on the
  same rows.

Each figure is printed with its goal and the load average when it was measured. It serves the champion of
the configured MLflow store (MLFLOW_TRACKING_URI, else registry.tracking_uri) on the configured stage outputs
(params.yaml plus KEY=VALUE overrides), like the app:

    uv run python benchmarks/serving.py
    uv run python benchmarks/serving.py --calls 200 --no-rest
    MLFLOW_TRACKING_URI=sqlite:////tmp/x/mlflow.db uv run python benchmarks/serving.py paths.ingest=/tmp/x/ingest
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import load_average, machine_note, met

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = Path(__file__).parent / "out"
GOAL_ONE_ROW_P50_MS, GOAL_ONE_ROW_P95_MS = 5.0, 10.0
GOAL_BATCH_ROWS_PER_S = 50_000.0
GOAL_WHAT_IF_P50_MS = 10.0
GOAL_REST_P50_MS = 20.0
STARTUP_TIMEOUT = 300.0
WARM_UP = 20


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds, dtype="float64") * 1000
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "load_average": load_average(),
    }


def timed(call, inputs: list) -> dict[str, float]:
    for x in inputs[:WARM_UP]:
        call(x)
    times = []
    for x in inputs:
        start = time.perf_counter()
        call(x)
        times.append(time.perf_counter() - start)
    return percentiles(times)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rest_figures(ref, rest, uri: str, payloads: dict[str, list[str]], expected: np.ndarray) -> dict:
    """Start the scoring server, POST one row at a time in each payload format, stop it; latency and the
    largest gap to pyfunc per format."""
    from credit_scoring.tracking.rest import INVOCATIONS, PING, serve_command, serve_environment

    rest = dataclasses.replace(rest, host="127.0.0.1", port=free_port())
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    log = OUT_DIR / "serving_server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            serve_command(ref.version_uri, rest),
            env=serve_environment(uri, dict(os.environ)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the scoring server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection(rest.host, rest.port, timeout=30)
                conn.request("GET", PING)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the scoring server did not start within {STARTUP_TIMEOUT:.0f} s")
            time.sleep(1)
        conn = http.client.HTTPConnection(rest.host, rest.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        got = []

        def post(body: str) -> None:
            conn.request("POST", INVOCATIONS, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read()
            if response.status != 200:
                raise SystemExit(f"POST {INVOCATIONS}: HTTP {response.status}: {text[:500]!r}")
            got.append(json.loads(text)["predictions"][0]["probability"])

        result = {}
        for name, bodies in payloads.items():
            figures = timed(post, bodies)
            answers = np.asarray(got[-len(bodies) :], dtype="float64")
            figures["max_abs_diff_to_pyfunc"] = float(np.max(np.abs(answers - expected)))
            result[name] = figures
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(overrides: list[str], calls: int, seed: int, rest: bool) -> dict:
    from mlflow import MlflowClient

    from credit_scoring.config import DEFAULT_PARAMS_FILE, load_config
    from credit_scoring.io.catalog import Catalog
    from credit_scoring.serving.clients import ClientStore
    from credit_scoring.serving.results import PRODUCTION
    from credit_scoring.serving.service import ScoringService
    from credit_scoring.tracking.champion import load_pipeline, require_champion
    from credit_scoring.tracking.model_log import json_ready
    from credit_scoring.tracking.rest import columnar_inputs, dataframe_split
    from credit_scoring.tracking.store import tracking_uri, use_tracking_uri

    cfg = load_config(ROOT / DEFAULT_PARAMS_FILE, [*overrides, "serving.reload_seconds=0"])
    uri = tracking_uri(cfg.registry, root=ROOT)
    use_tracking_uri(uri)
    ref = require_champion(MlflowClient(tracking_uri=uri, registry_uri=uri), cfg.registry, uri)
    pyfunc, pipeline = load_pipeline(ref.version_uri)
    store = ClientStore.from_stage_outputs(Catalog(cfg.paths), cfg.dataset, cfg.features)
    production = np.flatnonzero(store.source == PRODUCTION)
    rows = json_ready(store.rows(production if len(production) else np.arange(len(store))))
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(rows), size=min(calls, len(rows)), replace=len(rows) < calls)
    ones = [rows.iloc[[i]].reset_index(drop=True) for i in picked]
    result: dict = {"model": f"{ref.name} version {ref.version}", "columns": rows.shape[1]}
    result["pyfunc_one_row"] = timed(pyfunc.predict, ones)
    result["unwrapped_one_row"] = timed(pipeline.predict, ones)
    batch_seconds = []
    for _ in range(3):
        start = time.perf_counter()
        batch = pyfunc.predict(rows)
        batch_seconds.append(time.perf_counter() - start)
    result["pyfunc_batch"] = {
        "rows": len(rows),
        "rows_per_s": round(len(rows) / min(batch_seconds), 0),
        "load_average": load_average(),
    }
    one_by_one = np.array([pyfunc.predict(x)["probability"].iloc[0] for x in ones[:200]])
    batch_p = batch["probability"].to_numpy()[picked[:200]]
    result["max_abs_diff_one_row_vs_batch"] = float(np.max(np.abs(one_by_one - batch_p)))

    service = ScoringService(cfg)
    ids = [int(store.ids[production[i]] if len(production) else store.ids[i]) for i in picked]
    edited = [{cfg.dataset.id: cid, "AMT_CREDIT": 500000.0} for cid in ids]
    result["what_if"] = timed(service.score_fields, edited)
    if rest:
        payloads = {
            "inputs": [columnar_inputs(x) for x in ones],
            "dataframe_split": [dataframe_split(x) for x in ones],
        }
        expected = np.array([pyfunc.predict(x)["probability"].iloc[0] for x in ones])
        figures = rest_figures(ref, cfg.serving.rest, uri, payloads, expected)
        result["rest_one_row"], result["rest_one_row_dataframe_split"] = (
            figures["inputs"],
            figures["dataframe_split"],
        )
    return result


def report(result: dict) -> str:
    one, raw, batch, what_if = (
        result[k] for k in ("pyfunc_one_row", "unwrapped_one_row", "pyfunc_batch", "what_if")
    )
    lines = [
        f"Champion {result['model']}, {result['columns']} input columns; {machine_note()}",
        "",
        "| figure | measured | goal | | load average |",
        "|---|---|---|---|---|",
        f"| pyfunc, one row | p50 {one['p50_ms']} ms, p95 {one['p95_ms']} ms | p50 <= {GOAL_ONE_ROW_P50_MS:g} ms, "
        f"p95 <= {GOAL_ONE_ROW_P95_MS:g} ms | "
        f"{met(one['p50_ms'] <= GOAL_ONE_ROW_P50_MS and one['p95_ms'] <= GOAL_ONE_ROW_P95_MS)} | "
        f"{one['load_average']} |",
        f"| unwrapped ScoringPipeline.predict, one row | p50 {raw['p50_ms']} ms, p95 {raw['p95_ms']} ms | — | | "
        f"{raw['load_average']} |",
        f"| pyfunc batch, {batch['rows']:,} rows | {batch['rows_per_s']:,.0f} rows/s | >= "
        f"{GOAL_BATCH_ROWS_PER_S:,.0f} rows/s | {met(batch['rows_per_s'] >= GOAL_BATCH_ROWS_PER_S)} | "
        f"{batch['load_average']} |",
        f"| app what-if (one edited row, score + reasons) | p50 {what_if['p50_ms']} ms, p95 {what_if['p95_ms']} ms "
        f"| p50 <= {GOAL_WHAT_IF_P50_MS:g} ms | {met(what_if['p50_ms'] <= GOAL_WHAT_IF_P50_MS)} | "
        f"{what_if['load_average']} |",
    ]
    if "rest_one_row" in result:
        r, split = result["rest_one_row"], result["rest_one_row_dataframe_split"]
        lines.append(
            f"| REST (mlflow models serve), POST one row as `inputs` | p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms "
            f"| p50 <= {GOAL_REST_P50_MS:g} ms | {met(r['p50_ms'] <= GOAL_REST_P50_MS)} | {r['load_average']} |"
        )
        lines.append(
            f"| same, as `dataframe_split` (for reference) | p50 {split['p50_ms']} ms, p95 {split['p95_ms']} ms "
            f"| — | | {split['load_average']} |"
        )
    lines += [
        "",
        f"Largest |probability difference|: one row vs batch {result['max_abs_diff_one_row_vs_batch']:.2e}"
        + (
            f", REST vs pyfunc {result['rest_one_row']['max_abs_diff_to_pyfunc']:.2e} (inputs), "
            f"{result['rest_one_row_dataframe_split']['max_abs_diff_to_pyfunc']:.2e} (dataframe_split)"
            if "rest_one_row" in result
            else ""
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--calls", type=int, default=500, help="one-row calls per figure (random production rows)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-rest", action="store_true", help="skip the REST endpoint")
    ap.add_argument("--json", action="store_true", help="print the JSON result instead of the table")
    ap.add_argument("overrides", nargs="*", help="configuration overrides (KEY=VALUE, e.g. paths.ingest=...)")
    args, _ignored = ap.parse_known_args(argv)  # `make bench` passes the other benchmarks' options too
    overrides = [o for o in args.overrides if "=" in o]

    from credit_scoring.errors import CreditScoringError

    try:
        result = measure(overrides, args.calls, args.seed, rest=not args.no_rest)
    except CreditScoringError as exc:  # no champion yet (make run), no stage outputs, bad overrides
        print(f"serving benchmark SKIPPED: {exc}", file=sys.stderr)
        return 0
    text = report(result)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "serving.json").write_text(json.dumps(result, indent=2) + "\n")
    (OUT_DIR / "serving.md").write_text(text + "\n")
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
