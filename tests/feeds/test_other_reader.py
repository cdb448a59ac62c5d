"""A feed URL read by a feed library that is not feedparser: npm's rss-parser.

Needs Node.js and ``npm ci --prefix tests/feeds/js`` (CI runs it); skipped otherwise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .support import Expected

JS = Path(__file__).parent / "js"


def read_with_rss_parser(url: str) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: no `node` on PATH")
    if not (JS / "node_modules" / "rss-parser").is_dir():
        pytest.skip("rss-parser is not installed; run `npm ci --prefix tests/feeds/js`")
    result = subprocess.run([node, str(JS / "read_feed.mjs"), url], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("feed", ["news.rss.xml", "news.atom.xml", "audience/skola.rss.xml"])
def test_rss_parser_lists_the_posts(site_server: str, expected: Expected, feed: str) -> None:
    seen = read_with_rss_parser(f"{site_server}feeds/{feed}")
    wanted = expected.feeds()[feed.split(".")[0]]
    assert seen["title"].startswith("IT-nytt")
    assert [item["title"] for item in seen["items"]] == [post.title for post in wanted]
    assert [item["guid"] for item in seen["items"]] == [expected.item_id(p) for p in wanted]
    assert all(item["link"].startswith("http") and item["isoDate"] for item in seen["items"])
