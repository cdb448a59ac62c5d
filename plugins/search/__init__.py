"""Swedish full-text search with Pagefind: the index is built by ``mkdocs build`` itself."""
