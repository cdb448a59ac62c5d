"""Channels beside mail: where else the news is posted (Teams)."""
