"""N app servers behind nginx, all from this checkout, in the foreground.

    deploy/serve.sh N [PORT]          # N app servers on local ports, nginx on PORT (default 8080)
    python3 deploy/serve.py --config N [PORT]   # print the nginx configuration it would use

Each app server is ``python -m ui.serve`` (the app, started warm) on 127.0.0.1 and a free port,
all with one ``server.cookieSecret`` made for this run. Once a server answers
``/_stcore/health`` (it prepares its first page meanwhile), one line ``server PORT PID`` is printed;
then nginx is started on PORT with deploy/nginx.conf.template filled in, and ``nginx PORT PID``
and ``ready http://HOST:PORT/`` are printed. Scripts and tests read these lines.

SIGTERM or Ctrl-C stops everything this started (app servers, nginx) and nothing else. A server
that dies is reported (``lost PORT PID``) and not restarted: its students move to another
server through nginx, and whatever supervises this command (systemd, a container's restart
policy) restarts the whole. Settings for the app servers: the environment (EXPLORER_DATA_DIR,
EXPLORER_MODELS_DIR, EXPLORER_IMPORT_DIR, EXPLORER_PUBLIC_URL) and app options after ``--``.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from ui.serve import split_args  # noqa: E402  (the standard library only; the app's options after --)
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
READY_TIMEOUT_S = 240
FAIL_TIMEOUT_S = 10  # how long nginx leaves a server alone after it refused a connection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_config(ports: list[int], listen: int, run_dir: Path, worker_user: str | None = None) -> str:
    """deploy/nginx.conf.template for app servers on ``ports``, nginx on ``listen``, its files in ``run_dir``."""
    def server(port, options=f" max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s"):
        return f"        server 127.0.0.1:{port}{options};"

    pinned = []
    for port in ports:
        backups = [server(p, " backup") for p in ports if p != port]
        pinned.append(f"    upstream explorer_{port} {{\n        zone explorer_{port} 64k;\n{server(port)}\n"
                      + "\n".join(backups) + "\n    }")
    fields = {
        "@N@": str(len(ports)),
        "@USER@": f"user {worker_user};" if worker_user else "# (nginx runs as the user who started it)",
        "@RUN@": str(run_dir),
        "@LISTEN@": str(listen),
        "@POOL_MAP@": "\n".join(f'        "127.0.0.1:{p}" explorer_{p};' for p in ports),
        "@ALL_SERVERS@": "\n".join(server(p) for p in ports),
        "@PINNED_UPSTREAMS@": "\n".join(pinned),
    }
    text = TEMPLATE.read_text()
    for key, value in fields.items():
        text = text.replace(key, value)
    return text


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through $http_proxy


def healthy(port: int, path: str = "/_stcore/health") -> bool:
    try:
        with _DIRECT.open(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def say(line: str) -> None:
    print(line, flush=True)


class Serving:
    """What this command started, stopped together."""

    def __init__(self):
        self.servers: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None
        self.lost: set[int] = set()

    def start_server(self, port: int, env: dict, app_args: list[str]) -> None:
        cmd = [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", *(["--", *app_args] if app_args else [])]
        # their own output goes to this command's stderr: its stdout is the lines scripts read
        self.servers[port] = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=sys.stderr)

    def wait_ready(self, deadline: float, stopping: list) -> None:
        waiting = dict(self.servers)
        while waiting and not stopping:
            for port, proc in list(waiting.items()):
                if proc.poll() is not None:
                    raise RuntimeError(f"the app server on port {port} exited ({proc.returncode}) before it was ready")
                if healthy(port):
                    say(f"server {port} {proc.pid}")
                    del waiting[port]
            if time.time() > deadline:
                raise RuntimeError(f"app servers on ports {sorted(waiting)} not ready in {READY_TIMEOUT_S} s")
            time.sleep(0.2)

    def watch(self) -> None:
        for port, proc in self.servers.items():
            if port not in self.lost and proc.poll() is not None:
                self.lost.add(port)
                say(f"lost {port} {proc.pid}")
        if self.nginx is not None and self.nginx.poll() is not None:
            raise RuntimeError(f"nginx exited ({self.nginx.returncode}); see its error.log")

    def stop(self) -> None:
        started = [p for p in [self.nginx, *self.servers.values()] if p is not None]
        for p in started:  # each was started in its own session: its children too (a lost server's included)
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        procs = [p for p in started if p.poll() is None]
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def worker_user() -> str | None:
    """nginx started by root hands its workers to an unprivileged user; otherwise they run as the
    user who started it."""
    if os.geteuid() != 0:
        return None
    for name in ("www-data", "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return f"{name} {grp.getgrgid(entry.pw_gid).gr_name}"
        except KeyError:
            continue
    return None


def make_run_dir(user: str | None) -> Path:
    run = Path(tempfile.mkdtemp(prefix="explorer-nginx-"))
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run / sub).mkdir()
        if user:
            entry = pwd.getpwnam(user.split()[0])
            os.chown(run / sub, entry.pw_uid, entry.pw_gid)
    run.chmod(0o755)
    return run


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    argv, app_args = split_args(argv)
    p = argparse.ArgumentParser(prog="deploy/serve.sh", description=__doc__.split("\n")[0])
    p.add_argument("n", type=int, help="app servers to start (1-32)")
    p.add_argument("port", type=int, nargs="?", default=8080, help="nginx's port (default 8080)")
    p.add_argument("--config", action="store_true", help="print the nginx configuration and exit")
    args = p.parse_args(argv)
    if not 1 <= args.n <= 32:
        p.error(f"N must be 1 to 32, not {args.n}")
    if not 1 <= args.port <= 65535:
        p.error(f"PORT must be 1 to 65535, not {args.port}")
    return args, app_args


def main(argv: list[str] | None = None) -> int:
    args, app_args = parse(sys.argv[1:] if argv is None else argv)
    if args.config:  # the ports a fixed deployment would use
        print(nginx_config([8501 + i for i in range(args.n)], args.port, Path("/run/latent-explorer"), worker_user()))
        return 0
    ports = []
    while len(ports) < args.n:
        port = free_port()
        if port not in ports and port != args.port:
            ports.append(port)
    user = worker_user()
    nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")  # sbin is not on every user's PATH
    if nginx is None:
        print("deploy/serve.sh: nginx is not installed (Debian: sudo apt-get install nginx)", file=sys.stderr)
        return 2
    env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    serving = Serving()
    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    run = None
    try:
        run = make_run_dir(user)
        conf = ["-p", str(run), "-c", str(run / "nginx.conf"), "-e", str(run / "error.log")]
        (run / "nginx.conf").write_text(nginx_config(ports, args.port, run, user))
        check = subprocess.run([nginx, "-t", "-q", *conf], capture_output=True, text=True)  # before any server
        if check.returncode != 0:
            raise RuntimeError(f"nginx refuses its configuration: {check.stderr.strip()[-400:]}")
        for port in ports:
            serving.start_server(port, env, app_args)
        serving.wait_ready(time.time() + READY_TIMEOUT_S, stopping)
        if stopping:
            return 0
        serving.nginx = subprocess.Popen([nginx, *conf, "-g", "daemon off;"], start_new_session=True,
                                         stdout=sys.stderr)  # this command's stdout is the lines scripts read
        deadline = time.time() + 20
        while not stopping:  # nginx's own answer, not whatever else may be listening on the port
            if serving.nginx.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"nginx did not start on port {args.port}: "
                                   f"{(run / 'error.log').read_text()[-400:] if (run / 'error.log').exists() else ''}")
            if healthy(args.port, "/nginx-health"):
                break
            time.sleep(0.1)
        if stopping:
            return 0
        say(f"nginx {args.port} {serving.nginx.pid}")
        say(f"ready http://127.0.0.1:{args.port}/ (nginx's files and logs: {run})")
        while not stopping:
            serving.watch()
            time.sleep(0.5)
        return 0
    except RuntimeError as e:
        print(f"deploy/serve.sh: {e}", file=sys.stderr)
        return 1
    finally:
        serving.stop()
        if run is not None:
            shutil.rmtree(run, ignore_errors=True)  # this run's own folder, made above


if __name__ == "__main__":
    sys.exit(main())
