"""Swedish presentation shared by the site, the feeds' readers and the newsletter.

It imports nothing from MkDocs, so the site's templates and the newsletter's mail use the
same words for the same instant.
"""
