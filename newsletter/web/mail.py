"""The service's own mail (confirm a subscription, "you are already subscribed"), sent in the
background so that every answer to the form takes the same time, whatever the address."""

from __future__ import annotations

import email.policy
import email.utils
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage

from newsletter.digest import LIST_NAME
from newsletter.feed import STOCKHOLM
from newsletter.headers import header_safe
from newsletter.transports import Outcome, Transport

log = logging.getLogger(__name__)
POLICY = email.policy.SMTP


@dataclass(frozen=True)
class Outgoing:
    """One message for one address."""

    recipient: str
    message: bytes


def _hours(age: timedelta) -> str:
    hours = round(age.total_seconds() / 3600)
    return f"{hours} timme" if hours == 1 else f"{hours} timmar"


def _message(sender: Address, recipient: str, name: str, subject: str, text: str) -> bytes:
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = Address(header_safe(name), addr_spec=recipient) if name else recipient
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(datetime.now(UTC).astimezone(STOCKHOLM))
    message["Message-ID"] = email.utils.make_msgid("prenumeration", domain=sender.domain)
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(text)
    return message.as_bytes()


def confirmation(sender: Address, recipient: str, name: str, link: str,
                 valid_for: timedelta) -> Outgoing:
    """The double opt-in mail: nothing is sent to the address until the link is followed."""
    greeting = f"Hej {header_safe(name)}!" if name else "Hej!"
    text = (
        f"{greeting}\n\n"
        f"Någon, förhoppningsvis du, vill prenumerera på {LIST_NAME} med den här adressen.\n"
        f"Bekräfta genom att öppna länken och trycka på knappen:\n\n{link}\n\n"
        f"Länken gäller i {_hours(valid_for)}. Har du inte bett om detta kan du "
        "strunta i mejlet: då händer ingenting.\n"
    )
    return Outgoing(recipient, _message(
        sender, recipient, name, f"Bekräfta din prenumeration på {LIST_NAME}", text
    ))


def already_subscribed(sender: Address, recipient: str, name: str, link: str) -> Outgoing:
    """For someone who asks again: their settings, instead of a second subscription."""
    greeting = f"Hej {header_safe(name)}!" if name else "Hej!"
    text = (
        f"{greeting}\n\n"
        f"Någon, förhoppningsvis du, ville prenumerera på {LIST_NAME} med den här adressen.\n"
        "Adressen prenumererar redan. Vill du ändra ämnen, pausa eller avsluta, "
        f"öppna länken:\n\n{link}\n\n"
        "Har du inte bett om detta kan du strunta i mejlet: ingenting har ändrats.\n"
    )
    return Outgoing(recipient, _message(
        sender, recipient, name, f"Din prenumeration på {LIST_NAME}", text
    ))


Job = Callable[[], Outgoing | None]


class Mailer:
    """One background thread runs queued jobs and hands their mail to a fresh transport each.

    A job does the request's database work and makes its message, so that the request
    itself answers in the same time whatever the job finds.
    """

    def __init__(self, sender: Address, transport: Callable[[], Transport]) -> None:
        self.sender = sender
        self.transport = transport
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=10_000)
        self._thread = threading.Thread(target=self._run, name="newsletter-mailer", daemon=True)
        self._thread.start()

    def run(self, job: Job) -> None:
        """Queue a job; never blocks the request (a full queue drops it with a warning)."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            log.warning("mail queue full; a subscription request was dropped")

    def send(self, outgoing: Outgoing) -> None:
        """Queue a message made already."""
        self.run(lambda: outgoing)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                outgoing = job()
                if outgoing is None:
                    continue
                transport = self.transport()
                try:
                    result = transport.begin(
                        self.sender.addr_spec, outgoing.recipient, outgoing.message,
                        f"prenumeration-{datetime.now(UTC):%Y%m%d%H%M%S%f}",
                    )()
                finally:
                    transport.close()
            except Exception:  # one bad job, message or server must not stop the thread
                log.exception("subscription mail not sent")
                continue
            if result.outcome is not Outcome.SENT:
                log.warning("mail to %s: %s %s", outgoing.recipient, result.outcome,
                            result.detail)
