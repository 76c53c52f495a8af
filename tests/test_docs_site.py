"""The built documentation site, as a browser shows it: reference pages render, roles are links.

The site is built with ``mkdocs build`` into a scratch folder, served on a free loopback port,
and each checked page is loaded in headless Chromium (``--dump-dom``: the DOM after the page's
scripts ran). The check asserts what a reader sees: the ``Engine`` and ``Client`` reference
entries with their signatures, Sphinx-style roles turned into ``<a>`` cross-references (no raw
``:class:`` text), and each ``Returns`` section rendered once. It skips only where no Chromium
is installed (CI installs Debian's ``chromium``).
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("mkdocstrings_handlers.python", reason="the docs extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str | None:
    found = os.environ.get("CHROMIUM")
    return found or next((p for p in map(shutil.which, BROWSERS) if p), None)


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_browser() is None, reason="no Chromium found (set CHROMIUM or install it)"),
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    handler = functools.partial(_Quiet, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def dom(url: str, tmp_path: Path) -> str:
    browser = _browser()
    assert browser is not None
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


def _entry(page: str, ident: str) -> str:
    """The text from the heading whose id is ``ident`` to its contents (name and signature)."""
    m = re.search(rf'<h\d[^>]*id="{re.escape(ident)}"(.*?)class="doc doc-contents', page, re.S)
    assert m, f"no heading {ident}"
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1)))


def _checks(page: str) -> None:
    assert ":class:`" not in page and ":meth:`" not in page  # every role was rewritten
    assert re.search(r'<a class="autorefs[^"]*"[^>]*href="[^"]+"><code>', page)


def test_engine_reference_page(site: str, tmp_path: Path) -> None:
    page = dom(f"{site}/api/timesync-engine/", tmp_path)
    assert "Engine(" in _entry(page, "timesync.engine.Engine")
    assert "local" in _entry(page, "timesync.engine.Engine")  # its parameters are shown
    assert "run(" in _entry(page, "timesync.engine.Engine.run")
    _checks(page)
    # a role in Engine's docstring (:class:`~timesync.local.LocalSystem`) is a link to its page
    assert re.search(
        r'<a class="autorefs[^"]*"[^>]*href="[^"]*timesync-local/#timesync\.local\.LocalSystem"',
        page,
    )


def test_client_reference_page(site: str, tmp_path: Path) -> None:
    page = dom(f"{site}/reference/", tmp_path)
    assert "Client(" in _entry(page, "intacct_sdk.Client")
    assert "query(" in _entry(page, "intacct_sdk.Client.query")
    _checks(page)
    # Client.query's Returns section spans two lines: it renders as one entry
    section = page.split('id="intacct_sdk.Client.query"', 1)[1].split(
        '<div class="doc doc-object', 1
    )[0]
    assert section.count(">Returns:<") == 1
    returns = section.split(">Returns:<", 1)[1].split("</table>", 1)[0]
    assert returns.count('class="doc-section-item"') == 1


def test_engine_function_returns_once(site: str, tmp_path: Path) -> None:
    page = dom(f"{site}/api/timesync-engine/", tmp_path)
    section = page.split('id="timesync.engine.plan_push"', 1)[1].split(
        '<div class="doc doc-object', 1
    )[0]
    returns = section.split(">Returns:<", 1)[1].split("</table>", 1)[0]
    assert returns.count('class="doc-section-item"') == 1
