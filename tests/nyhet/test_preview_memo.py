"""What `nyhet visa` remembers between reads of the site: the same results, made once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from nyhet.preview import _CopyOnce, _RememberedYaml


class CountingLoader(yaml.SafeLoader):
    made = 0

    def __init__(self, stream: Any) -> None:
        type(self).made += 1
        super().__init__(stream)


def test_each_text_is_parsed_once_and_every_caller_gets_its_own_copy() -> None:
    remembered = _RememberedYaml()
    text = "title: Flytt\nhide: [toc]\n"
    first = remembered.load(text, CountingLoader)
    first["hide"].append("navigation")  # Material's blog changes what it gets
    second = remembered.load(text, CountingLoader)
    assert second == {"title": "Flytt", "hide": ["toc"]}
    assert CountingLoader.made == 1
    assert remembered.load("title: Annan\n", CountingLoader) == {"title": "Annan"}
    assert CountingLoader.made == 2
    assert remembered.safe_load("a: 1") == {"a": 1}  # the rest of PyYAML as it is


def test_a_copy_is_made_again_only_when_its_source_changed_or_it_is_gone(
    tmp_path: Path
) -> None:
    copies: list[tuple[str, str]] = []

    def copy_file(source: str, target: str) -> None:
        copies.append((source, target))
        shutil.copyfile(source, target)

    source, target = tmp_path / "index.md", tmp_path / "page-2.md"
    source.write_text("# Nyheter\n", encoding="utf-8")
    copy_once = _CopyOnce(copy_file)
    copy_once(str(source), str(target))
    copy_once(str(source), str(target))
    assert len(copies) == 1
    source.write_text("# Alla nyheter\n", encoding="utf-8")
    os.utime(source, ns=(1, 1))  # another modification time, whatever the clock's resolution
    copy_once(str(source), str(target))
    assert len(copies) == 2 and target.read_text(encoding="utf-8") == "# Alla nyheter\n"
    target.unlink()
    copy_once(str(source), str(target))
    assert len(copies) == 3 and target.is_file()
