"""The relationship managers' app: a Gradio dashboard over the champion model, and its scoring API.

Run: ``make app`` or ``python app/main.py [--params params.yaml] [KEY=VALUE ...]``: the pipeline's own
configuration (params.yaml, composed from conf/ like every stage's) with the same dotlist overrides, e.g.
``serving.port=7861``, ``registry.alias=challenger``, ``paths.ingest=/data/ingest``. The app serves
`registry.model_name@registry.alias` of the store `registry.tracking_uri` (MLFLOW_TRACKING_URI wins) to the
clients of the stage outputs `paths.ingest` / `paths.merge` (relative paths from the project root).
Authentication: the user and password come from the environment variables named in `serving.auth`
(CREDIT_APP_USER / CREDIT_APP_PASSWORD by default); binding beyond loopback without them is refused unless
``serving.allow_public_without_auth=true``.

The app only loads the champion (`credit_scoring.serving.service.ScoringService`) and draws what the library
computes (`app.layout` the page, `app.handlers` its events, `app.texts` the words, `app.charts` the charts).
Named API endpoints (gradio_client): ``/score`` (client id), ``/score_features`` (dict of fields),
``/score_batch`` (CSV file), ``/model_info``, ``/ping`` (health check).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

if __package__ in (None, ""):  # `python app/main.py`: make the `app` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import typer  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from app.layout import I18N, build_app  # noqa: E402
from app.theme import CSS, HEAD, THEME  # noqa: E402
from credit_scoring.config import DEFAULT_PARAMS_FILE, PROJECT_ROOT, Config, load_config  # noqa: E402
from credit_scoring.errors import ConfigError, CreditScoringError  # noqa: E402
from credit_scoring.serving.access import (  # noqa: E402
    ClientAddressMiddleware,
    LoginGuard,
    check_binding,
    credentials_from_env,
)
from credit_scoring.serving.scratch import app_scratch  # noqa: E402
from credit_scoring.serving.service import ScoringService  # noqa: E402

log = logging.getLogger("credit_scoring.app")

PROG = "app/main.py"
DEFAULT_PARAMS = PROJECT_ROOT / DEFAULT_PARAMS_FILE
EXIT_FAILED = 2
EXIT_USAGE = 2  # a bad argument, as for typer's own usage errors


def launch(service: ScoringService, credentials: tuple[str, str] | None, block: bool = True) -> gr.Blocks:
    """Start the server with the configured host, port and authentication (failed sign-ins throttled per
    user and address: `serving.access.LoginGuard`)."""
    cfg = service.serving
    demo = build_app(service)
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=cfg.host,
        server_port=cfg.port,
        auth=None
        if credentials is None
        else LoginGuard(credentials, cfg.auth).__call__,  # a coroutine function: Gradio awaits it
        app_kwargs={"middleware": [Middleware(ClientAddressMiddleware)]},
        auth_message="Credit decisions: sign in with your relationship manager account.",
        max_file_size=cfg.max_upload,
        allowed_paths=[],
        footer_links=["api", "settings"],
        run_history=False,  # no client data kept in the browser
        ssr_mode=False,
        show_error=True,
        quiet=True,
        prevent_thread_lock=not block,
        # Gradio's own check that it can reach itself (one HEAD request, 3 s timeout) fails on a loaded machine
        # and then refuses to start ("localhost is not accessible"); `_frontend` gates only that check
        # (gradio 6.31 blocks.py), the page is served the same
        _frontend=False,
        theme=THEME,  # WCAG AA contrast (app.theme)
        css=CSS,
        head=HEAD,  # one fix of Gradio's own markup for axe (app.theme)
        i18n=I18N,
    )
    return demo


def serve(cfg: Config) -> int:
    """Check the access rules, load the champion and serve it until stopped; the exit code."""
    try:
        credentials = credentials_from_env(cfg.serving.auth)
        check_binding(cfg.serving.host, credentials, cfg.serving.allow_public_without_auth)
        service = ScoringService(cfg)
    except CreditScoringError as exc:
        print(f"[app] FAILED: {exc}", file=sys.stderr)
        return EXIT_FAILED
    auth = cfg.serving.auth
    if credentials is None:
        log.warning("no authentication (%s / %s not set): loopback only", auth.user_env, auth.password_env)
    service.start_watcher()
    card = service.champion.card
    print(
        f"[app] serving {card.model_name} version {card.version} on http://{cfg.serving.host}:{cfg.serving.port}",
        flush=True,
    )
    try:
        with app_scratch():  # uploads and scored CSVs: removed when the app stops
            launch(service, credentials, block=True)
    except (ConfigError, OSError) as exc:
        print(f"[app] FAILED: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        service.stop()
    return 0


cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command(help="Serve the champion to the relationship managers (params.yaml plus KEY=VALUE overrides).")
def command(
    overrides: Annotated[
        list[str] | None,
        typer.Argument(help="dotlist overrides, e.g. serving.port=7861 registry.alias=challenger"),
    ] = None,
    params: Annotated[
        Path, typer.Option("--params", help="configuration file (params.yaml)")
    ] = DEFAULT_PARAMS,
) -> None:
    bad = [o for o in overrides or [] if "=" not in o]
    if bad:
        print(
            f"[app] usage: [--params FILE] [KEY=VALUE ...]; unexpected argument {bad[0]!r}", file=sys.stderr
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        cfg = load_config(params, list(overrides or []))
    except CreditScoringError as exc:
        print(f"[app] FAILED: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_FAILED) from None
    raise typer.Exit(serve(cfg))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app on `argv` (default: the command line); the exit code (2: bad argument or configuration)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli(args, prog_name=PROG)
    except SystemExit as done:  # the command's code; typer's own: 2 for a bad argument, 0 for --help
        return done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_FAILED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
