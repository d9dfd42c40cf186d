"""Benchmark of the relationship managers' app: latency of `score` (probability, decision and reasons).

* In process: `ScoringService.score_client` of one client (its precomputed feature row to the booster,
  the calibrator, the SHAP contributions and the plain-words reasons), over random clients. Target: p50
  under 20 ms. The what-if path (`score_fields`, which runs the pyfunc's preprocessing) is timed too.
* Round trip: the app started in a subprocess on a free loopback port (random credentials), `/score` called
  through gradio_client for --seconds per load (bounded by --max-requests per client):
  - one client program calling, in turn (so that all three see the same machine load), /score with
    gradio_client's defaults, /score with a reused SSL context (``Client(url, auth=...,
    ssl_verify=ssl.create_default_context())``: by default gradio_client builds a new TLS context twice per
    call, ~100 ms here, even over http), and /ping, which does nothing (the floor of Gradio's queue
    protocol and gradio_client's polling);
  - 10 client programs at once (one process each), with each client setup.
  Targets: p50 under 150 ms with one client, no errors with ten. For reference, the same endpoint over
  plain HTTP (the server's share of a round trip).

It serves the champion of the configured MLflow store (MLFLOW_TRACKING_URI, else registry.tracking_uri) on the
configured stage outputs (params.yaml plus KEY=VALUE overrides), like the app:

    uv run python benchmarks/app.py                               # 30 s per load, the project's champion
    uv run python benchmarks/app.py --seconds 10 --clients 10 20
    MLFLOW_TRACKING_URI=sqlite:////tmp/x/mlflow.db uv run python benchmarks/app.py paths.ingest=/tmp/x/ingest

Results are printed as a Markdown table and written to benchmarks/out/app.json and app.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import load_average, met

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = Path(__file__).parent / "out"
TARGET_IN_PROCESS_MS = 20.0
TARGET_ROUND_TRIP_P50_MS = 150.0
STARTUP_TIMEOUT = 600.0


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds, dtype="float64") * 1000
    if len(ms) == 0:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan"), "max_ms": float("nan")}
    return {
        "n": int(len(ms)),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def in_process(overrides: list[str], calls: int, seed: int) -> tuple[dict, list[int]]:
    """Latency of score + reasons for one client inside the process (the service built once)."""
    from credit_scoring.config import DEFAULT_PARAMS_FILE, load_config
    from credit_scoring.serving.service import ScoringService

    cfg = load_config(ROOT / DEFAULT_PARAMS_FILE, [*overrides, "serving.reload_seconds=0"])
    start = time.perf_counter()
    service = ScoringService(cfg)
    load_seconds = time.perf_counter() - start
    store = service.store
    assert store is not None
    rng = np.random.default_rng(seed)
    ids = [int(i) for i in rng.choice(store.ids, size=min(calls, len(store.ids)), replace=False)]
    for cid in ids[:20]:  # warm-up
        service.score_client(cid)
    times = []
    for cid in ids:
        t = time.perf_counter()
        service.score_client(cid)
        times.append(time.perf_counter() - t)
    what_if = []
    for cid in ids[:20]:
        t = time.perf_counter()
        service.score_fields({store.ds.id: cid, "AMT_CREDIT": 500000.0})
        what_if.append(time.perf_counter() - t)
    card = service.champion.card
    result = {
        "model": f"{card.model_name} version {card.version} ({card.model_kind})",
        "clients": len(store),
        "features": len(service.champion.feature_names),
        "load_seconds": round(load_seconds, 1),
        "score": percentiles(times),
        "what_if": percentiles(what_if),
    }
    return result, ids


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(overrides: list[str], log: Path) -> tuple[subprocess.Popen, str, tuple[str, str]]:
    import httpx

    port = free_port()
    auth = ("bench", secrets.token_urlsafe(12))
    env = {**os.environ, "CREDIT_APP_USER": auth[0], "CREDIT_APP_PASSWORD": auth[1]}
    args = [
        sys.executable,
        str(ROOT / "app" / "main.py"),
        *overrides,
        "serving.host=127.0.0.1",
        f"serving.port={port}",
        "serving.reload_seconds=0",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2)
            return proc, url, auth
        except httpx.HTTPError:
            time.sleep(1)
    proc.kill()
    raise RuntimeError(f"the app did not start within {STARTUP_TIMEOUT:.0f} s")


def _client_worker(
    url: str,
    auth: tuple[str, str],
    ids: list[int],
    seconds: float,
    max_requests: int,
    start_at: float,
    seed: int,
    api_name: str = "/score",
    reuse_ssl: bool = False,
) -> tuple[list[float], list[str]]:
    """One client program: its own process and gradio_client.Client, `api_name` (/score on random clients,
    or /ping) until the deadline (bounded by max_requests)."""
    import ssl

    from gradio_client import Client

    # gradio_client opens a new httpx client (and builds a new TLS context, ~50 ms) twice per call unless
    # it is given a context to reuse; harmless over http, and the right certificate checks over https.
    verify = ssl.create_default_context() if reuse_ssl else True
    client = Client(url, auth=auth, verbose=False, ssl_verify=verify)
    rng = np.random.default_rng(seed)
    latencies: list[float] = []
    errors: list[str] = []
    time.sleep(max(0.0, start_at - time.time()))  # all clients start together
    deadline = time.monotonic() + seconds
    for _ in range(max_requests):  # bounded loop
        if time.monotonic() >= deadline:
            break
        cid = ids[int(rng.integers(len(ids)))]
        t = time.perf_counter()
        try:
            if api_name == "/score":
                result = client.predict(str(cid), api_name=api_name)
                if not result.get("reasons"):
                    raise ValueError(f"no reasons for client {cid}")
            else:
                client.predict(api_name=api_name)
        except Exception as exc:  # counted, not raised: the benchmark reports errors
            errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            continue
        latencies.append(time.perf_counter() - t)
    client.close()
    return latencies, errors


def _interleaved_worker(
    url: str, auth: tuple[str, str], ids: list[int], seconds: float, max_requests: int
) -> dict[str, tuple[list[float], list[str]]]:
    """One client program, three calls in turn so that they share the same moments of machine load:
    /score with gradio_client's defaults, /score with a reused SSL context, /ping (no work) likewise."""
    import ssl

    from gradio_client import Client

    plain = Client(url, auth=auth, verbose=False)
    reused = Client(url, auth=auth, verbose=False, ssl_verify=ssl.create_default_context())
    calls = {
        "score_defaults": (plain, "/score"),
        "score_reused_ssl": (reused, "/score"),
        "ping_reused_ssl": (reused, "/ping"),
    }
    out: dict[str, tuple[list[float], list[str]]] = {name: ([], []) for name in calls}
    rng = np.random.default_rng(1)
    deadline = time.monotonic() + seconds
    for _ in range(max_requests):  # bounded loop
        if time.monotonic() >= deadline:
            break
        cid = str(ids[int(rng.integers(len(ids)))])
        for name, (client, api_name) in calls.items():
            t = time.perf_counter()
            try:
                result = (
                    client.predict(cid, api_name=api_name)
                    if api_name == "/score"
                    else client.predict(api_name=api_name)
                )
                if api_name == "/score" and not result.get("reasons"):
                    raise ValueError(f"no reasons for client {cid}")
            except Exception as exc:  # counted, not raised
                out[name][1].append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            out[name][0].append(time.perf_counter() - t)
    plain.close()
    reused.close()
    return out


def one_client(url: str, auth: tuple[str, str], ids: list[int], seconds: float, max_requests: int) -> dict:
    """The interleaved single-client measurements, in their own process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        out = pool.submit(_interleaved_worker, url, auth, ids, seconds, max_requests).result()
    return {
        name: {**percentiles(latencies), "errors": len(errors), "first_errors": errors[:3]}
        for name, (latencies, errors) in out.items()
    }


def round_trips(
    url: str,
    auth: tuple[str, str],
    ids: list[int],
    clients: int,
    seconds: float,
    max_requests: int,
    api_name: str = "/score",
    reuse_ssl: bool = False,
) -> dict:
    """`clients` client programs (one process each, as separate users would be) calling /score together."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    start_at = time.time() + 5.0 + clients  # time for every process to import and connect
    with ProcessPoolExecutor(clients, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_client_worker, url, auth, ids, seconds, max_requests, start_at, k)
            for k in range(clients)
        ]
        results = [f.result() for f in futures]
    flat = [x for latencies, _ in results for x in latencies]
    errors = [e for _, errs in results for e in errs]
    return {
        "clients": clients,
        "endpoint": api_name,
        "reused_ssl_context": reuse_ssl,
        "seconds": seconds,
        **percentiles(flat),
        "requests_per_second": round(len(flat) / seconds, 1) if seconds else 0.0,
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def raw_http(url: str, auth: tuple[str, str], ids: list[int], seconds: float, max_requests: int) -> dict:
    """The same endpoint over plain HTTP (httpx, one kept-alive connection, POST /gradio_api/run/score):
    the server's share of a round trip, without gradio_client's queue protocol and polling."""
    import httpx
    from gradio_client import Client

    cookies = Client(url, auth=auth, verbose=False).cookies
    rng = np.random.default_rng(99)
    times: list[float] = []
    errors = 0
    with httpx.Client(cookies=cookies, timeout=30) as http:
        deadline = time.monotonic() + seconds
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                break
            cid = ids[int(rng.integers(len(ids)))]
            t = time.perf_counter()
            response = http.post(f"{url}/gradio_api/run/score", json={"data": [str(cid)]})
            if response.status_code != 200 or "reasons" not in response.text:
                errors += 1
                continue
            times.append(time.perf_counter() - t)
    return {"clients": 1, **percentiles(times), "errors": errors}


def report(result: dict) -> str:
    ip = result["in_process"]
    lines = [
        f"App benchmark: {ip['model']}, {ip['clients']:,} clients x {ip['features']} features "
        f"({result['machine']}; load average {result['load_average']})",
        "",
        "| measure | n | p50 ms | p95 ms | max ms | req/s | errors | target |",
        "|---|---|---|---|---|---|---|---|",
        f"| in process: score + reasons | {ip['score']['n']} | {ip['score']['p50_ms']} | {ip['score']['p95_ms']} | "
        f"{ip['score']['max_ms']} | | | p50 < {TARGET_IN_PROCESS_MS:g} ms: {met(ip['score']['p50_ms'] < TARGET_IN_PROCESS_MS)} |",
        f"| in process: what-if (preprocessing) | {ip['what_if']['n']} | {ip['what_if']['p50_ms']} | "
        f"{ip['what_if']['p95_ms']} | {ip['what_if']['max_ms']} | | | |",
    ]
    single = result["one_client"]
    names = {
        "score_defaults": "gradio_client (defaults) /score, 1 client",
        "score_reused_ssl": "gradio_client (reused SSL context) /score, 1 client",
        "ping_reused_ssl": "gradio_client (reused SSL context) /ping, no work: the protocol's floor",
    }
    for key, label in names.items():
        r = single[key]
        target = (
            f"p50 < {TARGET_ROUND_TRIP_P50_MS:g} ms: {met(r['p50_ms'] < TARGET_ROUND_TRIP_P50_MS)}"
            if key.startswith("score")
            else "(reference)"
        )
        lines.append(
            f"| {label} | {r['n']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | | {r['errors']} | {target} |"
        )
    for r in result["round_trips"]:
        setup = "reused SSL context" if r["reused_ssl_context"] else "defaults"
        lines.append(
            f"| gradio_client ({setup}) /score, {r['clients']} clients | {r['n']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['max_ms']} | {r['requests_per_second']} | {r['errors']} | "
            f"no errors: {met(r['errors'] == 0)} |"
        )
    raw = result.get("raw_http")
    if raw:
        lines.append(
            f"| plain HTTP POST /gradio_api/run/score, 1 client | {raw['n']} | {raw['p50_ms']} | {raw['p95_ms']} | "
            f"{raw['max_ms']} | | {raw['errors']} | (server share, for reference) |"
        )
    lines += ["", f"Champion load + every client's features prepared: {ip['load_seconds']} s (in process)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="duration of each round-trip load")
    ap.add_argument(
        "--clients", type=int, nargs="+", default=[10], help="concurrent loads (besides one client)"
    )
    ap.add_argument("--calls", type=int, default=500, help="in-process calls (random clients)")
    ap.add_argument("--max-requests", type=int, default=100_000, help="bound on requests per client and load")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the JSON result instead of the table")
    ap.add_argument("overrides", nargs="*", help="configuration overrides (KEY=VALUE, e.g. paths.ingest=...)")
    args, _ignored = ap.parse_known_args(argv)  # `make bench` passes the data benchmarks' options too
    overrides = [o for o in args.overrides if "=" in o]

    from credit_scoring.errors import CreditScoringError

    try:
        ip, ids = in_process(overrides, args.calls, args.seed)
    except CreditScoringError as exc:  # no champion yet (make run), no stage outputs, bad overrides
        print(f"app benchmark SKIPPED: {exc}", file=sys.stderr)
        return 0
    log = OUT_DIR / "app_server.log"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    proc, url, auth = start_app(overrides, log)
    try:
        single = one_client(url, auth, ids, args.seconds, args.max_requests)
        loads = [
            round_trips(url, auth, ids, c, args.seconds, args.max_requests, reuse_ssl=reuse)
            for c in args.clients
            if c > 1
            for reuse in (False, True)
        ]
        plain = raw_http(url, auth, ids, min(args.seconds, 10.0), args.max_requests)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average": load_average(),
        "in_process": ip,
        "one_client": single,
        "round_trips": loads,
        "raw_http": plain,
    }
    text = report(result)
    (OUT_DIR / "app.json").write_text(json.dumps(result, indent=2) + "\n")
    (OUT_DIR / "app.md").write_text(text + "\n")
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
