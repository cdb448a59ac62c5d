"""``nyhet``: the writers' command. Start a post right (``nyhet ny``) and check it in plain
Swedish before it is published (``nyhet granska``).

It reads mkdocs.yml for the site's vocabulary and settings, and uses the post model
(:mod:`plugins.posts.model`) and the writers' check (:mod:`plugins.review`) directly, never
the MkDocs adapters, so it gives the same answers as the build without running it.
"""
