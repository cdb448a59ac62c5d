"""Running the writers' command as a writer does: a subprocess in a copy of the site."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import mkdocs_env

Nyhet = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def nyhet(project: Path) -> Nyhet:
    """Run ``python -m nyhet ARGS`` in the project copy; stdin is not a terminal."""

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "nyhet", *args], cwd=project, env=mkdocs_env(),
            input=stdin, capture_output=True, text=True, timeout=120, check=False,
        )

    return run
