"""The container recipe and the Kubernetes example, read as data: there is no Docker
daemon and no cluster here, so what can drift is checked against the code it must agree with.
deploy/Dockerfile copies every part of the checkout the app loads, pins the torch the
requirements pin, runs as the user and on the port the Kubernetes example expects, and checks
the health Streamlit answers; the Deployment passes the cookie secret under the name Streamlit
reads, and its Ingress keeps nginx's affinity cookie, timeouts and upload size.
tests/test_browser_install.py builds a checkout from the Dockerfile's COPY lines, runs its build
step and its command's server, and asks its health check."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from explorer import data as explorer_data
from ui import import_panel

from .conftest import ROOT
from .deploy_files import command, copied, health_command, instructions, port

KUBERNETES = ROOT / "deploy" / "kubernetes" / "latent-explorer.yaml"
NGINX = ROOT / "deploy" / "nginx.conf.template"


def kubernetes() -> dict[str, dict]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(KUBERNETES.read_text())}


def app_modules() -> set[str]:
    """The checkout's top-level names a server imports: the app and every page and shared part."""
    code = ("import pkgutil, sys, importlib\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "import app\n"
            "for pkg in ('views', 'ui', 'explorer'):\n"
            "    p = importlib.import_module(pkg)\n"
            "    for m in pkgutil.walk_packages(p.__path__, pkg + '.'):\n"
            "        importlib.import_module(m.name)\n"
            f"root = {str(ROOT)!r} + '/'\n"
            "import json\n"
            "print(json.dumps(sorted({n.split('.')[0] for n, m in list(sys.modules.items())\n"
            "                         if (getattr(m, '__file__', None) or '').startswith(root)})))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_image_copies_everything_the_app_loads_and_nothing_that_is_not_there():
    sources = copied()
    assert all((ROOT / s).exists() for s in sources), [s for s in sources if not (ROOT / s).exists()]
    names = {Path(s).name for s in sources}
    modules = {m + ".py" if (ROOT / (m + ".py")).is_file() else m for m in app_modules()}
    assert modules <= names, f"the app imports {sorted(modules - names)}, which the image does not copy"
    # the app's settings (static serving, upload size) and the shipped models
    assert {".streamlit", "pretrained"} <= names
    assert "tests" not in names and "bench" not in names


def test_the_image_installs_what_the_readme_installs_and_runs_as_kubernetes_expects():
    steps = instructions()
    run = " && ".join(args for word, args in steps if word == "RUN")
    pin = re.search(r"^torch==\S+", (ROOT / "requirements.txt").read_text(), re.M)[0]
    assert pin in run and "pip install -r requirements.txt" in run  # the README's first command
    # browser files written ahead, once the code is in (a read-only image decodes in the browser),
    # into the static/ beside app.py that the app's user may still write
    words = [word for word, _ in steps]
    writes = next(i for i, (word, args) in enumerate(steps) if word == "RUN" and "python -m ui.static_files" in args)
    assert max(i for i, w in enumerate(words) if w == "COPY") < writes
    name, uid = re.search(r"useradd .*--uid (\d+) (\S+)", run).group(2, 1)
    assert f"chown -R {name} {dict(steps)['WORKDIR']}/static" in run
    python = re.search(r"\(Python (3\.\d+)\)", (ROOT / "README.md").read_text())[1]
    assert re.search(rf"python:{re.escape(python)}\b", dict(steps)["FROM"]), f"the README's Python is {python}"
    assert [args for word, args in steps if word == "USER"][-1] == name  # the app runs as that user
    cmd = command()
    assert cmd[:3] == ["python", "-m", "ui.serve"], cmd  # warm: the first page prepared as it starts
    assert int(dict(steps)["EXPOSE"]) == port()
    assert f"127.0.0.1:{port()}/_stcore/health" in health_command()
    env = dict(kv.split("=", 1) for word, args in steps if word == "ENV" for kv in shlex.split(args))
    assert import_panel.IMPORT_DIR_VAR in env and env[import_panel.IMPORT_DIR_VAR].startswith(f"/home/{name}/")

    k8s = kubernetes()
    pod = k8s["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(uid) and pod["securityContext"]["runAsNonRoot"]
    (container,) = pod["containers"]
    assert container["ports"] == [{"containerPort": port()}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/_stcore/health", "port": port()}, probe
    assert k8s["Service"]["spec"]["ports"][0]["targetPort"] == port()
    env = {e["name"]: e for e in container["env"]}
    data = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "data")
    assert env[explorer_data.ENV_VAR]["value"] == data  # the images, where the library looks for them


def test_every_replica_gets_the_cookie_secret_under_the_name_streamlit_reads():
    k8s = kubernetes()
    (container,) = k8s["Deployment"]["spec"]["template"]["spec"]["containers"]
    names = [e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})]
    assert names == ["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert "STREAMLIT_SERVER_COOKIE_SECRET" in (ROOT / "deploy" / "serve.py").read_text()
    code = "from streamlit import config; print(config.get_option('server.cookieSecret'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"STREAMLIT_SERVER_COOKIE_SECRET": "shared-by-every-replica", "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "shared-by-every-replica", done.stderr[-1000:]


def test_the_ingress_keeps_nginxs_affinity_cookie_timeouts_and_upload_size():
    notes = kubernetes()["Ingress"]["metadata"]["annotations"]
    key = "nginx.ingress.kubernetes.io/"
    conf = NGINX.read_text()
    assert notes[key + "affinity"] == "cookie"
    assert re.search(rf"\b{notes[key + 'session-cookie-name']}=", conf), "not the cookie deploy/serve.sh's nginx sets"
    hours = int(re.search(r"proxy_read_timeout (\d+)h;", conf)[1])
    assert int(notes[key + "proxy-read-timeout"]) >= hours * 3600 and int(notes[key + "proxy-send-timeout"]) >= hours * 3600
    size = notes[key + "proxy-body-size"]
    assert f"client_max_body_size {size};" in conf
    assert int(size.rstrip("m")) >= max(import_panel.ONNX_MB, import_panel.NPZ_MB)
