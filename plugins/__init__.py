"""Our MkDocs plugins: thin adapters over plain Python modules.

``posts`` validates front matter into the post model and applies the publishing rules;
``feeds`` publishes the news as RSS, Atom and JSON Feed. The modules named ``plugin.py``
and ``config.py`` are the only ones that import MkDocs.
"""
