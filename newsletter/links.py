"""The subscription service's public address and the signed links into it.

Every link the newsletter puts in mail (confirm, manage, unsubscribe) is made here, and the
web service reads the tokens back with the same :class:`~newsletter.tokens.Signer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from newsletter.errors import ConfigError
from newsletter.tokens import Purpose, Signer

# Paths of the web service (Swedish: readers see them).
PATHS = {
    Purpose.CONFIRM: "bekrafta",
    Purpose.MANAGE: "installningar",
    Purpose.UNSUBSCRIBE: "avsluta",
}
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Links:
    """Signed links to the service at ``public_url`` (ends with ``/``)."""

    public_url: str
    signer: Signer

    def link(self, purpose: Purpose, subscriber_id: int, token_key: str) -> str:
        """E.g. ``https://nyhetsbrev.exempelby.se/avsluta?token=...``."""
        token = self.signer.make(purpose, subscriber_id, token_key)
        return f"{self.public_url}{PATHS[purpose]}?{urlencode({'token': token})}"


def checked_public_url(value: str, variable: str = "NEWSLETTER_PUBLIC_URL") -> str:
    """The address checked: https, or http on this machine for trials and tests."""
    url = value.strip()
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    usable = parts.hostname and (parts.scheme == "https" or local)
    if not usable or parts.query or parts.fragment:
        raise ConfigError(
            f"{variable} must be an https:// address (http:// only on 127.0.0.1 or localhost), "
            f"not {value!r}"
        )
    return url if url.endswith("/") else url + "/"


def secrets_from_env(env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The signing secret, and older secrets whose unsubscribe links must keep working.

    ``NEWSLETTER_SECRET``; ``NEWSLETTER_UNSUBSCRIBE_SECRET`` is its older name.
    """
    secret = env.get("NEWSLETTER_SECRET", "")
    old = env.get("NEWSLETTER_UNSUBSCRIBE_SECRET", "")
    if not secret:
        return old, ()
    return secret, (old,) if old and old != secret else ()
