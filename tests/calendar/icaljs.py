"""The second iCalendar parser: ical.js (Mozilla's, used by Thunderbird), run with Node.js.

Needs ``npm ci --prefix tests/calendar/js`` (CI runs it). Missing, the tests are skipped on a
developer's machine and fail in CI, where a missing install must not pass as green.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).parent / "js"


def read_with_icaljs(*files: Path) -> list[dict[str, Any]]:
    """What ical.js reads from each file: name, zones and events (start and end in UTC)."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js is not installed: no `node` on PATH"
    elif not (JS / "node_modules" / "ical.js").is_dir():
        problem = "ical.js is not installed; run `npm ci --prefix tests/calendar/js`"
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{problem} (CI is set, so this is an error, not a skip)")
        pytest.skip(problem)
    assert node is not None
    result = subprocess.run([node, str(JS / "read_calendar.mjs"), *map(str, files)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))
