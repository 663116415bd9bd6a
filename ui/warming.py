"""A server's warm-up, in the background while it already listens (ui/serve.py): the app's modules
imported (torch, the library, every page's code), then what a fresh server's first page computes
(ui/prepare.first_page: the default model opened, its map's browser files; then the sidebar's
measured figures). A page's run that starts meanwhile waits here for the map's part to finish
before it imports anything (app.py), so no module is imported by two threads at once and nothing is
computed twice; the first student's browser spends that time booting Streamlit's page.

Standard library only: app.py imports it before anything else."""

from __future__ import annotations

import contextlib
import logging
import runpy
import sys
import threading
import time
from pathlib import Path

# Streamlit warns "missing ScriptRunContext! This warning can be ignored when running in bare mode."
# (script_run_context.get_script_run_ctx) when a cached function runs outside a page's run, as here;
# that logger says nothing else above debug
BARE_MODE_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"
APP = Path(__file__).resolve().parent.parent / "app.py"
WAIT_S = 180  # a warm-up slower than this is stuck: the page goes on and pays for itself
_done = threading.Event()
_done.set()  # nothing to wait for until a warm-up starts (``streamlit run app.py``, AppTest)
_warming: threading.Thread | None = None
asked = threading.Event()  # a page's run has waited for the warm-up (so the server listens)


def start(argv: list[str], said=print, after=None) -> threading.Thread:
    """Begin the warm-up with the app's own options ``argv`` (those after ``--``), once ``after()``
    has returned (the server listening: a warm-up beside its start holds Python's lock and delays
    it, 0.6 -> 1.9 s); ``said(text)`` hears how it went, once."""
    global _warming
    _done.clear()
    _warming = threading.Thread(target=_run, args=(list(argv), said, after), name="latent-explorer-warm-up",
                                daemon=True)
    _warming.start()
    return _warming


def wait(timeout: float = WAIT_S) -> bool:
    """Until a warm-up under way has finished (at once where none is, and in the warm-up itself,
    which imports app.py); whether it has."""
    if threading.current_thread() is _warming:
        return True
    asked.set()
    return _done.wait(timeout)


def _run(argv: list[str], said, after) -> None:
    try:
        if after is not None:
            after()
        start = time.perf_counter()
        runpy.run_path(str(APP), run_name="latent_explorer_warm_up")  # what it imports: torch, the library, the pages
        from ui import prepare, resources

        with bare_mode_quiet():
            model = prepare.first_page(resources.settings(argv))
            _done.set()  # the map's part: pages may run
            if model is not None:
                prepare.first_sidebar(model)
        said(f"first page ready in {time.perf_counter() - start:.1f} s" + ("" if model else " (no model opens)"))
    except Exception as e:  # noqa: BLE001 - the first page meets the same failure and shows it
        print(f"ui.serve: the warm-up stopped: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
    finally:
        _done.set()


@contextlib.contextmanager
def bare_mode_quiet():
    """Streamlit's warning for code run outside a page's run, silenced for as long as this lasts
    (that logger says nothing else above debug)."""
    log = logging.getLogger(BARE_MODE_LOGGER)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
