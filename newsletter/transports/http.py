"""What a failed HTTPS request tells about a message: shared by Graph and the Teams webhook.

A request whose connection never opened sent nothing (defer); one that failed later may have
been taken (unknown).  Messages name the exception type only, never the URL, which may hold a
key (a Teams webhook) or an address.
"""

from __future__ import annotations

import requests
from urllib3.exceptions import (
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)


def _underneath(exc: requests.RequestException) -> BaseException:
    inner: BaseException = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) \
        else exc
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        inner = inner.reason
    if isinstance(inner, ProtocolError) and len(inner.args) > 1 \
            and isinstance(inner.args[1], BaseException):
        inner = inner.args[1]  # ('Connection aborted.', RemoteDisconnected(...))
    return inner


def reason(exc: requests.RequestException) -> str:
    """The name of what went wrong underneath (``ConnectionRefusedError``, ...), no URL."""
    return type(_underneath(exc)).__name__


def never_connected(exc: requests.ConnectionError) -> bool:
    """True when the connection was refused or not made, so nothing was sent."""
    return isinstance(_underneath(exc), NewConnectionError | NameResolutionError)
