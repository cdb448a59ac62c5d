"""Fixtures of the subscription service's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.support import Service, running_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """``newsletter serve`` on 127.0.0.1 with a real SMTP server and its own database."""
    with running_service(tmp_path) as running:
        yield running
