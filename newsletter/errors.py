"""The newsletter's exceptions; the CLI turns each into one line on stderr and an exit code.

Exit codes: 1 any other error, 2 wrong usage (click), 3 feed, 4 another send is running,
5 mail service (SMTP, Graph, sign-in), 6 database, 7 subscriber data, 8 configuration.
"""


class NewsletterError(Exception):
    """Base of every error the newsletter reports to its user."""

    exit_code = 1


class ConfigError(NewsletterError):
    """A missing or contradictory option or environment variable."""

    exit_code = 8


class FeedError(NewsletterError):
    """The feed could not be fetched, or what was fetched is not a usable feed."""

    exit_code = 3


class LockBusyError(NewsletterError):
    """Another ``send`` holds the lock on the same database."""

    exit_code = 4


class TransportError(NewsletterError):
    """The mail service (SMTP, Graph, sign-in) cannot be reached or refuses the session.

    Not a single message: every delivery would meet it, so the run stops and keeps them.
    """

    exit_code = 5


class SmtpError(TransportError):
    """The mail server cannot be reached or refuses the session (not a single message)."""


class StateError(NewsletterError):
    """The database cannot be opened or is not a newsletter database."""

    exit_code = 6


class SubscriberError(NewsletterError):
    """A subscriber's address or the subscriber file is invalid."""

    exit_code = 7
