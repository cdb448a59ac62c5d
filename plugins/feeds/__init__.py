"""News feeds: pure rendering in ``render``/``items``, the MkDocs adapter in ``plugin``."""
