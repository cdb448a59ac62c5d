"""What ``nyhet visa`` changes in Material's blog, in its own process only.

After a save that changes a post's front matter (or adds or deletes a post), the preview reads
the whole site again, as a build does, so that every list, link and count is what the complete
build will publish. Material's blog then makes every post anew: it reads each file, parses its
front matter with the pure-Python YAML parser, validates it with MkDocs' config machinery and
formats its dates with Babel, and it writes a source file for every further page of each list.
At 3,000 posts that is seconds per save, for posts that did not change. Here the blog keeps
what it made from a text it has seen before:

* :class:`RememberedPosts`: a post whose file holds the same text as when the blog last made
  it is a fresh page object (MkDocs' own ``Page.__init__``: its file, URLs, build date) with
  the parsed text, metadata, validated settings and address of that earlier post, copied;
* :class:`RememberedDates`: each date is formatted once per format and language;
* :class:`RememberedTranslations`: the theme's translation of a list's heading once;
* :class:`RememberedYaml`: each front matter text is parsed once;
* :class:`CopyOnce`: the source of a list's further page is copied only when it changed;
* :func:`remember_canonical_urls`: each page's canonical URL (MkDocs' ``Page``) joined once.

A full build (after mkdocs.yml or the theme changed) forgets the posts and translations
(:func:`forget`); dates are remembered by format and language.

None of this is ever installed in ``mkdocs build``, nor in the preview's complete build in
the background (another process). tests/nyhet/test_preview_blog.py holds each of these to what
Material itself makes, so that a Material upgrade that changes what they rely on fails a test
instead of showing a wrong preview.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page


class RememberedYaml:
    """PyYAML as Material's blog calls it, with ``load`` memoised by the text it parses.

    The same text gives the same data, so each text is parsed once; a deep copy is returned
    because the blog changes what it gets (it adds ``template`` and ``hide``).
    """

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, type], Any] = {}

    def load(self, text: str, loader: type) -> Any:
        key = (text, loader)
        if key not in self._parsed:
            self._parsed[key] = yaml.load(text, loader)  # the blog passes its SafeLoader
        return copy.deepcopy(self._parsed[key])

    def __getattr__(self, name: str) -> Any:
        return getattr(yaml, name)


class CopyOnce:
    """``mkdocs.utils.copy_file`` as Material's blog calls it, skipping copies already made.

    The blog copies a list's source into its temporary folder for every further page of the
    list, each time the site is read (nearly a thousand copies at 3,000 posts). The folder
    lives as long as the preview, so a copy of a source whose content has not changed is still
    there. By content, not modification time: the blog writes the source of each archive and
    category list again at every read, with the same content.
    """

    def __init__(self, copy_file: Callable[[str, str], None]) -> None:
        self.copy_file = copy_file
        self.made: dict[tuple[str, str], bytes] = {}

    def __call__(self, source: str, target: str) -> None:
        with open(source, "rb") as handle:
            content = handle.read()
        if self.made.get((source, target)) == content and os.path.isfile(target):
            return
        self.copy_file(source, target)
        self.made[(source, target)] = content


@dataclass(frozen=True)
class _Resolved:
    """What the blog's ``_resolve_post`` made of one text, beyond what ``Page.__init__`` makes."""

    text: str
    markdown: str
    meta: dict[str, Any]
    config: Any  # material's PostConfig
    dest_uri: str
    abs_dest_path: str
    url: str


class RememberedPosts:
    """The blog's ``_resolve_post`` (read a post, place it at its address), each text once.

    A file whose text is what it was when the blog last resolved it gets a new post object
    made by MkDocs' own ``Page.__init__`` (the new file object, its URLs, the build date), with
    copies of that earlier post's Markdown, metadata and validated settings, empty excerpt,
    authors and categories, as the blog's constructor leaves them, and the address the blog
    gave it. Any other file, a post with ``links`` (the blog rewrites those in place), or a
    site using Material's meta plugin (metadata from other files) is resolved by the blog.
    Forgotten at each full build (:meth:`forget`): mkdocs.yml may have changed the addresses.
    """

    def __init__(self, resolve_post: Callable[[File, MkDocsConfig], Any], post_class: type
                 ) -> None:
        self.resolve_post = resolve_post
        self.post_class: Any = post_class
        self._resolved: dict[str, _Resolved] = {}

    def __call__(self, file: File, config: MkDocsConfig) -> Any:
        path = file.abs_src_path
        assert path is not None
        # MkDocs' reading of the file, which the preview gives the text it already has.
        text = file.content_string
        known = self._resolved.get(path)
        if known is not None and known.text == text and not config.plugins.get("material/meta"):
            return self._copy(known, file, config)
        post = self.resolve_post(file, config)
        # Kept only if the file did not change while the blog read it.
        if not post.config.links and _read_text(path) == text:
            self._resolved[path] = _Resolved(
                text=text, markdown=post.markdown, meta=_own_meta(post.meta),
                config=_own_copy(post.config), dest_uri=file.dest_uri,
                abs_dest_path=file.abs_dest_path, url=file.url)
        else:
            self._resolved.pop(path, None)
        return post

    def _copy(self, known: _Resolved, file: File, config: MkDocsConfig) -> Any:
        post = self.post_class.__new__(self.post_class)
        # The address first: Page.__init__ then sets the canonical URL from it, as the blog's
        # second call to _set_canonical_url does after moving the post.
        file.dest_uri, file.abs_dest_path, file.url = known.dest_uri, known.abs_dest_path, known.url
        Page.__init__(post, None, file, config)
        post.markdown = known.markdown
        post.meta = _own_meta(known.meta)
        post.config = _own_copy(known.config)
        post.excerpt = None
        post.authors = []
        post.categories = []
        return post

    def forget(self) -> None:
        self._resolved.clear()


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8-sig") as handle:  # as Material's Post reads it
        return handle.read()


def _own_meta(value: Any) -> Any:
    """A copy of front matter whose mappings and lists are its own (the values are shared).

    ``copy.deepcopy`` would do, at several times the cost: front matter as YAML makes it holds
    only mappings, lists and immutable values (text, numbers, dates).
    """
    if isinstance(value, dict):
        return {key: _own_meta(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_own_meta(item) for item in value]
    return value


def _own_copy(settings: Any) -> Any:
    """A copy of a validated PostConfig whose values (lists, the dates) are its own.

    A build changes them in place: our posts plugin sets ``date.created`` to the post model's
    instant, the blog sets ``readtime`` after rendering.
    """
    fresh = copy.copy(settings)  # a Config is a UserDict: its own data dict
    for key, value in fresh.data.items():
        if isinstance(value, dict):  # the dates: DateDict(data), which also sets .created
            fresh.data[key] = type(value)(value)
        elif isinstance(value, list):
            fresh.data[key] = list(value)
    return fresh


class RememberedDates:
    """The blog's ``_format_date`` (Babel), each date formatted once per format and language.

    The blog formats every post's date for its URL and its archive list each time the site is
    read. Keyed by the date as written with its offset and time zone, not by the instant: two
    equal instants in different zones can fall on different days.
    """

    def __init__(self, format_date: Callable[[date, str, MkDocsConfig], str]) -> None:
        self.format_date = format_date
        self.made: dict[tuple[object, ...], str] = {}

    def __call__(self, moment: date, format: str, config: MkDocsConfig) -> str:
        key = (type(moment), moment.isoformat(), repr(getattr(moment, "tzinfo", None)), format,
               config.theme["language"])
        if key not in self.made:
            self.made[key] = self.format_date(moment, format, config)
        return self.made[key]


class RememberedTranslations:
    """The blog's ``_translate``, once per text and language until :meth:`forget`.

    Each call builds a new template environment of the theme to look one word up ("Arkiv",
    "Kategorier"): a quarter of a second per read of the site.
    """

    def __init__(self, translate: Callable[[str, MkDocsConfig], str]) -> None:
        self.translate = translate
        self.made: dict[tuple[str, str], str] = {}

    def __call__(self, key: str, config: MkDocsConfig) -> str:
        index = (key, config.theme["language"])
        if index not in self.made:
            self.made[index] = self.translate(key, config)
        return self.made[index]

    def forget(self) -> None:
        self.made.clear()


def remember_canonical_urls(page_class: type[Page] = Page) -> None:
    """In this process, MkDocs' ``Page._set_canonical_url`` joins each (site URL, page URL)
    once.

    Every read of the site makes a page object for each post and each further page of a list
    (4,000 at 3,000 posts), and each joins its URL to the site's with ``urljoin``: a quarter
    of the blog's time. The result depends on the two URLs alone. Idempotent.
    """
    original = page_class._set_canonical_url
    if getattr(original, "remembered", False):
        return
    made: dict[tuple[str | None, str | None], tuple[str | None, str | None]] = {}

    def _set_canonical_url(page: Page, base: str | None) -> None:
        key = (base, page.url)
        known = made.get(key)
        if known is None:
            original(page, base)
            made[key] = (page.canonical_url, page.abs_url)
        else:
            page.canonical_url, page.abs_url = known

    _set_canonical_url.remembered = True  # type: ignore[attr-defined]
    page_class._set_canonical_url = _set_canonical_url  # type: ignore[method-assign,assignment]


def speed_up_blog(config: MkDocsConfig) -> None:
    """In this process, make Material's blog (every instance in ``config``) keep what it read.

    Idempotent; called for each configuration the preview loads (MkDocs keeps the blog's
    plugin object across loads, as it has ``on_startup``).
    """
    from material.plugins.blog import plugin, structure

    if not isinstance(structure.yaml, RememberedYaml):
        structure.yaml = RememberedYaml()  # type: ignore[assignment]
    if not isinstance(plugin.copy_file, CopyOnce):
        plugin.copy_file = CopyOnce(plugin.copy_file)  # type: ignore[assignment]
    remember_canonical_urls()
    for blog in config.plugins.values():
        if not isinstance(blog, plugin.BlogPlugin):
            continue
        if not isinstance(blog._resolve_post, RememberedPosts):  # type: ignore[has-type]
            blog._resolve_post = RememberedPosts(  # type: ignore[method-assign]
                blog._resolve_post, structure.Post)
        if not isinstance(blog._format_date, RememberedDates):  # type: ignore[has-type]
            blog._format_date = RememberedDates(blog._format_date)  # type: ignore[method-assign]
        if not isinstance(blog._translate, RememberedTranslations):  # type: ignore[has-type]
            blog._translate = RememberedTranslations(  # type: ignore[method-assign]
                blog._translate)


def forget(config: MkDocsConfig) -> None:
    """For a full build (mkdocs.yml or the theme may have changed): the blog reads every post
    and looks every translation up again, and remembers them again."""
    for blog in config.plugins.values():
        for method in (getattr(blog, "_resolve_post", None), getattr(blog, "_translate", None)):
            if isinstance(method, RememberedPosts | RememberedTranslations):
                method.forget()
