"""A class without browsers: N simulated students (default 30) on the app's own websocket protocol,
against one app server or two behind nginx, so the figures are the server's and not the browsers'.

    python bench/students.py [--students 30] [--seconds 60] [--ramp 10]
    python bench/students.py --proxy [...]      # deploy/serve.sh 2: nginx in front of two servers
    python bench/students.py --url URL [...]    # a server already running (its CPU is not read)

Each student is what a browser is to the server: an HTTP request for the page (which gives nginx's
affinity cookie behind the proxy), then Streamlit's websocket (``/_stcore/stream``, protobuf
BackMsg / ForwardMsg, streamlit.proto) on the explore page of one of the maps of bench/latency.py,
in turn. It asks for the page's first run as a browser does (``rerun_script`` with the link's
query string), reads the map component's id and view box from the run, and then, every 2-4 s
(--pause), clicks a random spot of the box the way the map does: the component's state
``{"spot": [x, y]}`` as the widget's JSON value in a ``rerun_script`` for the fragment the map is
drawn in (as the browser asks: only that fragment runs again), with the query string the server
last gave it. Hovering costs the server nothing (the map decodes under the pointer in the
browser and sends no frame), so a student here only clicks. For each click, by this process's clock:

- first message: the click sent -> the first websocket message back;
- answer: the click sent -> the run's clicked image (an element carrying ``data-spot``, what
  bench/load.py waits for in a browser); not there within 10 s: unanswered;
- run: the click sent -> the run's ``script_finished``.

Students open their pages over --ramp seconds (a class arriving), wait until every page is up, then
click for --seconds. The server CPU per click is the servers' CPU time (Linux /proc) over the
clicking phase divided by the clicks answered in it; sessions held per server are counted from the
affinity cookies nginx gave (--proxy). Memory: the servers' resident sets after all pages are up.

The last line is
``students=.. clicks=.. unanswered=.. errors=.. first_p50_ms=.. answer_p50_ms=.. answer_p95_ms=..
run_p95_ms=.. cpu_ms_per_click=.. mem_mb=.. per_server_sessions=..``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

ANSWER_S = 10.0  # a click not answered within this is unanswered (as bench/load.py counts it)
MAP_COMPONENT = "latent_map"  # the map's component name (ui/map_component.py), part of its registered name


@dataclass
class Click:
    spot: list[float]
    sent: float
    first: float | None = None
    answer: float | None = None
    finished: float | None = None


@dataclass
class Student:
    """One simulated browser session: its cookies, its websocket, the page's query string and the
    map component's id and view box once the first run has drawn them."""

    number: int
    model: str
    map: str
    query: str = ""
    map_id: str | None = None
    fragment: str = ""  # the fragment the map is drawn in ("": none), as the browser sends it with a click
    box: tuple | None = None
    cookies: dict = field(default_factory=dict)
    clicks: list[Click] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ws: object = None

    def rerun(self, widgets: list | None = None, fragment: str = "") -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = ""  # the app's default page: explore
        state.fragment_id = fragment
        for wid, value in widgets or []:
            w = state.widget_states.widgets.add()
            w.id = wid
            w.json_value = json.dumps(value)
        return msg.SerializeToString()

    def read(self, data: bytes) -> tuple[str, str | None, bool]:
        """One ForwardMsg: (its type, the spot of the clicked image it shows or None, whether the run finished);
        the query string and the map's id and box taken in on the way."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        spot = None
        if kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            which = el.WhichOneof("type")
            if which == "bidi_component" and MAP_COMPONENT in el.bidi_component.component_name:
                self.map_id = el.bidi_component.id
                self.fragment = msg.delta.fragment_id  # a widget in a fragment reruns only that fragment
                with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
                    lo, hi = json.loads(el.bidi_component.json)[0]["box"]
                    self.box = (tuple(lo), tuple(hi))
            elif which == "html" and (m := re.search(r'data-spot="([^"]*)"', el.html.body)):
                spot = m[1]
        return kind, spot, kind == "script_finished"


def page_cookies(url: str) -> dict:
    """The cookies a browser gets with the page (nginx's affinity cookie, Streamlit's XSRF one)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(url, timeout=30).read()
    return {c.name: c.value for c in jar}


def shows(said: str, spot: list[float]) -> bool:
    """Whether an image's data-spot names the clicked spot (the page writes it rounded)."""
    try:
        x, y = (float(v) for v in said.split(","))
    except ValueError:
        return False
    return abs(x - spot[0]) <= 1e-3 * max(1, abs(spot[0])) and abs(y - spot[1]) <= 1e-3 * max(1, abs(spot[1]))


async def run_until(s: Student, deadline: float, click: Click | None = None) -> bool:
    """Messages until the run finishes (True) or ``deadline`` passes (False)."""
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return False
        try:
            data = await asyncio.wait_for(s.ws.recv(), left)
        except asyncio.TimeoutError:
            return False
        now = time.perf_counter()
        _, spot, finished = s.read(data)
        if click is not None:
            click.first = click.first or now
            if spot is not None and click.answer is None and shows(spot, click.spot):
                click.answer = now
        if finished:
            if click is not None:
                click.finished = now
            return True


async def open_page(s: Student, base: str, start_at: float) -> None:
    from websockets.asyncio.client import connect

    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    s.query = urllib.parse.urlencode({"model": s.model, "map": s.map})
    s.cookies = await asyncio.to_thread(page_cookies, f"{base}/?{s.query}")
    ws_url = base.replace("http", "ws", 1) + "/_stcore/stream"
    header = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
    s.ws = await connect(ws_url, subprotocols=["streamlit"], additional_headers={"Cookie": header} if header else {},
                         max_size=None, open_timeout=60, ping_interval=None)
    await s.ws.send(s.rerun())
    if not await run_until(s, time.perf_counter() + 120):
        s.errors.append("the first page did not finish in 120 s")
    elif s.map_id is None or s.box is None:
        s.errors.append("the first page drew no map")


async def click_for(s: Student, seconds: float, pause: tuple[float, float], rng: random.Random) -> None:
    end = time.perf_counter() + seconds
    while not s.errors:
        await asyncio.sleep(rng.uniform(*pause))
        if time.perf_counter() >= end:
            return
        (x0, y0), (x1, y1) = s.box
        spot = [round(rng.uniform(x0, x1), 4), round(rng.uniform(y0, y1), 4)]
        c = Click(spot, time.perf_counter())
        s.clicks.append(c)
        await s.ws.send(s.rerun([(s.map_id, {"spot": spot, "t": None})], s.fragment))
        if not await run_until(s, c.sent + ANSWER_S, c):
            # unanswered: read on until the run ends, so the next click starts clean
            await run_until(s, time.perf_counter() + 60)


def port_of(pid: int) -> str:
    """The port an app server listens on, from its command line (``--server.port N``)."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return args[args.index("--server.port") + 1] if "--server.port" in args else "-"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def the_class(base: str, n: int, seconds: float, ramp: float, pause, pids: list[int], seed: int) -> dict:
    from latency import CASES
    from load import cpu_seconds, rss_mb

    rng = random.Random(seed)
    students = [Student(i, *CASES[i % 3]) for i in range(n)]
    t0 = time.perf_counter()
    opened = await asyncio.gather(*(open_page(s, base, t0 + ramp * s.number / max(1, n)) for s in students),
                                  return_exceptions=True)
    for s, e in zip(students, opened):
        if isinstance(e, BaseException):
            s.errors.append(f"{type(e).__name__}: {e}")
    up = time.perf_counter() - t0
    mem = sum(rss_mb(p) for p in pids) if pids else float("nan")
    cpu0, c0 = {p: cpu_seconds(p) for p in pids}, time.perf_counter()
    done = await asyncio.gather(*(click_for(s, seconds, pause, random.Random(rng.random())) for s in students
                                  if not s.errors), return_exceptions=True)
    cpu = {p: cpu_seconds(p) - cpu0[p] for p in pids}  # each server's, over the clicking
    wall = time.perf_counter() - c0
    for e in done:
        if isinstance(e, BaseException):
            students[0].errors.append(f"{type(e).__name__}: {e}")
    for s in students:
        if s.ws is not None:
            with contextlib.suppress(Exception):
                await s.ws.close()
    return {"students": students, "up_s": up, "mem_mb": mem, "cpu_s": cpu, "wall_s": wall,
            "ports": {port_of(p): p for p in pids}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--seconds", type=float, default=60, help="how long the class clicks")
    p.add_argument("--ramp", type=float, default=10, help="seconds over which the students open their pages")
    p.add_argument("--pause", type=float, nargs=2, default=(2.0, 4.0), metavar=("MIN", "MAX"),
                   help="seconds a student waits after an answer before the next click")
    p.add_argument("--proxy", action="store_true", help="through nginx in front of two app servers")
    p.add_argument("--url", help="a server already running (its CPU and memory are not read)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    from load import servers  # (after the options: --help answers at once)

    with contextlib.ExitStack() as stack:
        if args.url:
            base, pids = args.url.rstrip("/"), []
        else:
            base, pids = stack.enter_context(servers(args.proxy, warm=True))
        print(f"{args.students} students on {base} ({'nginx, two servers' if args.proxy else 'one server'}), "
              f"opening over {args.ramp:g} s, clicking for {args.seconds:g} s", flush=True)
        r = asyncio.run(the_class(base, args.students, args.seconds, args.ramp, tuple(args.pause), pids, args.seed))
    students = r["students"]
    clicks = [c for s in students for c in s.clicks]
    answered = [c for c in clicks if c.answer is not None]
    ms = lambda cs, f: [1000 * (getattr(c, f) - c.sent) for c in cs if getattr(c, f) is not None]  # noqa: E731
    errors = [f"student {s.number}: {e}" for s in students for e in s.errors]
    for e in errors[:10]:
        print("error:", e)
    # each server process: the students its cookie sent there (all of them without nginx), its CPU
    ports = r["ports"]
    held: dict[str, list[Student]] = {}
    for s in students:
        held.setdefault(s.cookies.get("explorer_server", "").rpartition(":")[2] or "-", []).append(s)
    for port, group in sorted(held.items()):
        pid = ports.get(port) or (next(iter(ports.values())) if len(ports) == 1 else None)
        n_clicks = sum(c.answer is not None for s in group for c in s.clicks)
        used = r["cpu_s"].get(pid, float("nan"))
        print(f"server {port if port != '-' else base}: {len(group)} sessions, {n_clicks} clicks answered, "
              f"CPU {used:.1f} s ({100 * used / r['wall_s']:.0f}% of one core), "
              f"{1000 * used / max(1, n_clicks):.0f} ms a click")
    cpu_all = sum(r["cpu_s"].values()) if r["cpu_s"] else float("nan")
    per_click = 1000 * cpu_all / max(1, len(answered))
    print(f"pages up after {r['up_s']:.1f} s; clicking {r['wall_s']:.1f} s")
    first, answer, run = ms(clicks, "first"), ms(answered, "answer"), ms(clicks, "finished")
    print(f"students={len(students)} clicks={len(clicks)} unanswered={len(clicks) - len(answered)} "
          f"errors={len(errors)} first_p50_ms={percentile(first, 50):.0f} answer_p50_ms={percentile(answer, 50):.0f} "
          f"answer_p95_ms={percentile(answer, 95):.0f} run_p95_ms={percentile(run, 95):.0f} "
          f"cpu_ms_per_click={per_click:.0f} mem_mb={r['mem_mb']:.0f} "
          f"per_server_sessions={','.join(str(len(v)) for _, v in sorted(held.items()))}")


if __name__ == "__main__":
    with record.run(__file__):
        main()
