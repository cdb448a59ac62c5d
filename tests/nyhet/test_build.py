"""The build reports what `nyhet granska` reports: errors fail --strict, warnings are shown."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_build

from .conftest import Nyhet
from .test_granska import BROKEN_POST, write


def test_build_shows_the_same_findings_and_strict_fails_on_errors(
    project: Path, nyhet: Nyhet, tmp_path: Path
) -> None:
    # Without the misspelt field, whose warning the posts plugin gives in its own words.
    path = write(project, "granskning.md", BROKEN_POST.replace("audiance: [skola]\n", ""))
    checked = nyhet("granska", "--inga-tips", path)
    findings = [line for line in checked.stdout.splitlines() if line.startswith(path)]
    assert any(": fel: " in line for line in findings)
    assert any(": varning: " in line for line in findings)

    strict = run_build(project, tmp_path / "strict")
    assert strict.returncode == 1
    for line in findings:
        level = "WARNING" if ": fel: " in line else "INFO"
        assert f"{level:<8}-  plugins: {line}" in strict.output, line
    assert "Aborted with" in strict.output

    relaxed = run_build(project, tmp_path / "relaxed", strict=False)
    assert relaxed.returncode == 0, relaxed.output


def test_warnings_alone_do_not_fail_a_strict_build(project: Path, tmp_path: Path) -> None:
    text = BROKEN_POST.replace("audiance: [skola]\n", "").replace("steg 1", "granskning")
    text = text.replace("![](skarm.png)", "").replace("(../../guides/finns-inte.md)",
                                                      "(../../guides/teams-moten.md)")
    write(project, "granskning.md", text)
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    assert "granskning.md:20: varning: avsnittet ”Vad händer?” är tomt" in build.output
