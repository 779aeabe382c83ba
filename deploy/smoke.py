"""The smoke test's walk THROUGH THE PROXY (nginx -> gunicorn / daphne), run by .ci/smoke.

    python deploy/smoke.py live --base https://127.0.0.1:PORT --state STATE.json
    python deploy/smoke.py restored --base https://127.0.0.1:PORT --state STATE.json

``live``: /readyz is 200; nginx serves static (cached) and media (nosniff, attachment unless an
image); a demo resident signs in on the login page (CSRF from the form), proposes a project with
the page's form, neighbours cast evaluation votes through the API (their sessions, CSRF header)
until the public screen's websocket /ws/screen/<slug>/ receives the sealed tally's event; the
monthly statement downloads as CSV. What it did goes to STATE.json.

``restored`` (after backup, drop, create, restore): /readyz is 200 again, the proposed project and
the evaluation tally are back, a voter who voted cannot vote again (their participation is
back), and the statement CSV is byte for byte the one downloaded before.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import queue
import re
import ssl
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import connect

PASSWORD = "yishi-demo"  # noqa: S105 - the demo's published password
COMMUNITY = "xingfuli"
warnings.filterwarnings("ignore", message="Unverified HTTPS request")  # the smoke's own cert


class Walk:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def url(self, path: str) -> str:
        return self.base + path

    def session(self) -> requests.Session:
        s = requests.Session()
        s.verify = False  # a certificate made for this run
        s.trust_env = False  # REQUESTS_CA_BUNDLE would turn verification back on; no proxies
        return s

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            raise SystemExit(f"SMOKE FAILED: {what}")
        print(f"ok  {what}", flush=True)

    def wait_ready(self, timeout: float = 90) -> dict[str, Any]:
        s = self.session()
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                r = s.get(self.url("/readyz"), timeout=10)
                body = r.json()
                if r.status_code == 200:
                    return body
            except (requests.RequestException, ValueError) as exc:
                body = {"error": repr(exc)}
            time.sleep(1)
        raise SystemExit(f"SMOKE FAILED: /readyz not 200 within {timeout:.0f} s: {body}")

    def sign_in(self, username: str) -> requests.Session:
        s = self.session()
        page = s.get(self.url("/accounts/login/"), timeout=20)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        r = s.post(
            self.url("/accounts/login/"),
            data={"csrfmiddlewaretoken": token[1], "username": username, "password": PASSWORD},
            headers={"Referer": self.url("/accounts/login/")},
            allow_redirects=False,
            timeout=20,
        )
        if r.status_code != 302:
            raise SystemExit(f"SMOKE FAILED: sign-in of {username}: {r.status_code}")
        return s

    def api_post(self, s: requests.Session, path: str, body: dict[str, Any]) -> requests.Response:
        return s.post(
            self.url(path),
            json=body,
            headers={"X-CSRFToken": s.cookies.get("csrftoken", ""), "Referer": self.url("/")},
            timeout=20,
        )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listen(
    walk: Walk, path: str, events: queue.Queue[dict[str, Any]], stop: threading.Event
) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ws_url = walk.base.replace("https://", "wss://", 1) + path
    with connect(ws_url, ssl=ctx, origin=walk.base, open_timeout=20) as ws:  # type: ignore[arg-type]
        events.put({"kind": "_connected"})
        while not stop.is_set():
            try:
                message = ws.recv(timeout=0.5)
            except TimeoutError:
                continue
            events.put(json.loads(message))


def statement_csv(walk: Walk, s: requests.Session) -> tuple[str, bytes]:
    index = s.get(walk.url(f"/communities/{COMMUNITY}/statements/"), timeout=20)
    walk.check(index.status_code == 200, "the statements page answers")
    months = re.findall(rf"/communities/{COMMUNITY}/statements/(\d{{4}}-\d{{2}})", index.text)
    walk.check(bool(months), f"the statements page lists months ({sorted(set(months))[:3]} ...)")
    month = sorted(set(months))[-1]
    r = s.get(walk.url(f"/communities/{COMMUNITY}/statements/{month}.csv"), timeout=20)
    walk.check(r.status_code == 200, f"statement {month}.csv downloads")
    walk.check("csv" in r.headers.get("Content-Type", ""), "it is CSV")
    walk.check(len(r.content.splitlines()) > 1, f"it has rows ({len(r.content.splitlines())})")
    return month, r.content


def live(walk: Walk, state_file: Path, media_root: Path) -> None:
    ready = walk.wait_ready()
    walk.check(all(c["ok"] for c in ready["checks"].values()), f"/readyz 200: {ready['checks']}")
    anon = walk.session()
    r = anon.get(walk.url("/healthz"), timeout=10)
    walk.check(r.status_code == 200 and bool(r.headers.get("X-Request-ID")), "/healthz with id")

    # nginx's own files
    r = anon.get(walk.url("/static/css/yishi.css"), timeout=10)
    walk.check(r.status_code == 200, "static file from STATIC_ROOT")
    walk.check("max-age=604800" in r.headers.get("Cache-Control", ""), "static is cached")
    (media_root / "smoke").mkdir(parents=True, exist_ok=True)
    (media_root / "smoke" / "receipt.pdf").write_bytes(b"%PDF-1.4\n% smoke\n")
    (media_root / "smoke" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    r = anon.get(walk.url("/media/smoke/receipt.pdf"), timeout=10)
    walk.check(
        r.status_code == 200 and r.headers.get("Content-Disposition") == "attachment",
        "a non-image upload is downloaded, never shown",
    )
    walk.check(r.headers.get("X-Content-Type-Options") == "nosniff", "media: nosniff")
    r = anon.get(walk.url("/media/smoke/photo.png"), timeout=10)
    walk.check(r.headers.get("Content-Disposition") == "inline", "an image is shown inline")

    # a resident signs in and proposes, with the page's form
    resident = walk.sign_in("resident1")
    walk.check(
        any(c.name == "sessionid" and c.secure for c in resident.cookies), "secure session cookie"
    )
    form = resident.get(walk.url("/projects/new/"), timeout=20)
    walk.check(form.status_code == 200, "the proposal form")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    category = re.search(
        r'<select name="category"[^>]*>.*?<option value="([^"]+)"', form.text, re.S
    )
    assert token and category, "the proposal form has a CSRF token and categories"
    title = f"冒烟测试：楼道照明 {int(time.time())}"
    data = {
        "csrfmiddlewaretoken": token[1],
        "title": title,
        "summary": "三号楼楼道照明损坏，夜间出行不便，提议更换声控灯。",
        "location": "三号楼",
        "category": category[1],
        "estimated_cost": "1200.00",
        "submit_now": "on",
    }
    if 'name="community"' in form.text:
        data["community"] = COMMUNITY
    r = resident.post(
        walk.url("/projects/new/"),
        data=data,
        headers={"Referer": walk.url("/projects/new/")},
        allow_redirects=False,
        timeout=30,
    )
    where = r.headers.get("Location", "")
    found = re.search(r"/projects/(\d+)/", where)
    walk.check(r.status_code == 302 and bool(found), f"proposed: {r.status_code} -> {where}")
    assert found
    proposed = int(found[1])
    page = resident.get(walk.url(f"/projects/{proposed}/"), timeout=20)
    walk.check(page.status_code == 200 and title in page.text, "the new project's page")

    # the public screen listens; neighbours vote until a sealed batch reaches it
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    stop = threading.Event()
    listener = threading.Thread(
        target=listen, args=(walk, f"/ws/screen/{COMMUNITY}/", events, stop), daemon=True
    )
    listener.start()
    first = events.get(timeout=30)
    walk.check(first.get("kind") == "_connected", f"websocket /ws/screen/{COMMUNITY}/ open")
    listing = anon.get(
        walk.url(f"/api/v1/projects/?community={COMMUNITY}&state=evaluating"), timeout=20
    ).json()
    walk.check(bool(listing["results"]), "a demo project is being evaluated")
    evaluating = int(listing["results"][0]["id"])
    voters: list[str] = []
    got: dict[str, Any] | None = None
    for n in range(28, 0, -1):
        s = walk.sign_in(f"resident{n}")
        r = walk.api_post(s, f"/api/v1/projects/{evaluating}/evaluation/", {"choice": "satisfied"})
        if r.status_code != 201:
            continue  # voted already, or not on this round's roll
        voters.append(f"resident{n}")
        deadline = time.monotonic() + 5
        while got is None and time.monotonic() < deadline:
            try:
                event = events.get(timeout=0.5)
            except queue.Empty:
                continue
            if event.get("kind") == "evaluation.tally" and event.get("project_id") == evaluating:
                got = event
        if got is not None:
            break
    stop.set()
    walk.check(bool(voters), f"evaluation votes cast through the API: {voters}")
    walk.check(got is not None, f"the public screen received the tally event: {got}")
    tally = anon.get(walk.url(f"/api/v1/projects/{evaluating}/"), timeout=20).json()["evaluation"]

    month, csv = statement_csv(walk, resident)
    state = {
        "proposed": proposed,
        "title": title,
        "evaluating": evaluating,
        "voters": voters,
        "tally": tally,
        "month": month,
        "csv_sha256": sha256(csv),
    }
    state_file.write_text(json.dumps(state, ensure_ascii=False, indent=2), encoding="utf-8")


def restored(walk: Walk, state_file: Path) -> None:
    state = json.loads(state_file.read_text(encoding="utf-8"))
    ready = walk.wait_ready()
    walk.check(True, f"/readyz 200 after the restore: {ready['checks']}")
    anon = walk.session()
    r = anon.get(walk.url(f"/api/v1/projects/{state['proposed']}/"), timeout=20)
    walk.check(r.status_code == 200 and r.json()["title"] == state["title"], "the proposal is back")
    r = anon.get(walk.url(f"/api/v1/projects/{state['evaluating']}/"), timeout=20)
    walk.check(r.json()["evaluation"] == state["tally"], "the evaluation tally is the same")
    s = walk.sign_in(state["voters"][0])
    r = walk.api_post(
        s, f"/api/v1/projects/{state['evaluating']}/evaluation/", {"choice": "dissatisfied"}
    )
    walk.check(r.status_code == 400, f"{state['voters'][0]} voted already: {r.status_code}")
    month = state["month"]
    r = s.get(walk.url(f"/communities/{COMMUNITY}/statements/{month}.csv"), timeout=20)
    walk.check(sha256(r.content) == state["csv_sha256"], f"statement {month}.csv is unchanged")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["live", "restored"])
    parser.add_argument("--base", required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--media-root", type=Path)
    args = parser.parse_args(argv)
    walk = Walk(args.base)
    if args.phase == "live":
        live(walk, args.state, args.media_root)
    else:
        restored(walk, args.state)
    print(f"smoke {args.phase}: all checks passed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
