"""This project under gunicorn on the loopback, for `tools.bench_auth` and `tools.loadtest`: start, wait, stop."""

import http.client
import signal
import socket
import subprocess
import sys
import time

from tools import ROOT, ToolError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PROJECT_APP = "efinance.wsgi:application"
# Any other Django project (tools.peer, tools.bare): its settings module from DJANGO_SETTINGS_MODULE.
DJANGO_APP = "django.core.wsgi:get_wsgi_application()"


def start(
    port: int,
    *,
    workers: int,
    env: dict | None = None,
    log=subprocess.DEVNULL,
    app: str = PROJECT_APP,
    log_config=None,
) -> subprocess.Popen:
    """gunicorn with `workers` workers on 127.0.0.1:`port` serving `app`; `env` defaults to this process's.
    With `log_config` (deploy/gunicorn-logging.json) its logging as in production, access log included."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--no-control-socket",
        "--timeout=30",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    if log_config is not None:
        command[-1] = "--log-level=info"
        command.append(f"--log-config-json={log_config}")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603


def wait_until_up(
    port: int, server: subprocess.Popen, seconds: float = 30, path: str = "/healthz", headers: dict | None = None
) -> None:
    """Until `path` answers 200 (/healthz: the app and its database are up); ToolError after `seconds`."""
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        if server.poll() is not None:
            raise ToolError(f"gunicorn on port {port} exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path, headers=headers or {})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    stop(server)
    raise ToolError(f"gunicorn on port {port} did not answer {path} within {seconds:.0f} s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
