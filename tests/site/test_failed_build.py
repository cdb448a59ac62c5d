"""A failed build leaves the previous site/ exactly as it was; a good one replaces it whole."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import run_build


def snapshot(site: Path) -> dict[str, tuple[str, float]]:
    """Every file under ``site`` with its content hash and modification time."""
    return {
        path.relative_to(site).as_posix(): (hashlib.sha256(path.read_bytes()).hexdigest(),
                                            path.stat().st_mtime)
        for path in sorted(site.rglob("*")) if path.is_file()
    }


BROKEN = {
    # Our validation: fails in on_files, after MkDocs has emptied site_dir.
    "invalid front matter": ("status: klart\n", False),
    # A warning under --strict: MkDocs aborts after every page and the feeds were written.
    "misspelt field under --strict": ("audiance: [skola]\nstatus: klar\n", True),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_failed_build_leaves_the_previous_site_as_it_was(
    project: Path, tmp_path: Path, case: str
) -> None:
    site = tmp_path / "site"
    good = run_build(project, site)
    assert good.returncode == 0, good.output
    before = snapshot(site)
    assert "index.html" in before and "feeds/news.rss.xml" in before
    extra, strict = BROKEN[case]
    (project / "content/news/posts/trasig.md").write_text(
        "---\ntitle: Trasig\ndate: 2026-11-28\ndescription: Kort.\ncategories: [Tips]\n"
        f"audience: [alla]\n{extra}---\n\n# Trasig\n\nText.\n", encoding="utf-8")

    failed = run_build(project, site, strict=strict)

    assert failed.returncode != 0, failed.output
    assert snapshot(site) == before
    assert f"Bygget misslyckades; {site} är kvar som det var" in failed.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "site"], \
        "the staging folder was left behind"


def test_a_good_build_replaces_the_whole_site(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "gammal.html").write_text("från förra bygget", encoding="utf-8")

    build = run_build(project, site)

    assert build.returncode == 0, build.output
    assert (site / "index.html").is_file()
    assert not (site / "gammal.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "site"]
