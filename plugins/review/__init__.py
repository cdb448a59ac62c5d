"""The writers' check: plain-language and structure rules for posts and guides.

Pure modules, importing nothing from MkDocs: the writers' command ``nyhet granska`` and the
MkDocs adapter (``plugin.py``) run the same rules on the same text, so the build and the
command never disagree.
"""
