"""Builds the site beside its folder and swaps it in only when the build succeeded."""
