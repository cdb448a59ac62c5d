"""The ``newsletter`` command.  Scripts and cron jobs call exactly these commands and options."""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsletter.errors import ConfigError, FeedError, NewsletterError, StateError, SubscriberError
from newsletter.feed import STOCKHOLM, Entry, read_feed
from newsletter.lock import run_lock
from newsletter.notices import PostState, due_notices, select_notices
from newsletter.store import Status, Store, Validators
from newsletter.subscribers import (
    HeaderError,
    ImportProblem,
    Subscriber,
    choice_from_fields,
    decode_subscriber_file,
    make_subscriber,
    read_csv,
)
from newsletter.tokens import Purpose, TokenError
from newsletter.topics import (
    Choice,
    Vocabulary,
    dump_choices,
    learn_vocabulary,
    make_choice,
    wanted,
)

# Mail, HTTP and settings (jinja2, requests, the email package: a third of a subscriber
# import's start-up) are imported by the commands that use them, so that the subscriber
# commands an operator runs on a file start at once.
if TYPE_CHECKING:
    from newsletter.digest import MailSettings
    from newsletter.settings import Settings
    from newsletter.transports import Transport

UNEXPECTED_EXIT = 1


def _error(message: str) -> None:
    for line in message.splitlines() or [""]:
        click.echo(f"newsletter: error: {line}", err=True)


class _Group(click.Group):
    """Turns every error into one line on stderr (one per problem) and an exit code.

    No traceback reaches a user: an error we did not foresee is one line and exit 1, and
    ``--debug`` shows its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            _error(str(exc))
            ctx.exit(exc.exit_code)
        except sqlite3.Error as exc:
            _error(f"database: {exc}")
            ctx.exit(StateError.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            detail = " ".join(str(exc).split()) or "no details"
            _error(f"unexpected {type(exc).__name__}: {detail} (--debug shows the traceback)")
            ctx.exit(UNEXPECTED_EXIT)


@contextmanager
def _store(ctx: click.Context) -> Iterator[Store]:
    with Store(ctx.obj["db"]) as store:
        yield store


@contextmanager
def _reader_may_stop() -> Iterator[None]:
    """Output read by a program that may stop early (``subscribers list | head``): no error.

    Only around writes to stdout, so that a broken pipe elsewhere (an SMTP socket) is still
    reported.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; pointed at /dev/null that is quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        sys.exit(0)


@click.group(cls=_Group)
@click.option("--db", type=click.Path(dir_okay=False), envvar="NEWSLETTER_DB",
              default="newsletter.db", show_default=True, help="SQLite state file.")
@click.option("-v", "--verbose", count=True, help="More log output (twice for debug).")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.pass_context
def cli(ctx: click.Context, db: str, verbose: int, debug: bool) -> None:
    """E-mail digests of the intranet's IT news, one per subscriber, sent exactly once."""
    level = logging.DEBUG if debug else logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # Their debug lines show request URLs and bodies: a Teams webhook URL carries its key, a
    # token request the client secret.
    for name in ("urllib3", "msal"):
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    ctx.obj = {"db": db}


@cli.group()
def subscribers() -> None:
    """Manage the subscriber list."""


_FEED_FOR_TOPICS = click.option(
    "--feed", "feed", help="Feed URL or file to learn its categories and audiences from "
    "(default: what the last send read).")


def _vocabulary(store: Store, feed: str | None) -> Vocabulary | None:
    """The feed's categories and audiences: read now from ``feed``, else as last seen."""
    if feed is None:
        return store.vocabulary()
    document = read_feed(*_fetch_body(feed, _settings(None).http_timeout))
    vocabulary = learn_vocabulary(document.channel, document.entries, store.vocabulary())
    store.save_vocabulary(vocabulary)
    return vocabulary


@subscribers.command("import")
# readable=False: a file it may not read is ours to report (exit 7, one line), not click's
# four-line usage error.
@click.argument("file", type=click.Path(dir_okay=False, readable=False))
@_FEED_FOR_TOPICS
@click.pass_context
def subscribers_import(ctx: click.Context, file: str, feed: str | None) -> None:
    """Import FILE.csv with the header email,name,topics (or e-post;namn;ämnen).

    As Excel saves it: UTF-8 (with or without BOM), Windows-1252 or UTF-16 ("Unicode-text"),
    separated by commas, semicolons or tabs.

    Topics are ;-separated categories and audiences of the feed: a post is sent when it is in
    one of the categories (none = all) and for one of the audiences (none = all; posts for
    everyone always).  Optional columns categories and audiences say the same explicitly.
    Idempotent; addresses compare case-insensitively; bad lines are reported and skipped.
    Someone who unsubscribed is not brought back by an import.
    """
    counts = {"added": 0, "updated": 0, "unchanged": 0, "unsubscribed": 0}
    problems = 0
    try:
        text = decode_subscriber_file(Path(file).read_bytes())
    except OSError as exc:
        raise SubscriberError(f"cannot read {file}: {exc.strerror or exc}") from exc

    def good_lines(vocabulary: Vocabulary | None) -> Iterator[Subscriber]:
        nonlocal problems
        try:
            for row in read_csv(text, vocabulary):
                if isinstance(row, ImportProblem):
                    problems += 1
                    click.echo(f"{file}:{row.line}: skipped: {row.message}", err=True)
                else:
                    yield row
        except HeaderError as exc:
            raise SubscriberError(f"{file}:{exc.line}: {exc}") from exc

    with _store(ctx) as store:
        vocabulary = _vocabulary(store, feed)
        # Streamed into one transaction: a header that cannot be used imports nothing.
        counts.update(store.upsert_subscribers(
            good_lines(vocabulary), reactivate=False, source="csv import"))
    click.echo(
        f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['unsubscribed']} left alone (unsubscribed), {problems} invalid lines skipped"
    )


@subscribers.command("add")
@click.argument("email")
@click.option("--name", default="", help="Name shown in the To header and greeting.")
@click.option("--topic", "topics", multiple=True,
              help="Category or audience of the feed; repeat.  None = all.")
@click.option("--category", "categories", multiple=True, help="Category; repeat.  None = all.")
@click.option("--audience", "audiences", multiple=True, help="Audience; repeat.  None = all.")
@_FEED_FOR_TOPICS
@click.pass_context
def subscribers_add(ctx: click.Context, email: str, name: str, topics: tuple[str, ...],
                    categories: tuple[str, ...], audiences: tuple[str, ...],
                    feed: str | None) -> None:
    """Add EMAIL, or update it (and subscribe it again if it had left).

    A post is sent when it is in one of the chosen categories and for one of the chosen
    audiences (none chosen = all; posts for everyone always).
    """
    with _store(ctx) as store:
        choice = choice_from_fields(_vocabulary(store, feed), topics, categories, audiences)
        subscriber = make_subscriber(email, name, choice)
        outcome = store.upsert_subscriber(subscriber, reactivate=True, source="cli")
    click.echo(f"{subscriber.email}: {outcome}")


@subscribers.command("remove")
@click.argument("email")
@click.pass_context
def subscribers_remove(ctx: click.Context, email: str) -> None:
    """Unsubscribe EMAIL; pending digests for it are not sent."""
    with _store(ctx) as store:
        if not store.deactivate_subscriber(email):
            raise SubscriberError(f"{email} is not subscribed")
    click.echo(f"{email}: removed")


@subscribers.command("list")
@click.option("--all", "show_all", is_flag=True,
              help="Include those who are not active, with a fourth column: state.")
@click.pass_context
def subscribers_list(ctx: click.Context, show_all: bool) -> None:
    """List subscribers as CSV with the header email,name,topics, which import reads back.

    With --all a fourth column, state (active, pending, paused or unsubscribed), says where each
    stands; import takes only the first three, so cut it off (or list without --all) to import.
    Subscribers from before the categories-and-audiences rule may hold several choices; they
    are listed in words.
    """
    # The csv module quotes a name such as "Åström, Anna" as import reads it back.
    writer = csv.writer(sys.stdout, lineterminator="\n")
    with _store(ctx) as store, _reader_may_stop():
        # Written once the database opened: a file that is no database prints no CSV at all.
        writer.writerow(["email", "name", "topics", *(["state"] if show_all else [])])
        for sub in store.subscribers(active_only=not show_all):
            if len(sub.choices) == 1:
                only = sub.choices[0]
                topics = ";".join(
                    (*(only.categories or ()), *(only.audiences or ()), *only.topics)
                )
            else:
                topics = " / ".join(c.describe() for c in sub.choices)
            writer.writerow([sub.email, sub.name, topics, *([sub.state] if show_all else [])])


@subscribers.command("export")
@click.argument("email")
@click.pass_context
def subscribers_export(ctx: click.Context, email: str) -> None:
    """Print as JSON everything held about EMAIL, with its history (data-subject access)."""
    with _store(ctx) as store:
        data = store.export(email)
    if data is None:
        raise SubscriberError(f"nothing is held about {email}")
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@subscribers.command("forget")
@click.argument("email")
@click.pass_context
def subscribers_forget(ctx: click.Context, email: str) -> None:
    """Erase EMAIL and everything about it, deliveries and history included (erasure)."""
    with _store(ctx) as store:
        if not store.forget(email):
            raise SubscriberError(f"nothing is held about {email}")
    click.echo(f"{email}: forgotten")


@cli.command()
@click.argument("token")
@click.pass_context
def unsubscribe(ctx: click.Context, token: str) -> None:
    """Unsubscribe whoever a signed TOKEN from an unsubscribe link names."""
    settings = _settings(None)
    if settings.signer is None:
        raise ConfigError("set NEWSLETTER_SECRET to check signed links")
    try:
        claim = settings.signer.read(Purpose.UNSUBSCRIBE, token)
    except TokenError as exc:
        raise SubscriberError("the unsubscribe token is not valid") from exc
    with _store(ctx) as store:
        found = store.subscriber_by_id(claim.subscriber_id)
        if found is None or claim.token_key not in (None, found.token_key):
            raise SubscriberError("the unsubscribe token names no subscriber")
        store.unsubscribe(found.id, "cli (signed link)")
    click.echo(f"{found.email}: removed")


def _settings(sender: str | None) -> Settings:
    from newsletter.settings import load

    return load(os.environ, sender=sender)


def _mail_settings(store: Store, settings: Settings) -> MailSettings:
    from newsletter.digest import MailSettings

    return MailSettings(
        settings.sender, store.install_id, settings.list_id, settings.unsubscribe_mailto,
        settings.unsubscribe_url, settings.unsubscribe_secret, links=settings.links,
        max_posts=settings.max_posts, news_url=settings.news_url or store.feed_home(),
    )


def _since(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=STOCKHOLM)


def _now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    """The ``--now`` option: a time in ISO 8601, Swedish time unless it has an offset."""
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a time such as 2026-12-07T08:00 or 2026-12-07T08:00+01:00"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=STOCKHOLM)


_NOW = click.option(
    "--now", callback=_now, metavar="TIME",
    help="Act as if it were TIME (ISO 8601, Swedish time unless an offset is given): which "
    "reminders are due, which posts the first run sends, the week of the digest.  For tests "
    "and for trying what a later run does; default: the clock.")


@cli.command()
@click.option("--feed", "source", required=True, help="Feed URL (http/https) or file.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="Send posts published since DATE; default: the last 7 days on the first run.")
@click.option("--outbox", type=click.Path(file_okay=False), default="outbox", show_default=True,
              help="Folder for .eml files when SMTP_HOST is not set.")
@click.option("--from", "sender", envvar="NEWSLETTER_FROM", help="From address of the digests.")
@_NOW
@click.pass_context
def send(ctx: click.Context, source: str, since: datetime | None, outbox: str,
         sender: str | None, now: datetime) -> None:
    """Fetch the feed and send one digest of the new posts to each subscriber who wants them.

    Mail goes over SMTP when SMTP_HOST is set, else into the outbox folder.  Safe to run any
    number of times and to kill: the next run finishes what was left.  When the feed cannot be
    fetched, mail still waiting from earlier runs goes out first; then the feed error is
    reported with its exit code.
    """
    from newsletter.run import Plan, Tally, deliver, update_from_feed
    from newsletter.transports.graph import DailyLimitReached

    started = time.monotonic()
    config = _settings(sender)
    db = ctx.obj["db"]
    feed_error: FeedError | None = None
    with run_lock(db), _store(ctx) as store:
        try:
            plan = update_from_feed(store, source, since=_since(since), now=now,
                                    timeout=config.http_timeout,
                                    reminder_horizon=timedelta(days=config.reminder_days))
        except FeedError as exc:
            feed_error, plan = exc, Plan()
        # After the feed was read: on the first run, its home page is the "more news" link.
        settings = _mail_settings(store, config)
        if plan.not_modified:
            click.echo("feed not modified (HTTP 304)", err=True)
        total = store.count_open()
        # Only Graph keeps a daily budget, and counting the day's mail reads every delivery
        # ever sent: not for a run with nothing to send (most cron runs).
        sent_today = (store.sent_since(datetime.now(UTC) - timedelta(days=1))
                      if total and config.transport.kind == "graph" else 0)
        transport = config.transport.open(outbox, sent_today)
        tally = Tally()  # counted as each outcome is recorded, so a stopped run reports too
        stopped: DailyLimitReached | None = None
        try:
            if total and sys.stderr.isatty():
                with click.progressbar(length=total, label="sending", file=sys.stderr) as bar:

                    def counted(status: Status) -> None:
                        tally.add(status)
                        bar.update(1)

                    deliver(store, transport, settings, on_each=counted,
                            retry_period=config.retry_period)
            else:
                deliver(store, transport, settings, on_each=tally.add,
                        retry_period=config.retry_period)
        except DailyLimitReached as exc:
            stopped = exc
        finally:
            transport.close()
        left = store.count_open() if stopped else 0
    if stopped:
        click.echo(f"newsletter: {stopped}: {left} digests left pending", err=True)
    click.echo(
        f"{plan.new_posts} new posts, {tally.sent} digests sent, {tally.failed} failed, "
        f"{tally.deferred} deferred, {tally.unknown} unknown, "
        f"{time.monotonic() - started:.1f} seconds"
    )
    if feed_error is not None:
        raise feed_error


@cli.command()
@click.option("--feed", "source", required=True, help="Feed URL (http/https) or file.")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="HTML file to write; the text part goes beside it as .txt.")
@click.option("--subscriber", help="Show the digest as this subscriber gets it.")
@click.option("--from", "sender", envvar="NEWSLETTER_FROM", help="From address of the digests.")
@_NOW
@click.pass_context
def preview(ctx: click.Context, source: str, out: str, subscriber: str | None,
            sender: str | None, now: datetime) -> None:
    """Write the next digest to FILE.html (and FILE.txt) without sending or recording anything.

    Shows the posts, reminders and changes the next send would include (changes as the
    subscriber would get them, else against the feed as last read); when there are none, the
    last 7 days.
    """
    from newsletter.digest import Recipient, build_digest, render
    from newsletter.run import FIRST_RUN_WINDOW, split_new

    if not Path(out).name:
        raise click.BadParameter(f"{out!r} names no file, e.g. digest.html", param_hint="'--out'")
    config = _settings(sender)
    document = read_feed(*_fetch_body(source, config.http_timeout))
    entries = document.entries
    with _store(ctx) as store:
        settings = _mail_settings(store, config)
        if settings.news_url is None and document.channel.home:
            settings = replace(settings, news_url=document.channel.home)
        vocabulary = learn_vocabulary(document.channel, entries, store.vocabulary())
        cutoff = None if store.has_seen_anything() else now - FIRST_RUN_WINDOW
        chosen, _ = split_new(entries, store.seen_ids(e.id for e in entries), cutoff)
        current: dict[str, Entry] = {}
        for entry in entries:
            current.setdefault(entry.id, entry)
        known = {i: PostState.of(e) for i, e in store.known_entries(current).items()}
        cancelled = vocabulary.cancelled
        notices = due_notices(current.values(), known, store.given_notices(current), now,
                              timedelta(days=config.reminder_days), cancelled)
        recipient = Recipient(0, settings.sender.addr_spec, "")
        wants: Callable[[Entry], bool] = _everything
        told = known
        if subscriber:
            found = store.subscriber(subscriber)
            if found is None:
                raise SubscriberError(f"{subscriber} is not a subscriber")
            recipient = Recipient(found.id, found.email, found.name, found.token_key)
            wants = wanted(dump_choices(found.choices), vocabulary)
            told = store.told_states(found.id, current)
        chosen = [e for e in chosen if wants(e)]
        selected = select_notices(notices, current, told, {e.id for e in chosen}, wants,
                                  cancelled)
        if not chosen and not selected:
            click.echo("nothing new in the feed; showing the last 7 days", err=True)
            chosen = [e for e in entries
                      if e.published >= now - timedelta(days=7) and wants(e)]
    if not chosen and not selected:
        raise NewsletterError("no posts to preview")
    digest = build_digest(chosen, now, vocabulary, max_posts=settings.max_posts,
                          more_url=settings.news_url, notices=selected)
    text, html = render(digest, recipient, settings)
    html_path = Path(out)
    text_path = html_path.with_suffix(".txt")
    try:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(html, encoding="utf-8")
        text_path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the preview {out}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {html_path} and {text_path} ({digest.counts})")


def _everything(entry: Entry) -> bool:
    return True


def _fetch_body(source: str, timeout: float) -> tuple[bytes, str]:
    from newsletter.fetch import fetch

    fetched = fetch(source, Validators(), timeout=timeout)
    return fetched.body, fetched.url


@cli.command()
@click.option("--deferred", is_flag=True, help="Also list deferred and unknown deliveries.")
@click.pass_context
def failures(ctx: click.Context, deferred: bool) -> None:
    """List deliveries that failed, with the server's answer (tab-separated).

    Columns: last attempt, status, edition, address, next attempt (or what to do), answer.
    """
    statuses = [Status.FAILED]
    if deferred:
        statuses += [Status.DEFERRED, Status.UNKNOWN]
    with _store(ctx) as store, _reader_may_stop():
        for row in store.failures(statuses):
            if row.status is Status.FAILED:
                upcoming = "not retried (newsletter retry)"
            else:
                upcoming = f"retry from {row.next_attempt_at or 'the next send'}"
            click.echo(f"{row.updated_at}\t{row.status}\tedition {row.edition_id}\t"
                       f"{row.email}\t{upcoming}\t{row.error}")


@cli.command()
@click.option("--edition", type=click.IntRange(1, 2**63 - 1),
              help="Only this edition's failed deliveries.")
@click.option("--address", help="Only the failed deliveries to this address.")
@click.pass_context
def retry(ctx: click.Context, edition: int | None, address: str | None) -> None:
    """Queue failed deliveries again (all, one edition's or one address's) for the next send."""
    with _store(ctx) as store:
        count = store.requeue_failed(edition_id=edition, email=address)
    which = "".join((f" of edition {edition}" if edition is not None else "",
                     f" to {address}" if address else ""))
    click.echo(f"{count} failed deliveries{which} queued again; the next send sends them")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the reverse proxy's side).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--feed", "source", envvar="NEWSLETTER_FEED",
              help="Feed URL or file to learn the categories and audiences from at start "
              "(default: what the last send read).")
@click.option("--from", "sender", envvar="NEWSLETTER_FROM", help="From address of the mail.")
@click.option("--outbox", type=click.Path(file_okay=False), default="outbox", show_default=True,
              help="Folder for .eml files when no mail transport is set.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, source: str | None, sender: str | None,
          outbox: str, threads: int) -> None:
    """Run the subscription web service (subscribe, confirm, manage, one-click unsubscribe).

    Needs NEWSLETTER_PUBLIC_URL (the address readers use) and NEWSLETTER_SECRET; shares the
    database with send.  Put it behind the organisation's web server with TLS.
    """
    import waitress

    from newsletter.web.app import ServiceConfig, create_app

    config = _settings(sender)
    if config.links is None:
        raise ConfigError("serve needs NEWSLETTER_PUBLIC_URL (and NEWSLETTER_SECRET)")
    with _store(ctx) as store:
        settings = _mail_settings(store, config)
        if source:
            try:
                _vocabulary(store, source)
            except NewsletterError as exc:  # the service still runs on what send saw last
                logging.getLogger("newsletter").warning("feed not read: %s", exc)

    def transport() -> Transport:
        return config.transport.open(outbox)

    service = ServiceConfig(
        Path(ctx.obj["db"]), settings, config.links, config.allowed_domains, config.proxy_hops,
        config.site_url,
    )
    app = create_app(service, transport)
    try:
        try:
            # X-Forwarded-* headers are trusted (by ProxyFix) only with NEWSLETTER_PROXY_HOPS.
            # connection_limit: a burst of mail clients' one-click POSTs (hundreds at once
            # after a digest) waits in waitress's queue instead of the kernel's backlog.
            server = waitress.create_server(app, host=host, port=port, threads=threads,
                                            ident="nyhetsbrev", connection_limit=1000)
        except (OSError, ValueError) as exc:  # port taken, an address not this machine's
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(f"cannot listen on {host}:{port} (--host, --port): {reason}"
                              ) from exc
        click.echo(f"serving {config.links.public_url} on http://{host}:{port}/", err=True)
        server.run()
    finally:
        app.extensions["newsletter_mailer"].close()


@cli.command()
@click.option("--feed", "source", required=True, help="Feed URL (http/https) or file.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="Post posts published since DATE; default: the last 7 days on a webhook's "
                   "first run.")
@click.option("--category", "categories", multiple=True,
              help="Only posts in this category; repeat for more.")
@click.option("--audience", "audiences", multiple=True,
              help="Only posts for this audience (posts for everyone always); repeat for more.")
@click.pass_context
def teams(ctx: click.Context, source: str, since: datetime | None,
          categories: tuple[str, ...], audiences: tuple[str, ...]) -> None:
    """Post each new post once to a Teams channel as an Adaptive Card.

    The channel's Workflows webhook URL comes from TEAMS_WEBHOOK_URL.  Runs on its own lock,
    so a cron job every few minutes posts an outage at once while a digest is being sent.
    """
    # Here, not at the top: a digest run (every few minutes from cron) never needs it.
    from newsletter.channels.teams import (
        TeamsRecords,
        TeamsSettings,
        TeamsTally,
        Webhook,
        post_open,
        webhook_key,
    )
    from newsletter.channels.teams import plan as plan_posts
    from newsletter.fetch import fetch
    from newsletter.run import FIRST_RUN_WINDOW

    started = time.monotonic()
    hook = TeamsSettings.from_env(os.environ)
    config = _settings(None)
    choice = make_choice(categories, audiences)
    choices = dump_choices([choice] if categories or audiences else [])
    tally = TeamsTally()
    with run_lock(f"{ctx.obj['db']}.teams"), _store(ctx) as store:
        records = TeamsRecords(store, webhook_key(hook.url))
        validators_key = f"teams {records.webhook} {source}"
        fetched = fetch(source, store.validators(validators_key), timeout=config.http_timeout)
        if fetched.not_modified:
            click.echo("feed not modified (HTTP 304)", err=True)
        else:
            document = read_feed(fetched.body, fetched.url)
            entries = list(document.entries)
            # The feed says which audience means everyone; its posts pass an audience filter.
            vocabulary = learn_vocabulary(document.channel, entries, store.vocabulary())
            if categories or audiences:
                _warn_unknown_names(vocabulary, choice)
            want = wanted(choices, vocabulary)
            cutoff = _since(since)
            if cutoff is None and not records.has_any():
                cutoff = datetime.now(UTC) - FIRST_RUN_WINDOW
            with store.transaction():
                tally.new, tally.skipped = plan_posts(records, entries, want, cutoff)
                store.save_validators(validators_key, fetched.validators)
        webhook = Webhook(hook.url)
        try:
            post_open(records, webhook, tally, retry_period=config.retry_period)
        finally:
            webhook.close()
    click.echo(
        f"{tally.new} new posts, {tally.sent} posted to Teams, {tally.failed} failed, "
        f"{tally.deferred} deferred, {tally.unknown} unknown, "
        f"{time.monotonic() - started:.1f} seconds"
    )


def _warn_unknown_names(vocabulary: Vocabulary, choice: Choice) -> None:
    """A filter name no post has used yet may be a typo; it may also be next week's outage."""
    try:
        vocabulary.check(choice)
    except SubscriberError as exc:
        click.echo(f"newsletter: warning: {exc}", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="newsletter")
