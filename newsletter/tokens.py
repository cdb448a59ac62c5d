"""Signed links: each names one subscriber, for one purpose, on this list, signed with HMAC.

Tokens are made by itsdangerous.  The salt is the list id and the purpose, so a confirmation
token is not an unsubscribe token and a token of another list (another installation sharing
the secret) is not one of ours.  The payload is the subscriber's id and their random
``token_key``: a forgotten subscriber's link never names anybody again.  Tokens carry no address.

Unsubscribe links from digests sent before these tokens (``newsletter.headers``) keep working:
:meth:`Signer.read` accepts them for unsubscribing only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from newsletter.errors import NewsletterError
from newsletter.headers import verify_unsubscribe_token


class Purpose(StrEnum):
    """What a link may do."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


# A manage link is as old as the digest it came in; every digest brings a fresh one.  An
# unsubscribe link must work for as long as the mail is kept (mailbox providers test old ones).
CONFIRM_MAX_AGE = timedelta(hours=48)
DEFAULT_MAX_AGE: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: CONFIRM_MAX_AGE,
    Purpose.MANAGE: timedelta(days=90),
    Purpose.UNSUBSCRIBE: None,
}


class TokenError(NewsletterError):
    """A link that cannot be used; ``expired`` tells the reader which page to show."""

    exit_code = 7

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Claim:
    """Whom a valid token names.  ``token_key`` is None for an old-style unsubscribe token."""

    subscriber_id: int
    token_key: str | None


@dataclass(frozen=True)
class Signer:
    """Makes and reads the links of one list."""

    secret: str
    list_id: str
    legacy_secrets: tuple[str, ...] = ()
    confirm_max_age: timedelta = CONFIRM_MAX_AGE

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=f"nyhetsbrev:{self.list_id}:{purpose}")

    def make(self, purpose: Purpose, subscriber_id: int, token_key: str) -> str:
        """A URL-safe token."""
        return str(self._serializer(purpose).dumps([subscriber_id, token_key]))

    def max_age(self, purpose: Purpose) -> timedelta | None:
        """How long a token of this purpose is good for."""
        if purpose is Purpose.CONFIRM:
            return self.confirm_max_age
        return DEFAULT_MAX_AGE[purpose]

    def read(self, purpose: Purpose, token: str) -> Claim:
        """Whom the token names; :class:`TokenError` if forged, altered, expired or not for this.

        The caller must still check ``token_key`` against the subscriber.
        """
        age = self.max_age(purpose)
        try:
            data = self._serializer(purpose).loads(
                token, max_age=None if age is None else int(age.total_seconds())
            )
        except SignatureExpired as exc:
            raise TokenError("the link has expired", expired=True) from exc
        except BadSignature as exc:
            if purpose is Purpose.UNSUBSCRIBE:
                legacy = self._legacy(token)
                if legacy is not None:
                    return Claim(legacy, None)
            raise TokenError("the link is not valid") from exc
        if (not isinstance(data, list) or len(data) != 2 or not isinstance(data[0], int)
                or not isinstance(data[1], str)):
            raise TokenError("the link is not valid")
        return Claim(data[0], data[1])

    def _legacy(self, token: str) -> int | None:
        for secret in (self.secret, *self.legacy_secrets):
            if secret:
                subscriber_id = verify_unsubscribe_token(secret, token)
                if subscriber_id is not None:
                    return subscriber_id
        return None
