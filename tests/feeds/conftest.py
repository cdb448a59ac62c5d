"""Fixtures of the feed tests; the helpers they use are in :mod:`tests.feeds.support`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import REPO

from .support import DATA, Expected, expected_for, feed_files


@pytest.fixture(scope="session")
def expected() -> Expected:
    """What the real site's feeds must hold."""
    return expected_for(REPO)


@pytest.fixture(scope="session")
def feeds(built_site: Path) -> dict[str, Path]:
    """The real built site's feed files, by path relative to feeds/."""
    return feed_files(built_site)


@pytest.fixture(scope="session")
def atom_schema() -> etree.RelaxNG:
    """RFC 4287's RELAX NG grammar (see the comment at the top of the file)."""
    return etree.RelaxNG(etree.parse(str(DATA / "atom-rfc4287.rng")))


@pytest.fixture(scope="session")
def json_feed_schema() -> dict[str, Any]:
    return json.loads((DATA / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
