"""Putting a finished site in place of the previous one. Imports nothing from MkDocs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def staging_path(target: Path) -> Path:
    """Where the site is built: a hidden sibling of ``target``, on the same file system, so
    the swap is a rename and never a copy."""
    return target.parent / f".{target.name}.building"


def swap_in(built: Path, target: Path) -> None:
    """Replace the folder ``target`` with ``built`` by two renames.

    The web server sees the old site or the new one, except for the moment between the two
    renames (microseconds), when ``target`` is briefly missing.
    """
    previous = target.parent / f".{target.name}.previous"
    remove(previous)
    if target.exists():
        os.rename(target, previous)
    os.rename(built, target)
    remove(previous)


def remove(folder: Path) -> None:
    """Delete ``folder`` and what it holds, if it exists."""
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
    elif folder.exists() or folder.is_symlink():
        folder.unlink()
