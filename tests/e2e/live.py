"""Real servers for the live tests: daphne subprocesses on loopback, a scratch database for them,
and the seed script that fills it through the services.

Each server listens on a socket this process binds first (port 0: a free port, no race) and hands
over with daphne's ``--fd``; restarting a server on the same socket keeps its address.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = str(Path(sys.executable).with_name("daphne"))
SETTINGS = "config.settings"


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def server_env(database_url: str, redis_url: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DATABASE_URL": database_url,
            "YISHI_ASGI": "1",
            "DJANGO_DEBUG": "1",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


class Daphne:
    """One daphne process serving ``config.asgi:application``."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.env = env
        self.sock = listening_socket()
        self.port = self.sock.getsockname()[1]
        self.log_path = log_dir / f"daphne-{name}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Daphne:
        fd = self.sock.fileno()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [DAPHNE, "--fd", str(fd), "-v", "1", "config.asgi:application"],
                cwd=ROOT,
                env=self.env,
                pass_fds=[fd],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError):
                status = http_status(self.url + "/favicon.ico", timeout=2)
                if status:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"daphne did not answer within {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def close(self) -> None:
        self.stop()
        self.sock.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def http_status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def api_post(
    url: str, token: str, body: dict[str, Any], timeout: float = 10
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return int(e.code), json.loads(e.read() or b"{}")


# --- a scratch database the servers share -------------------------------------------------------
def _with_db_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextlib.contextmanager
def scratch_database(tmp_dir: Path, suffix: str) -> Iterator[str]:
    """A fresh, empty database: on the PostgreSQL server of ``DATABASE_URL`` if that is one,
    else an SQLite file. Dropped afterwards."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_dir / f'{suffix}.sqlite3'}"
        return
    import psycopg

    name = f"{urlsplit(base).path.lstrip('/') or 'yishi'}_{suffix}"
    admin = _with_db_name(base, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db_name(base, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"migrate failed:\n{done.stdout}\n{done.stderr}")


def seed(env: dict[str, str], slug: str, voters: int) -> dict[str, Any]:
    """Fill the scratch database through the services (``tests/e2e/seed.py``); returns its JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.seed", "--slug", slug, "--voters", str(voters)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"seed failed:\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
