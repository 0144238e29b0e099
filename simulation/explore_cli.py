"""`python run.py explore`: its options and the command (the page itself: `simulation.explore`)."""

from __future__ import annotations

import errno
import importlib.util
import os
import socket
import sys
import warnings
from pathlib import Path

COMMAND = "explore"
DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"  # local only: the page runs code on this machine at the visitor's request
INSTALL = 'pip install -e ".[explore]"'
GRACEFUL_S = 2  # open pages are given this long to close when the server stops


def add_parser(sub, integer, allow_large) -> None:
    """The `explore` command's options."""
    e = sub.add_parser(
        COMMAND,
        help="an interactive explorer in the browser: a scenario's controls and live figures, or a results folder",
    )
    e.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario file or name (default: scenarios/default.toml), or a run or experiment folder to browse",
    )
    e.add_argument(
        "--port", type=integer(0), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: a free one)"
    )
    e.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to serve on (default {DEFAULT_HOST}: this machine only)"
    )
    e.add_argument(
        "--workers",
        type=integer(1),
        default=min(4, os.cpu_count() or 1),
        help="worker processes running the replications (default: the cores, at most 4)",
    )


def _free_port(host: str, port: int) -> int:
    """The port to serve on: `port` if it can be bound, a free one for 0; a ScenarioError otherwise."""
    from .scenario import ScenarioError

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.bind((host, port))
            return s.getsockname()[1]
    except OverflowError:
        raise ScenarioError("--port", str(port), "out of range; allowed: 0 to 65535 (0: a free one)") from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:  # the address is not this machine's
            raise ScenarioError("--host", host, f"cannot serve there ({reason}); try --host {DEFAULT_HOST}") from None
        raise ScenarioError("--port", f"{host}:{port}", f"cannot serve there ({reason}); try --port 0") from None


def run(args) -> int:
    """Check what to open, then serve the page until Ctrl-C; the worker processes end with it."""
    from .scenario import ScenarioError, find_scenario, load_scenario

    if importlib.util.find_spec("solara") is None:
        raise ScenarioError(COMMAND, "", f"needs Solara, an optional extra: {INSTALL}")
    source = args.scenario or str(Path(__file__).resolve().parent.parent / "scenarios" / "default.toml")
    folder = Path(source).is_dir()
    if folder:
        from .explore.folder import open_folder

        open_folder(source)  # a folder that is neither a run nor an experiment is refused now
    else:
        load_scenario(find_scenario(source))  # an invalid scenario is refused before serving
    port = _free_port(args.host, args.port)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no reporting home
    os.environ["SOLARA_APP"] = "simulation.explore.app"
    import uvicorn
    from solara.server import settings

    from .explore import app, assets
    from .explore.workers import Pool

    settings.telemetry.mixpanel_enable = False
    # served over http on this machine: Solara falls back to samesite=lax cookies, and says so at length
    warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)
    settings.main.mode = "production"
    missing = assets.missing()
    if missing:
        print(
            f"note: the page's scripts ({len(missing)} npm packages) are fetched from Solara's CDN on first use; "
            "without the internet, fetch them once with: python -m simulation.explore.assets",
            flush=True,
        )
    pool = None if folder else Pool(args.workers)
    app.SERVER.update(source=source, folder=folder, pool=pool)
    config = uvicorn.Config(
        "solara.server.starlette:app",
        host=args.host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_S,
    )
    server = uvicorn.Server(config)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    what = f"results folder {source}" if folder else f"scenario {source}"
    print(f"explorer of {what}: http://{shown}:{port} (Ctrl-C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if pool is not None:
            pool.close()
    print("explorer stopped", file=sys.stderr, flush=True)
    return 0
