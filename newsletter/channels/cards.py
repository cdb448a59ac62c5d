"""A post as an Adaptive Card, in the message shape a Teams Workflows webhook takes (pure).

Teams renders Adaptive Cards up to version 1.5; Office 365 connector cards (MessageCard) are
retired with the connectors.  The card holds what a reader needs to decide whether the change
concerns them: category and status, title, summary, when, what to do by when, the services
affected, who it is for, and a "Läs mer" link to the post.
"""

from __future__ import annotations

from typing import Any

from newsletter.feed import Entry
from swedish.dates import format_date, format_window

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(entry: Entry) -> list[dict[str, str]]:
    facts = []
    if entry.status:
        facts.append({"title": "Status", "value": entry.status.capitalize()})
    if entry.window is not None:
        facts.append({"title": "När", "value": format_window(entry.window.start,
                                                             entry.window.end)})
    if entry.action is not None:
        what = entry.action.what
        if entry.action.by is not None:
            what = f"{what} (senast {format_date(entry.action.by, weekday=True)})"
        facts.append({"title": "Gör så här", "value": what})
    if entry.services:
        facts.append({"title": "Berörda tjänster", "value": ", ".join(entry.services)})
    if entry.audiences:
        facts.append({"title": "Gäller", "value": ", ".join(entry.audiences)})
    return facts


def card(entry: Entry) -> dict[str, Any]:
    """The Adaptive Card for one post."""
    body: list[dict[str, Any]] = []
    if entry.categories:
        body.append(_text(" · ".join(entry.categories), size="Small", weight="Bolder",
                          color="Accent", spacing="None"))
    body.append(_text(entry.title, size="Large", weight="Bolder", style="heading"))
    if entry.summary:
        body.append(_text(entry.summary))
    facts = _facts(entry)
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "lang": "sv",
        "fallbackText": f"{entry.title}: {entry.link}",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Läs mer", "url": entry.link}],
    }


def webhook_payload(entry: Entry) -> dict[str, Any]:
    """The message a Workflows webhook ("When a Teams webhook request is received") takes."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card(entry)},
        ],
    }
