"""Shared fixtures: the real site built with mkdocs, and a local HTTP server for it.

Builds run the real ``mkdocs`` command in a subprocess, so exit codes and messages are the
ones a writer sees. ``SOURCE_DATE_EPOCH`` fixes "now" for the publishing rules, so which
posts are future or upcoming does not depend on the day the tests run.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# "Now" for every test build: the day this suite's content was written about.
BUILD_NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SITE_URL = "http://intranet.exempelby.test/it/"


@dataclass(frozen=True)
class Build:
    """The outcome of one `mkdocs build`."""

    returncode: int
    output: str
    site: Path


def mkdocs_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SOURCE_DATE_EPOCH=str(int(BUILD_NOW.timestamp())),
        SITE_URL=SITE_URL,
        NO_MKDOCS_2_WARNING="1",
    )
    env.update(extra)
    return env


def run_build(
    project: Path, site: Path, *, strict: bool = True, extra_args: str = "", **env: str
) -> Build:
    """Run `mkdocs build` for the project folder ``project`` into ``site``."""
    command = [sys.executable, "-m", "mkdocs", "build", "-d", str(site), *extra_args.split()]
    if strict:
        command.append("--strict")
    result = subprocess.run(
        command, cwd=project, env=mkdocs_env(**env), capture_output=True, text=True,
        timeout=300, check=False,
    )
    return Build(result.returncode, result.stdout + result.stderr, site)


def copy_project(target: Path) -> Path:
    """A copy of the site's sources (mkdocs.yml, content/, overrides/) that a test may edit."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "mkdocs.yml", target / "mkdocs.yml")
    for folder in ("content", "overrides"):
        shutil.copytree(REPO / folder, target / folder)
    return target


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once per session with --strict; the path of its site folder."""
    out = tmp_path_factory.mktemp("built") / "site"
    build = run_build(REPO, out)
    assert build.returncode == 0, build.output
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An editable copy of the site's sources."""
    return copy_project(tmp_path / "project")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``directory`` over HTTP on 127.0.0.1; returns the server and its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[str]:
    """Base URL of the built site served on 127.0.0.1."""
    server, url = serve(built_site)
    yield url
    server.shutdown()
    server.server_close()
