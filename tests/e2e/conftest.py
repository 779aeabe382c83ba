"""A live stack for the e2e tests: one daphne on loopback over a scratch database (PostgreSQL when
DATABASE_URL is one, else an SQLite file), with Redis when REDIS_URL is set; and headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import live

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@dataclass
class Stack:
    env: dict[str, str]
    server: live.Daphne
    tmp: Path

    def seed(self, slug: str, voters: int = 5) -> dict[str, Any]:
        return live.seed(self.env, slug, voters)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test here is a browser walk or a slow cross-process one: ``make test`` leaves both
    out, so an unmarked one would land in the developer's fast loop unnoticed."""
    here = Path(__file__).resolve().parent
    unmarked = [
        item.nodeid
        for item in items
        if here in item.path.resolve().parents
        and not any(item.get_closest_marker(m) for m in ("browser", "slow"))
    ]
    if unmarked:
        raise pytest.UsageError("tests/e2e: mark these browser or slow: " + ", ".join(unmarked))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("e2e")
    with live.scratch_database(tmp, "e2e") as url:
        env = live.server_env(url, os.environ.get("REDIS_URL", ""))
        live.migrate(env)
        server = live.Daphne(env, tmp, "e2e").start()
        try:
            yield Stack(env=env, server=server, tmp=tmp)
        finally:
            server.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1920,1080",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
