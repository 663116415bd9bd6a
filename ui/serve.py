"""Start the app warm: the server listens at once and, in the background, imports the app and
runs what its first page computes, so the first student after a start waits little longer than any
other and a browser opened with the command is served as soon as it asks.

    python -m ui.serve [STREAMLIT OPTIONS] [-- APP OPTIONS]
    python -m ui.serve --server.port 8501 -- --models-dir ~/models

The options are ``streamlit run app.py``'s, in the same places. A plain ``streamlit run app.py``
pays the imports (torch, the app), the default bundle and its browser files in the first session's
run, after the browser has asked for it (bench/cold.py). Here the warm-up (ui/warming.py) starts
as the server starts, while the first browser boots Streamlit's page; a page's run that begins
before it has finished waits for it. Every cache the warm-up fills (``st.cache_resource``, the
browser files under static/) is the process's own and serves the sessions that follow.

It says where it listens as soon as Streamlit has read its options (under a second), and again
once the first page is ready. Its server also tells each page the app's base URL (ui/base_url.py),
so a page opened by its own link asks nothing that is not there.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
# The app's own Streamlit settings. Streamlit reads .streamlit/config.toml only in the folder it is
# started from (and ~/.streamlit); the app needs them from any folder, static serving above all.
APP_CONFIG = APP.parent / ".streamlit" / "config.toml"


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


def listening(timeout: float = 30.0) -> bool:
    """Wait until the server accepts connections on its port (as Streamlit's options say, read
    again each time: a port taken moves it on), or a page has asked for a run (it is listening
    then, wherever); whether either happened within ``timeout`` seconds."""
    from streamlit import config

    from ui import warming

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not warming.asked.is_set():
        host = config.get_option("server.address") or "127.0.0.1"
        host = "127.0.0.1" if host in ("0.0.0.0", "localhost") else "::1" if host == "::" else host
        try:
            socket.create_connection((host, int(config.get_option("server.port"))), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.02)
    return warming.asked.is_set()


def listening_then_threads() -> None:
    """What the warm-up waits for, then torch's threads set (importing torch takes a second: not
    before the server listens)."""
    listening()
    serving_threads()


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

    from ui import base_url, warming

    start_server = bootstrap.run

    def warm_while_running(*args, **kwargs):  # once Streamlit has read its options, before it listens
        apply_app_config()
        print(f"Latent Explorer: starting on {url()}; its first page is prepared meanwhile (a few seconds)",
              flush=True)
        where = url()
        warming.start(app_args, said=lambda how: print(f"Latent Explorer: {how}; listening on {where}", flush=True),
                      after=listening_then_threads)
        return start_server(*args, **kwargs)

    bootstrap.run = warm_while_running
    why = base_url.install()
    if why:  # the app still works: its pages find the server by Streamlit's own guess
        print(f"ui.serve: pages opened by their link will not be told the base URL ({why})", file=sys.stderr)
    sys.argv = ["streamlit", "run", str(APP), *flags, *(["--", *app_args] if app_args else [])]
    cli.main()


if __name__ == "__main__":
    main()
