"""Where digests go: each transport is a module behind the one shape in :mod:`.base`."""

from newsletter.transports.base import Outcome, Pending, Result, Transport

__all__ = ["Outcome", "Pending", "Result", "Transport"]
