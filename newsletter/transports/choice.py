"""Which transport a run uses, read from the environment and checked before anything is fetched.

``NEWSLETTER_TRANSPORT`` is ``smtp``, ``graph`` or ``outbox``; unset, it is ``smtp`` when
``SMTP_HOST`` is set and ``outbox`` otherwise, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import ConfigError
from newsletter.transports.base import Transport
from newsletter.transports.graph import GraphLimits, GraphTransport
from newsletter.transports.m365 import M365Settings, TokenSource
from newsletter.transports.outbox import OutboxTransport
from newsletter.transports.smtp import SmtpConfig, SmtpTransport

KINDS = ("smtp", "graph", "outbox")


@dataclass(frozen=True)
class TransportSettings:
    """Everything needed to open the chosen transport, already checked."""

    kind: str
    smtp: SmtpConfig | None = None
    m365: M365Settings | None = None
    graph: GraphLimits | None = None

    @property
    def needs_sender(self) -> bool:
        """A real mail service needs a real From address."""
        return self.kind != "outbox"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TransportSettings:
        """Read ``NEWSLETTER_TRANSPORT`` and the settings of the transport it names."""
        kind = env.get("NEWSLETTER_TRANSPORT", "").strip().lower()
        smtp = SmtpConfig.from_env(env)
        if not kind:
            kind = "smtp" if smtp is not None else "outbox"
        if kind not in KINDS:
            raise ConfigError(f"NEWSLETTER_TRANSPORT must be one of {', '.join(KINDS)}, "
                              f"not {kind!r}")
        if kind == "smtp":
            if smtp is None:
                raise ConfigError("NEWSLETTER_TRANSPORT=smtp needs SMTP_HOST")
            m365 = M365Settings.from_env(env) if smtp.xoauth2 else None
            return cls(kind, smtp, m365)
        if kind == "graph":
            problems = []
            m365 = limits = None
            try:
                m365 = M365Settings.from_env(env)
            except ConfigError as exc:
                problems.append(str(exc))
            try:
                limits = GraphLimits.from_env(env)
            except ConfigError as exc:
                problems.append(str(exc))
            if problems:
                raise ConfigError("\n".join(problems))
            return cls(kind, None, m365, limits)
        return cls(kind)

    def open(self, outbox: str | Path, sent_today: int = 0) -> Transport:
        """The transport, ready for its first message (connections open lazily).

        ``sent_today`` is how many messages the last 24 hours sent, for Graph's daily budget.
        """
        if self.kind == "graph":
            assert self.m365 is not None and self.graph is not None
            graph_tokens = TokenSource(self.m365, self.m365.graph_scope)
            return GraphTransport(self.m365.graph_url, graph_tokens, self.graph, sent_today)
        if self.kind == "smtp":
            assert self.smtp is not None
            tokens = None
            if self.smtp.xoauth2:
                assert self.m365 is not None
                tokens = TokenSource(self.m365, self.smtp.oauth_scope)
            return SmtpTransport(self.smtp, tokens)
        return OutboxTransport(outbox)
