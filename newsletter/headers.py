"""Header safety and the unsubscribe token.

No value that comes from the feed or from a subscriber may add a header: the standard library
has had header-injection bugs, so control characters are removed before a value reaches it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct

from newsletter.errors import ConfigError

_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")
_TOKEN_PURPOSE = b"newsletter-unsubscribe:1:"
_MAC_BYTES = 16


def header_safe(value: str) -> str:
    """The value on one line: CR, LF and every other control character become a space."""
    return " ".join(_HEADER_UNSAFE.sub(" ", value).split())


def unsubscribe_token(secret: str, subscriber_id: int) -> str:
    """An opaque token naming a subscriber by id (never by address), signed with HMAC-SHA256."""
    if not secret:
        raise ConfigError("NEWSLETTER_UNSUBSCRIBE_SECRET is needed for unsubscribe links")
    payload = struct.pack(">Q", subscriber_id)
    mac = hmac.new(secret.encode(), _TOKEN_PURPOSE + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac[:_MAC_BYTES]).decode().rstrip("=")


def verify_unsubscribe_token(secret: str, token: str) -> int | None:
    """The subscriber id in a token made by :func:`unsubscribe_token`, or None if forged."""
    if not secret:
        raise ConfigError("NEWSLETTER_UNSUBSCRIBE_SECRET is needed to check unsubscribe tokens")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    if len(raw) != 8 + _MAC_BYTES:
        return None
    payload, mac = raw[:8], raw[8:]
    expected = hmac.new(secret.encode(), _TOKEN_PURPOSE + payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected[:_MAC_BYTES]):
        return None
    return int(struct.unpack(">Q", payload)[0])
