"""deploy/: the files an operator installs say what the code does."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CODE_DIRS = ("config", "projects", "deliberation", "notifications", "ops", "deploy")
ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|os\.environ\.setdefault|env_bool|os\.environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def env_names_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            names |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names


def test_the_environment_template_lists_every_setting_the_code_reads() -> None:
    template = (DEPLOY / "yishi.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", template, re.MULTILINE))
    read = env_names_read_by_the_code() | {"DATABASE_URL"}  # read by dj_database_url.config()
    assert {"REDIS_URL", "LOG_FORMAT", "SENTRY_DSN", "GUNICORN_WORKERS"} <= read  # the scan works
    assert read - listed == set(), "add these to deploy/yishi.env.example"


def test_nginx_takes_the_largest_upload_the_app_accepts() -> None:
    from projects.services import MAX_PHOTOS
    from projects.uploads import MAX_PHOTO_BYTES, MAX_RECEIPT_BYTES

    conf = (DEPLOY / "nginx" / "yishi.conf").read_text(encoding="utf-8")
    (limit,) = re.findall(r"client_max_body_size (\d+)m;", conf)
    largest = max(MAX_PHOTOS * MAX_PHOTO_BYTES, MAX_RECEIPT_BYTES)
    assert int(limit) * 1024 * 1024 > largest


def test_every_process_has_a_unit_that_restarts_it() -> None:
    units = {p.name: p.read_text(encoding="utf-8") for p in (DEPLOY / "systemd").glob("*.service")}
    assert set(units) == {
        "yishi-web.service",
        "yishi-ws@.service",
        "yishi-worker.service",
        "yishi-clock.service",
    }
    commands = {name: re.search(r"^ExecStart=(.*)$", text, re.M) for name, text in units.items()}
    assert "gunicorn config.wsgi:application" in commands["yishi-web.service"][1]  # type: ignore[index]
    assert "daphne" in commands["yishi-ws@.service"][1]  # type: ignore[index]
    assert "db_worker" in commands["yishi-worker.service"][1]  # type: ignore[index]
    assert "tick --loop 30" in commands["yishi-clock.service"][1]  # type: ignore[index]
    for name, text in units.items():
        assert "Restart=on-failure" in text, name
        assert "EnvironmentFile=/etc/yishi/yishi.env" in text, name


def test_gunicorn_runs_two_workers_per_core_plus_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import runpy

    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["workers"] == 2 * multiprocessing.cpu_count() + 1
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["workers"] == 3


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_the_nginx_file_is_valid(tmp_path: Path) -> None:
    """nginx -t on the file as shipped, inside a minimal main configuration (the certificate
    replaced by a throwaway one when the snakeoil pair is absent)."""
    conf = (DEPLOY / "nginx" / "yishi.conf").read_text(encoding="utf-8")
    if not Path("/etc/ssl/private/ssl-cert-snakeoil.key").exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=localhost", "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        conf = conf.replace("/etc/ssl/certs/ssl-cert-snakeoil.pem", str(tmp_path / "c.pem"))
        conf = conf.replace("/etc/ssl/private/ssl-cert-snakeoil.key", str(tmp_path / "k.pem"))
    conf = conf.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "yishi.conf").write_text(conf, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path}/yishi.conf; }}\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
