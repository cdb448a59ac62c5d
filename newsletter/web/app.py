"""The Flask application: routes that check a form or a signed link and call the store.

Pages (Swedish, the intranet's look): ``/`` subscribe, ``/bekrafta`` confirm, ``/installningar``
change topics, pause or leave, ``/avsluta`` unsubscribe.  ``POST /avsluta`` with the body
``List-Unsubscribe=One-Click`` is RFC 8058's one-click unsubscribe; every ``GET`` only shows a
page with a button, because link scanners in mail gateways follow every link they see.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from newsletter.digest import LIST_NAME, MailSettings
from newsletter.errors import SubscriberError
from newsletter.feed import clean_text, topic_key
from newsletter.links import Links
from newsletter.store import State, Store, StoredSubscriber
from newsletter.subscribers import address_key, normalise_address
from newsletter.tokens import Purpose, TokenError
from newsletter.topics import Choice, Vocabulary, make_choice
from newsletter.transports import Transport
from newsletter.web.mail import Mailer, Outgoing, already_subscribed, confirmation
from newsletter.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)
ONE_CLICK = "One-Click"


@dataclass(frozen=True)
class ServiceConfig:
    """What the service needs; built from the environment by ``newsletter serve``."""

    db: Path
    mail: MailSettings
    links: Links
    allowed_domains: tuple[str, ...] = ()
    """Lower-case domains addresses may have (empty: any)."""
    proxy_hops: int = 0
    """Reverse proxies in front whose X-Forwarded-* headers are trusted (0: none)."""
    site_url: str | None = None
    client_limit: tuple[int, float] = (10, 600.0)
    """Subscribe requests per client address: 10 in 10 minutes."""
    address_limit: tuple[int, float] = (3, 3600.0)
    """Mails to one address: 3 an hour."""


class _Stores(threading.local):
    store: Store | None = None


def create_app(config: ServiceConfig, transport: Callable[[], Transport]) -> Flask:
    """The WSGI application; mail goes through a fresh ``transport()`` per message."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=hmac.new(config.links.signer.secret.encode(), b"nyhetsbrev-session",
                            hashlib.sha256).digest(),
        SESSION_COOKIE_NAME="nyhetsbrev_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.links.public_url.startswith("https://"),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if config.proxy_hops:
        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    mailer = Mailer(config.mail.sender, transport)
    app.extensions["newsletter_mailer"] = mailer
    clients = RateLimiter(*config.client_limit)
    addresses = RateLimiter(*config.address_limit)
    stores = _Stores()

    @contextmanager
    def store() -> Iterator[Store]:
        # One connection per waitress thread, opened on first use.
        if stores.store is None:
            stores.store = Store(config.db)
        yield stores.store

    write_lock = threading.Lock()

    @contextmanager
    def writing() -> Iterator[Store]:
        # One writer at a time inside the process: threads queue on this lock and hand over
        # at once, where SQLite's own busy handler would sleep 1-100 ms between attempts.
        with write_lock, store() as db, db.transaction():
            yield db

    def page(template: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("site_url", config.site_url)
        context.setdefault("list_name", LIST_NAME)
        # A callable: only pages with a form start a session (and set its cookie).
        context.setdefault("csrf_token", csrf_token)
        return Response(render_template(template, **context), status=status)

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(24)
        return str(session["csrf"])

    def csrf_ok() -> bool:
        sent = request.form.get("csrf", "")
        held = session.get("csrf", "")
        return bool(held) and hmac.compare_digest(str(sent), str(held))

    def link_problem(exc: TokenError | None = None) -> Response:
        expired = bool(exc and exc.expired)
        return page("link_problem.html", 400, expired=expired)

    def claimed(purpose: Purpose) -> StoredSubscriber | Response:
        """The subscriber the request's signed link names, or the page saying it does not."""
        token = request.args.get("token", "")
        try:
            claim = config.links.signer.read(purpose, token)
        except TokenError as exc:
            return link_problem(exc)
        with store() as db:
            found = db.subscriber_by_id(claim.subscriber_id)
        if found is None or claim.token_key not in (None, found.token_key):
            return link_problem()
        return found

    def vocabulary() -> Vocabulary:
        with store() as db:
            return db.vocabulary() or Vocabulary()

    def chosen(vocab: Vocabulary) -> Choice | None:
        """The form's choice, None if it names something the feed does not offer."""
        categories = request.form.getlist("kategori")
        audiences = request.form.getlist("malgrupp")
        offered_categories = {topic_key(c) for c in vocab.categories}
        offered_audiences = {topic_key(a) for a in vocab.chosen_audiences}
        if any(topic_key(c) not in offered_categories for c in categories) or any(
            topic_key(a) not in offered_audiences for a in audiences
        ):
            return None
        return make_choice(categories, audiences)

    def manage_link(subscriber: StoredSubscriber) -> str:
        return config.links.link(Purpose.MANAGE, subscriber.id, subscriber.token_key)

    @app.after_request
    def headers(response: Response) -> Response:
        # Tokens are in the address: never send it on (Referer), never cache the pages.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        return response

    @app.get("/")
    def subscribe_form() -> Response:
        return page("subscribe.html", vocabulary=vocabulary(), form={}, error=None)

    @app.post("/")
    def subscribe() -> Response:
        vocab = vocabulary()
        email = request.form.get("email", "")[:300]
        name = clean_text(request.form.get("name", ""))[:200]
        form = {"email": email, "name": name, "kategori": request.form.getlist("kategori"),
                "malgrupp": request.form.getlist("malgrupp")}
        if not csrf_ok():
            return page("subscribe.html", 400, vocabulary=vocab, form=form,
                        error="Formuläret hann bli för gammalt. Försök igen.")
        if not clients.allow(request.remote_addr or "?"):
            return page("message.html", 429, title="För många försök",
                        text="Vänta en stund och försök sedan igen.")
        try:
            address = normalise_address(email)
        except SubscriberError:
            return page("subscribe.html", 400, vocabulary=vocab, form=form,
                        error="Skriv en e-postadress, till exempel anna.andersson@exempelby.se.")
        domain = address.rpartition("@")[2].lower()
        if config.allowed_domains and domain not in config.allowed_domains:
            allowed = " eller ".join(f"@{d}" for d in config.allowed_domains)
            return page("subscribe.html", 400, vocabulary=vocab, form=form,
                        error=f"Använd din e-postadress i kommunen ({allowed}).")
        choice = chosen(vocab)
        if choice is None:
            return page("subscribe.html", 400, vocabulary=vocab, form=form,
                        error="Välj bland ämnena i formuläret.")
        # The same page at once for every address: the database and the mail are the
        # background thread's work, so neither the answer nor its timing tells whether the
        # address is new, pending, subscribed or asked for too often.
        if addresses.allow(address_key(address)):
            choices = () if choice == Choice() else (choice,)
            mailer.run(lambda: request_subscription(address, name, choices))
        return page("message.html", title="Titta i din inkorg",
                    text=f"Vi har skickat ett mejl till {address}. Öppna länken i mejlet för "
                    "att bekräfta prenumerationen. Kommer inget mejl inom några minuter, titta "
                    "i skräpposten.")

    def request_subscription(address: str, name: str, choices: tuple[Choice, ...]) -> Outgoing:
        """Record the request and make its mail (runs in the mailer's thread)."""
        with writing() as db:
            db.purge_unconfirmed(datetime.now(UTC) - config.links.signer.confirm_max_age)
            subscriber = db.request_subscription(address, name, choices, "web")
        sender = config.mail.sender
        if subscriber.state is State.PENDING:
            link = config.links.link(Purpose.CONFIRM, subscriber.id, subscriber.token_key)
            return confirmation(sender, subscriber.email, subscriber.name, link,
                                config.links.signer.confirm_max_age)
        return already_subscribed(sender, subscriber.email, subscriber.name,
                                  manage_link(subscriber))

    @app.get("/bekrafta")
    def confirm_page() -> Response:
        found = claimed(Purpose.CONFIRM)
        if isinstance(found, Response):
            return found
        return page("confirm.html", subscriber=found, done=found.state is not State.PENDING,
                    manage=manage_link(found))

    @app.post("/bekrafta")
    def confirm() -> Response:
        found = claimed(Purpose.CONFIRM)
        if isinstance(found, Response):
            return found
        if not csrf_ok():
            return page("message.html", 400, title="Försök igen",
                        text="Sidan hann bli för gammal. Öppna länken i mejlet igen.")
        with writing() as db:
            db.confirm(found.id, "web (confirmation link)")
        return page("confirm.html", subscriber=found, done=True, manage=manage_link(found))

    @app.get("/installningar")
    def manage_page() -> Response:
        found = claimed(Purpose.MANAGE)
        if isinstance(found, Response):
            return found
        return manage_view(found, None)

    def manage_view(found: StoredSubscriber, notice: str | None, status: int = 200) -> Response:
        single = found.choices[0] if len(found.choices) == 1 else None
        vocab = vocabulary()
        shown = [c for c in found.choices if not vocab.categories or c.possible(vocab)]
        return page(
            "manage.html", status, subscriber=found, vocabulary=vocab, notice=notice,
            shown_choices=shown,
            checked={topic_key(n) for n in (*(single.categories or ()),
                                            *(single.audiences or ()))} if single else set(),
            several=len(found.choices) > 1,
            unsubscribe=config.links.link(Purpose.UNSUBSCRIBE, found.id, found.token_key),
        )

    @app.post("/installningar")
    def manage() -> Response:
        found = claimed(Purpose.MANAGE)
        if isinstance(found, Response):
            return found
        if not csrf_ok():
            return manage_view(found, "Sidan hann bli för gammal. Försök igen.", 400)
        action = request.form.get("action", "")
        source = "web (manage page)"
        with writing() as db:
            if action == "save":
                choice = chosen(vocabulary())
                if choice is None:
                    return manage_view(found, "Välj bland ämnena i formuläret.", 400)
                db.set_choices(found.id, () if choice == Choice() else (choice,), source)
                notice = "Dina ämnen är sparade."
            elif action == "pause":
                db.pause(found.id, source)
                notice = "Utskicken är pausade. Du kan återuppta dem här när du vill."
            elif action == "resume":
                db.resume(found.id, source)
                notice = "Utskicken är återupptagna."
            elif action == "unsubscribe":
                db.unsubscribe(found.id, source)
                notice = "Du prenumererar inte längre. Inga fler nyhetsbrev skickas till dig."
            elif action == "resubscribe":
                db.reactivate(found.id, source)
                notice = "Välkommen tillbaka! Du prenumererar igen."
            else:
                return manage_view(found, "Okänt val.", 400)
            now = db.subscriber_by_id(found.id)
        assert now is not None
        return manage_view(now, notice)

    @app.get("/avsluta")
    def unsubscribe_page() -> Response:
        found = claimed(Purpose.UNSUBSCRIBE)
        if isinstance(found, Response):
            return found
        return page("unsubscribe.html", done=False)

    @app.post("/avsluta")
    def unsubscribe() -> Response:
        # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no page
        # before; the signed link is the only credential, so no CSRF token is asked for.
        if request.form.get("List-Unsubscribe") != ONE_CLICK:
            return page("message.html", 400, title="Något saknas",
                        text="Använd knappen på sidan för att avsluta prenumerationen.")
        found = claimed(Purpose.UNSUBSCRIBE)
        if isinstance(found, Response):
            return found
        with writing() as db:
            db.unsubscribe(found.id, "web (one-click)")
        return page("unsubscribe.html", done=True)

    @app.get("/halsa")
    def health() -> Response:
        with store() as db:
            db.vocabulary()
        return Response("ok\n", mimetype="text/plain")

    return app

