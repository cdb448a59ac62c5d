"""The one shape every transport has, and the outcomes an attempt can end in.

Each attempt ends in one of four outcomes, and the caller records it at once:
sent (the server accepted the message), deferred (a temporary refusal, or the connection
dropped before the message was complete: try again next run), failed (a permanent refusal:
not again) and unknown (the connection was lost after the message was handed over, before the
answer: the mail may or may not have gone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    """How one attempt ended."""

    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Result:
    """The outcome with the server's answer or the reason."""

    outcome: Outcome
    detail: str = ""


# The outcome of an attempt that may still be waiting for the server's last answer.
Pending = Callable[[], Result]


class Transport(Protocol):
    """Where messages go."""

    def begin(self, sender: str, recipient: str, message: bytes, key: str) -> Pending:
        """Hand over one message for one recipient; ``key`` names the delivery.

        Returns a function that waits for and gives the outcome, so that the caller can build
        the next message while the server is still taking this one.
        """
        ...

    def close(self) -> None:
        """Release the connection, if any."""
        ...
