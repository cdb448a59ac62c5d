"""Writing each message into a folder as an .eml file: the default when no relay is set."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from newsletter.errors import ConfigError
from newsletter.transports.base import Outcome, Pending, Result


class OutboxTransport:
    """Writes each message as ``<key>.eml`` into a folder, atomically; the default with no relay."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create outbox folder {self.folder}: {exc}") from exc

    def __enter__(self) -> OutboxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin(self, sender: str, recipient: str, message: bytes, key: str) -> Pending:
        """Write the message at once; the file is complete or absent, never half-written."""
        result = self.send(sender, recipient, message, key)
        return lambda: result

    def send(self, sender: str, recipient: str, message: bytes, key: str) -> Result:
        """Write the message; the file is complete or absent, never half-written."""
        target = self.folder / f"{key}.eml"
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(message)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            return Result(Outcome.DEFERRED, f"cannot write {target}: {exc}")
        return Result(Outcome.SENT, str(target))

    def close(self) -> None:
        """Nothing to release."""
