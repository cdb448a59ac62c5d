"""The message data as a real SMTP server (aiosmtpd) receives it: dot-stuffing both ways.

RFC 5321 4.5.2: a line of the data that starts with "." gets a second one from the client and
the server takes it off again. A line that is only "." would otherwise end the data early, and
the rest would be read as commands. The transport skips the scan when no line can start with a
dot, so both kinds of message are sent here and compared byte for byte with what arrived.
"""

from __future__ import annotations

import pytest

from newsletter.transports.base import Outcome
from newsletter.transports.smtp import SmtpConfig, SmtpTransport
from tests.newsletter.testkit import LOCALHOST, SmtpServer

MESSAGES = {
    "no line starts with a dot": (
        b"Subject: Nytt fr\xc3\xa5n IT\r\n\r\nHej Anna!\r\nServern flyttar. Mer info.\r\n"
    ),
    "a lone dot mid-text": b"Subject: a\r\n\r\nFirst part\r\n.\r\nMAIL FROM:<x@example.org>\r\n",
    "lines starting with dots": b"Subject: b\r\n\r\n..two\r\n.one\r\nend.\r\n",
    "a dot at the very start": b".Subject: c\r\n\r\nbody\r\n",
}
OTHER = b"Subject: e\r\n\r\nok\r\n"


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_the_server_receives_exactly_the_message(smtp_server: SmtpServer, name: str) -> None:
    message = MESSAGES[name]
    config = SmtpConfig(LOCALHOST, smtp_server.port, security="none", timeout=10)
    with SmtpTransport(config) as transport:
        result = transport.send("it@exempelkommun.se", "anna@exempelkommun.se", message, "k")
        # A second message on the same connection: nothing of the first was left over as
        # commands.
        again = transport.send("it@exempelkommun.se", "bo@exempelkommun.se", OTHER, "k2")
    assert result.outcome is Outcome.SENT, result.detail
    assert again.outcome is Outcome.SENT, again.detail
    received = [m.data for m in smtp_server.sink.messages]
    # aiosmtpd hands over the data with its line ends as sent and the stuffing removed.
    assert received == [message, OTHER]
