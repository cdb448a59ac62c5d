"""What `nyhet visa` relies on in MkDocs itself (held here so that an upgrade fails a test)."""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

from nyhet.preview import _give_text


def test_a_page_given_its_text_is_not_read_again_and_keeps_its_source_path(
    tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    (docs / "news").mkdir(parents=True)
    source = docs / "news/flytt.md"
    source.write_text("# På disken\n", encoding="utf-8")
    file = File("news/flytt.md", str(docs), str(tmp_path / "site"), True)
    assert file.content_string == "# På disken\n"  # MkDocs reads it at each access

    _give_text(file, "# Som förhandsvisningen läste den\n")
    source.unlink()  # nothing is read from disk any more
    assert file.content_string == "# Som förhandsvisningen läste den\n"
    # Material's blog and our plugins read the source path: it stays.
    assert file.abs_src_path == str(source)
    assert file.is_documentation_page()
