"""A writer who commits runs the check: the repository's pre-commit files, run by pre-commit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, mkdocs_env

from .test_granska import BROKEN_POST


def pre_commit(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = mkdocs_env(PRE_COMMIT_HOME=str(project.parent / "pre-commit-home"))
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_hooks_manifest_is_valid(project: Path) -> None:
    result = pre_commit(project, "validate-manifest", str(REPO / ".pre-commit-hooks.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_commit_with_a_broken_post_is_stopped(project: Path) -> None:
    shutil.copy2(REPO / ".pre-commit-config.yaml", project / ".pre-commit-config.yaml")
    # The example runs the project's own .venv; here that is the test run's environment.
    os.symlink(sys.prefix, project / ".venv")
    git = ["git", "-c", "user.name=Skribent", "-c", "user.email=skribent@exempelby.test"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    post = project / "content/news/posts/granskning.md"
    post.write_text(BROKEN_POST, encoding="utf-8")

    stopped = pre_commit(project, "run", "--files", "content/news/posts/granskning.md")
    assert stopped.returncode == 1
    assert ("content/news/posts/granskning.md:7: fel: fältet audiance är okänt och används "
            "inte; menade du audience?") in stopped.stdout

    fine = pre_commit(project, "run", "--files", "content/guides/teams-moten.md")
    assert fine.returncode == 0, fine.stdout
