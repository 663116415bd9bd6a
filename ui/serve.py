"""Start the app warm: the first page is run once in this process before the server listens, so
the first student after a start waits no longer than any other (issue 18).

    python -m ui.serve [STREAMLIT OPTIONS] [-- APP OPTIONS]
    python -m ui.serve --server.port 8501 -- --models-dir ~/models

The options are ``streamlit run app.py``'s, in the same places. A plain ``streamlit run app.py``
listens at once and pays the imports (torch, plotly, the app), the default bundle and its browser
files in the first session: 4-7 s for the first student. Here they are paid before the port is
open: ``/_stcore/health`` answers only when the first page is ready, which is what a load
balancer or a readiness probe should wait for. Every cache the warm-up fills
(``st.cache_resource``, ``st.cache_data``, the browser files under static/) is the process's own
and serves the sessions that follow.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
WARM_TIMEOUT_S = 180


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


def main(argv: list[str] | None = None) -> None:
    flags, app_args = split_args(sys.argv[1:] if argv is None else argv)
    from streamlit.web import bootstrap, cli

    start_server = bootstrap.run

    def warm_then_run(*args, **kwargs):  # once Streamlit has read its options, before it listens
        seconds = warm(app_args)
        print(f"ui.serve: first page ready in {seconds:.1f} s; opening the port", file=sys.stderr, flush=True)
        return start_server(*args, **kwargs)

    bootstrap.run = warm_then_run
    sys.argv = ["streamlit", "run", str(APP), *flags, *(["--", *app_args] if app_args else [])]
    cli.main()


if __name__ == "__main__":
    main()
