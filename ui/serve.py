"""Start the app warm: the first page is run once in this process before the server listens, so
the first student after a start waits no longer than any other.

    python -m ui.serve [STREAMLIT OPTIONS] [-- APP OPTIONS]
    python -m ui.serve --server.port 8501 -- --models-dir ~/models

The options are ``streamlit run app.py``'s, in the same places. A plain ``streamlit run app.py``
listens at once and pays the imports (torch, plotly, the app), the default bundle and its browser
files in the first session: about 4 s for the first student (bench/cold.py). Here they are paid before the port is
open: ``/_stcore/health`` answers only when the first page is ready, which is what a load
balancer or a readiness probe should wait for. Every cache the warm-up fills
(``st.cache_resource``, ``st.cache_data``, the browser files under static/) is the process's own
and serves the sessions that follow.

It says where it will listen as soon as Streamlit has read its options (under a second), and again
once the first page is ready; the warm-up's "missing ScriptRunContext" warning, which Streamlit
logs for any script run outside a server (AppTest), is not shown. Its server also tells each page
the app's base URL (ui/base_url.py), so a page opened by its own link asks nothing that is not there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
# The app's own Streamlit settings. Streamlit reads .streamlit/config.toml only in the folder it is
# started from (and ~/.streamlit); the app needs them from any folder, static serving above all.
APP_CONFIG = APP.parent / ".streamlit" / "config.toml"
WARM_TIMEOUT_S = 180
# AppTest sets its session state from the main thread, which has no ScriptRunContext, and Streamlit
# warns "missing ScriptRunContext! This warning can be ignored when running in bare mode." there
# (script_run_context.get_script_run_ctx); that logger says nothing else above debug
BARE_MODE_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"


THREADS_ENV = "EXPLORER_TORCH_THREADS"


def serving_threads() -> int:
    """Set and return torch's threads for one operation in this server: 1 unless $EXPLORER_TORCH_THREADS
    says otherwise. A server's operations are small (one code decoded, a row of pictures) and its
    sessions run them at once, each on its own thread; a pool of threads per operation only makes them
    wait on each other (bench/students.py, 30 students on one server: 50 -> 38 ms of CPU a click,
    answer p95 116 -> 86 ms). A server computing maps for one user at a time may want more."""
    import torch

    try:
        n = max(1, int(os.environ.get(THREADS_ENV, "1")))
    except ValueError:
        print(f"ui.serve: ${THREADS_ENV}={os.environ[THREADS_ENV]!r} is not a number; using 1", file=sys.stderr)
        n = 1
    torch.set_num_threads(n)
    return n


def split_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Streamlit's options, and the app's (after ``--``)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return list(argv), []


def warm(app_args: list[str]) -> float:
    """Run the app's first page once, as a session would, and return the seconds it took. A
    failure here is the first session's failure too: it is printed, and the server starts
    anyway, so the page itself shows the message it would have shown."""
    from streamlit.testing.v1 import AppTest

    start = time.perf_counter()
    saved = sys.argv
    sys.argv = [str(APP), *app_args]  # as Streamlit sets it for the script: the app reads its options there
    try:
        with bare_mode_quiet():
            at = AppTest.from_file(str(APP), default_timeout=WARM_TIMEOUT_S)
            at.run()
        for e in at.exception:
            print(f"ui.serve: the first page fails in the warm-up: {e.message}", file=sys.stderr)
    except Exception as e:  # noqa: BLE001 - reported; the server still starts and shows it to the page
        print(f"ui.serve: the warm-up stopped: {type(e).__name__}: {e}", file=sys.stderr)
    finally:
        sys.argv = saved
        from streamlit.runtime import Runtime

        Runtime._instance = None  # AppTest's stand-in, left behind when a run times out, would stop the server
    return time.perf_counter() - start


@contextlib.contextmanager
def bare_mode_quiet():
    """Streamlit's warning for code run outside a server, silenced for as long as this lasts."""
    log = logging.getLogger(BARE_MODE_LOGGER)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def url() -> str:
    """The address the server will listen on, from Streamlit's options (once they are read). With
    no port given, Streamlit takes the next free one if this one is taken, and says so itself."""
    from streamlit import config

    host = config.get_option("server.address") or "localhost"
    if host in ("0.0.0.0", "::"):  # every interface: this machine's own name for it
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    scheme = "https" if config.get_option("server.sslCertFile") else "http"
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"{scheme}://{host}:{config.get_option('server.port')}" + (f"/{base}" if base else "")


def apply_app_config() -> list[str]:
    """Set each of the app's own settings (APP_CONFIG) that no flag, environment variable or config
    file of the user's has set; the keys set."""
    import tomllib

    from streamlit import config

    with APP_CONFIG.open("rb") as f:
        settings = tomllib.load(f)
    done = []
    for section, options in settings.items():
        for name, value in options.items():
            key = f"{section}.{name}"
            if config.get_where_defined(key) == config.ConfigOption.DEFAULT_DEFINITION:
                config.set_option(key, value, where_defined=str(APP_CONFIG))
                done.append(key)
    return done


def main(argv: list[str] | None = None) -> None:
    flags, app_args = split_args(sys.argv[1:] if argv is None else argv)
    if {"-h", "--help"} & set(flags):  # what this command is; Streamlit's own options: streamlit run --help
        print(__doc__.strip())
        print("\nStreamlit's options (`streamlit run --help`) pass through; the app's own go after --: "
              "--data-dir DIR, --models-dir DIR, --public-url URL.")
        return
    from streamlit.web import bootstrap, cli

    from ui import base_url

    start_server = bootstrap.run

    def warm_then_run(*args, **kwargs):  # once Streamlit has read its options, before it listens
        apply_app_config()
        serving_threads()
        print(f"Latent Explorer: starting on {url()}; its first page runs before the port opens "
              "(a few seconds)", flush=True)
        seconds = warm(app_args)
        print(f"Latent Explorer: first page ready in {seconds:.1f} s; listening on {url()}", flush=True)
        return start_server(*args, **kwargs)

    bootstrap.run = warm_then_run
    why = base_url.install()
    if why:  # the app still works: its pages find the server by Streamlit's own guess
        print(f"ui.serve: pages opened by their link will not be told the base URL ({why})", file=sys.stderr)
    sys.argv = ["streamlit", "run", str(APP), *flags, *(["--", *app_args] if app_args else [])]
    cli.main()


if __name__ == "__main__":
    main()
