"""Reading what Pagefind wrote, independently of the plugin: its fragment files.

Each ``fragment/*.pf_fragment`` is one indexed page: gzip of ``pagefind_dcd`` followed by JSON
with the page's url, text, metadata and filters (the format Pagefind's own JavaScript reads).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

MAGIC = b"pagefind_dcd"


def indexed_pages(site: Path, index_dir: str = "pagefind") -> dict[str, dict[str, Any]]:
    """Every page in the site's Pagefind index, by its URL (e.g. ``/news/serverflytt/``)."""
    pages = {}
    for path in sorted((site / index_dir / "fragment").glob("*.pf_fragment")):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(MAGIC), f"{path.name} is not a Pagefind fragment"
        fragment = json.loads(raw[len(MAGIC):])
        pages[fragment["url"]] = fragment
    return pages
