"""Tests of the newsletter: from the published feed to one digest per subscriber."""
