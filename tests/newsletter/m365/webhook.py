"""A local stand-in for a Teams Workflows webhook, served over HTTPS by :func:`kit.serve_https`.

Teams cannot be reached from the tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.newsletter.m365.kit import Request, Response

WEBHOOK_PATH = ("/powerautomate/automations/direct/workflows/0a1b2c3d4e5f/triggers/manual/paths/"
                "invoke")
WEBHOOK_SIG = "Zx9Q-hemlig-signatur_4711"


@dataclass
class WebhookService:
    """A Teams Workflows webhook ("When a Teams webhook request is received").

    It takes ``POST <path>?api-version=1&sp=...&sv=1.0&sig=<key>`` with a JSON message and
    answers 202 Accepted; a wrong key gets 401 as Power Automate answers it.  ``script(n)``
    may answer the n-th request (from 1) instead; ``drop`` holds request numbers that are
    taken but whose connection is cut before the answer.
    """

    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by path
    script: Callable[[int], Response | None] | None = None
    drop: set[int] = field(default_factory=set)
    requests: int = 0

    @staticmethod
    def url(origin: str, path: str = WEBHOOK_PATH, sig: str = WEBHOOK_SIG) -> str:
        return f"{origin}{path}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}"

    def cards(self, path: str = WEBHOOK_PATH) -> list[dict[str, Any]]:
        return [m["attachments"][0]["content"] for m in self.received.get(path, [])]

    def __call__(self, request: Request) -> Response:
        path, _, query = request.path.partition("?")
        params = parse_qs(query)
        if request.method != "POST" or params.get("sig") != [WEBHOOK_SIG]:
            return Response.json(401, {"error": {
                "code": "DirectApiAuthorizationRequired",
                "message": "The request must be authenticated only by Shared Access scheme."}})
        self.requests += 1
        number = self.requests
        answer = self.script(number) if self.script else None
        if answer is not None:
            return answer
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return Response.json(400, {"error": {"code": "InvalidRequestContent",
                                                 "message": "The request must be JSON."}})
        self.received.setdefault(path, []).append(json.loads(request.body))
        if number in self.drop:
            return Response(0)
        return Response(202)
