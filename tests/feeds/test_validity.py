"""The feeds are valid: Atom against RFC 4287's grammar, JSON Feed against the 1.1 rules, and
the channel and item details that validators and readers check in each format."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from tests.conftest import SITE_URL

from .support import ATOM_NS, CHANGE_NS, MEDIA_TYPES, json_feed

NS = {"a": ATOM_NS, "atom": ATOM_NS, "dc": "http://purl.org/dc/elements/1.1/",
      "content": "http://purl.org/rss/1.0/modules/content/", "itc": CHANGE_NS}


def atom_files(feeds: dict[str, Path]) -> dict[str, Path]:
    return {name: path for name, path in feeds.items() if name.endswith(".atom.xml")}


def schematron_problems(root: etree._Element) -> list[str]:
    """The two Schematron rules RFC 4287's grammar carries, which RELAX NG cannot express."""
    problems = []
    if not root.xpath("a:author or not(a:entry[not(a:author)])", namespaces=NS):
        problems.append("feed without author has an entry without author")
    for entry in root.xpath("a:entry", namespaces=NS):
        if not entry.xpath("a:link[@rel='alternate'] or a:link[not(@rel)] or a:content",
                           namespaces=NS):
            problems.append(f"entry {entry.findtext(f'{{{ATOM_NS}}}id')} has no link or content")
    return problems


def test_every_atom_feed_is_valid_rfc_4287(
    feeds: dict[str, Path], atom_schema: etree.RelaxNG
) -> None:
    assert len(atom_files(feeds)) > 5
    for name, path in atom_files(feeds).items():
        document = etree.parse(str(path))
        assert atom_schema.validate(document), (name, str(atom_schema.error_log))
        assert schematron_problems(document.getroot()) == [], name


def test_atom_change_metadata_is_a_valid_extension(
    feeds: dict[str, Path], atom_schema: etree.RelaxNG
) -> None:
    # The news feed must exercise the extension rule: window and action have attributes.
    root = etree.parse(str(feeds["news-archive.atom.xml"])).getroot()
    assert root.xpath("a:entry/itc:window[@start and @end]", namespaces=NS)
    assert root.xpath("a:entry/itc:action[@by and @what]", namespaces=NS)
    assert root.xpath("a:entry/itc:status", namespaces=NS)


def _drop_entry_id(root: etree._Element) -> None:
    entry_id = root.find(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}id")
    entry_id.getparent().remove(entry_id)


def _local_date(root: etree._Element) -> None:
    root.find(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}updated").text = "26 Nov 2026 10:00"


def _unknown_atom_element(root: etree._Element) -> None:
    etree.SubElement(root.find(f"{{{ATOM_NS}}}entry"), f"{{{ATOM_NS}}}change")


def _second_title(root: etree._Element) -> None:
    etree.SubElement(root, f"{{{ATOM_NS}}}title").text = "Två titlar"


def _bad_content_type(root: etree._Element) -> None:
    root.find(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}content").set("type", "xhtml")


@pytest.mark.parametrize("breakage", [
    _drop_entry_id, _local_date, _unknown_atom_element, _second_title, _bad_content_type,
])
def test_the_atom_grammar_rejects_a_broken_feed(
    feeds: dict[str, Path], atom_schema: etree.RelaxNG,
    breakage: Callable[[etree._Element], None],
) -> None:
    document = etree.parse(str(feeds["news.atom.xml"]))
    assert atom_schema.validate(document)
    breakage(document.getroot())
    assert not atom_schema.validate(document)


def test_the_schematron_check_rejects_an_entry_without_author_or_link(
    feeds: dict[str, Path],
) -> None:
    root = etree.parse(str(feeds["news.atom.xml"])).getroot()
    root.remove(root.find(f"{{{ATOM_NS}}}author"))
    entry = root.find(f"{{{ATOM_NS}}}entry")
    for tag in ("author", "link", "content"):
        for element in entry.findall(f"{{{ATOM_NS}}}{tag}"):
            entry.remove(element)
    assert len(schematron_problems(root)) == 2


def test_every_json_feed_follows_json_feed_1_1(
    feeds: dict[str, Path], json_feed_schema: dict[str, Any]
) -> None:
    jsonschema.Draft202012Validator.check_schema(json_feed_schema)
    validator = jsonschema.Draft202012Validator(json_feed_schema)
    json_files = {name: path for name, path in feeds.items() if name.endswith(".json")}
    assert len(json_files) > 5
    for name, path in json_files.items():
        errors = [f"{list(error.absolute_path)}: {error.message}"
                  for error in validator.iter_errors(json_feed(path))]
        assert errors == [], name


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    change.__name__ = f"{path}={value!r}"
    return change


_DELETE = object()


@pytest.mark.parametrize("change", [
    _set("version", "https://jsonfeed.org/version/1"),
    _set("title", _DELETE),
    _set("items", _DELETE),
    _set("items.0.id", _DELETE),
    _set("items.0.content_html", _DELETE),
    _set("items.0.date_published", "2026-11-26 10:00"),
    _set("items.0.date_published", "2026-11-26T10:00:00"),
    _set("items.0.authors", ["IT och kommunikation"]),
    _set("items.0.authors", [{}]),
    _set("items.0.it_change", {"status": "klar"}),
    _set("items.0._it_change", "klar"),
    _set("language", "svenska språket"),
], ids=lambda change: change.__name__)
def test_the_json_feed_schema_rejects_a_broken_feed(
    feeds: dict[str, Path], json_feed_schema: dict[str, Any],
    change: Callable[[dict[str, Any]], None],
) -> None:
    validator = jsonschema.Draft202012Validator(json_feed_schema)
    document = json_feed(feeds["news.json"])
    assert validator.is_valid(document)
    broken = copy.deepcopy(document)
    change(broken)
    assert not validator.is_valid(broken)


def topic_page(feed: str) -> str:
    """The page a feed links: a category's page (news/category/<slug>/), else the site."""
    if feed.startswith("category/"):
        return f"{SITE_URL}news/category/{feed.split('/')[1].split('.')[0]}/"
    return SITE_URL


def test_rss_channel_details(feeds: dict[str, Path]) -> None:
    for name, path in feeds.items():
        if not name.endswith(".rss.xml"):
            continue
        rss = etree.parse(str(path)).getroot()
        assert rss.tag == "rss" and rss.get("version") == "2.0"
        channel = rss.find("channel")
        assert channel.findtext("link") == topic_page(name), name
        assert channel.findtext("language") == "sv", name
        assert channel.findtext("title") and channel.findtext("description"), name
        self_links = channel.xpath("atom:link[@rel='self']", namespaces=NS)
        assert [link.get("href") for link in self_links] == [SITE_URL + "feeds/" + name]
        assert self_links[0].get("type") == MEDIA_TYPES["rss"]
        if channel.find("lastBuildDate") is not None:
            assert parsedate_to_datetime(channel.findtext("lastBuildDate")).tzinfo, name
        for item in channel.findall("item"):
            guid = item.find("guid")
            assert guid.get("isPermaLink") == "false" and guid.text.startswith("tag:"), name
            assert item.xpath("dc:creator/text()", namespaces=NS), name
            # RSS's <author> must be an e-mail address; none is published, so none is used.
            assert item.find("author") is None, name
            assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None, name
            assert item.findtext("link").startswith(SITE_URL), name
            assert item.findtext("title") and item.findtext("description"), name
            # The archive lists every post as summary and link; the other feeds carry the text.
            has_content = bool(item.xpath("content:encoded/text()", namespaces=NS))
            assert has_content is not name.startswith("news-archive"), name


def _rfc3339(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, f"{text} has no time zone"
    assert "T" in text, text
    return moment


def test_atom_feed_details(feeds: dict[str, Path]) -> None:
    for name, path in atom_files(feeds).items():
        feed = etree.parse(str(path)).getroot()
        assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "sv"
        assert [link.get("href") for link in feed.xpath("a:link[@rel='self']", namespaces=NS)
                ] == [SITE_URL + "feeds/" + name]
        assert feed.xpath("a:link[@rel='self']/@type", namespaces=NS) == [MEDIA_TYPES["atom"]]
        assert feed.xpath("a:author/a:name/text()", namespaces=NS), name
        assert feed.xpath("a:id/text()", namespaces=NS)[0].startswith("tag:"), name
        _rfc3339(feed.findtext(f"{{{ATOM_NS}}}updated"))
        for entry in feed.findall(f"{{{ATOM_NS}}}entry"):
            content = [] if name.startswith("news-archive") else ["html"]
            assert entry.xpath("a:content/@type", namespaces=NS) == content, name
            assert entry.xpath("a:summary/text()", namespaces=NS), name
            assert entry.xpath("a:author/a:name/text()", namespaces=NS), name
            for tag in ("published", "updated"):
                _rfc3339(entry.findtext(f"{{{ATOM_NS}}}{tag}"))


def test_json_feed_details(feeds: dict[str, Path]) -> None:
    for name, path in feeds.items():
        if not name.endswith(".json"):
            continue
        document = json.loads(path.read_bytes())
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["language"] == "sv"
        assert document["feed_url"] == SITE_URL + "feeds/" + name
        assert document["home_page_url"] == topic_page(name)
        assert document["authors"] and all(author.get("name") for author in document["authors"])
        for item in document["items"]:
            assert item["authors"], name
            _rfc3339(item["date_published"])
            if "date_modified" in item:
                _rfc3339(item["date_modified"])


def test_feeds_are_utf8_xml_with_declaration(feeds: dict[str, Path]) -> None:
    for name, path in feeds.items():
        body = path.read_bytes()
        body.decode("utf-8")
        if name.endswith(".xml"):
            assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>") or \
                body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), name
