"""Lint and type checks, part of every test run so that CI enforces them."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)


def test_ruff() -> None:
    result = run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    result = run(sys.executable, "-m", "mypy", "plugins", "newsletter", "swedish", "nyhet")
    assert result.returncode == 0, result.stdout + result.stderr
