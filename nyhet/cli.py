"""The ``nyhet`` command line, in Swedish: ``nyhet ny`` and ``nyhet granska``.

Exit codes: 0 klart (also with warnings), 1 fel i en sida eller sidan kunde inte skrivas,
2 fel användning (okänt val, mkdocs.yml saknas).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from plugins.posts.model import Status
from plugins.review.findings import Finding, Severity
from plugins.review.rules import lix_by_document

from . import scaffold
from .check import CheckError, Report, check
from .project import Project, ProjectError, build_now, load_project
from .scaffold import GUIDE, Answers, ScaffoldError

_ARGPARSE_SWEDISH = {
    "usage: ": "användning: ",
    "options": "val",
    "positional arguments": "argument",
    "show this help message and exit": "visa den här hjälpen och avsluta",
    "the following arguments are required: %s": "de här argumenten behövs: %s",
    "unrecognized arguments: %s": "okända argument: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "ogiltigt val: %(value)r (välj bland %(choices)s)",
    "expected one argument": "ett värde behövs",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s":
        "tvetydigt val: %(option)s kan vara %(matches)s",
    "invalid %(type)s value: %(value)r": "ogiltigt värde: %(value)r",
}


@contextlib.contextmanager
def _swedish_argparse() -> Iterator[None]:
    """argparse's own words (usage, errors) in Swedish, for this command only."""
    original: Callable[[str], str] = argparse._  # type: ignore[attr-defined]
    argparse._ = lambda text: _ARGPARSE_SWEDISH.get(text, original(text))  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = original  # type: ignore[attr-defined]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nyhet",
        description="Skriv nyheter och guider till intranätet: börja rätt och granska texten "
                    "innan den publiceras.",
    )
    parser.add_argument("--config", type=Path, default=Path("mkdocs.yml"), metavar="FIL",
                        help="webbplatsens mkdocs.yml (standard: mkdocs.yml här)")
    commands = parser.add_subparsers(dest="command", metavar="KOMMANDO", required=True)

    new = commands.add_parser(
        "ny", help="skriv en ny nyhet eller guide",
        description="Skapar en ny nyhet (eller guide) med rätt filnamn, front matter och de fem "
                    "frågorna. Det du inte anger frågar kommandot efter.")
    new.add_argument("--typ", metavar="TYP",
                     help="planerad-andring, driftstorning, nytt-system, sakerhet, tips eller "
                          "guide (kategorierna i mkdocs.yml)")
    new.add_argument("--titel", metavar="TEXT")
    new.add_argument("--beskrivning", metavar="TEXT",
                     help="sammanfattningen i listor, flöden och mejl, högst 300 tecken")
    new.add_argument("--kategori", action="append", default=[], metavar="NAMN",
                     help="fler kategorier (standard: typens kategori); kan upprepas")
    new.add_argument("--malgrupp", "--målgrupp", action="append", default=[], metavar="NAMN",
                     dest="malgrupp", help="målgrupp ur mkdocs.yml, t.ex. alla; kan upprepas")
    new.add_argument("--tjanst", "--tjänst", action="append", default=[], metavar="NAMN",
                     dest="tjanst", help="system som berörs, t.ex. Visma Lön; kan upprepas")
    new.add_argument("--tagg", action="append", default=[], metavar="NAMN",
                     help="taggar (guider)")
    new.add_argument("--start", metavar="ÅÅÅÅ-MM-DD TT:MM", help="avbrottet börjar")
    new.add_argument("--slut", metavar="ÅÅÅÅ-MM-DD TT:MM", help="avbrottet slutar")
    new.add_argument("--atgard", "--åtgärd", metavar="TEXT", dest="atgard",
                     help="vad läsaren ska göra")
    new.add_argument("--senast", metavar="ÅÅÅÅ-MM-DD", help="senast när läsaren ska göra det")
    new.add_argument("--status", choices=[str(s) for s in Status])
    new.add_argument("--datum", metavar="ÅÅÅÅ-MM-DD TT:MM",
                     help="publiceringsdatum (standard: nu)")
    new.add_argument("--forfattare", "--författare", action="append", default=[],
                     dest="forfattare", metavar="ID", help="id ur .authors.yml")
    new.add_argument("--utkast", action="store_true", help="publiceras inte förrän du tar bort "
                                                          "draft: true")
    new.add_argument("--filnamn", metavar="NAMN", help="filnamn i stället för titelns")

    review = commands.add_parser(
        "granska", help="granska nyheter och guider",
        description="Granskar sidorna i content/ (eller de filer du anger): front matter, de "
                    "fem frågorna, läsbarhet (LIX), bilder, länkar och titlar. Avslutar med "
                    "kod 1 om något är fel, 0 om det bara finns varningar och tips.")
    review.add_argument("files", nargs="*", type=Path, metavar="FIL")
    review.add_argument("--format", choices=["text", "github"], default="text",
                        help="github: anteckningar i GitHub Actions")
    review.add_argument("--inga-tips", action="store_true", dest="no_hints",
                        help="visa bara fel och varningar")
    review.add_argument("--lix", action="store_true",
                        help="skriv också LIX för varje nyhet och guide")
    preview = commands.add_parser(
        "visa", help="förhandsgranska webbplatsen medan du skriver",
        description="Bygger webbplatsen och visar den på http://127.0.0.1:8000/. När du sparar "
                    "en sida visas ändringen direkt, och granskningen av sidan skrivs ut här. "
                    "Utkast syns och är märkta som utkast. Avsluta med Ctrl+C.")
    preview.add_argument("-a", "--adress", default="127.0.0.1:8000", metavar="VÄRD:PORT",
                         dest="address", help="standard: 127.0.0.1:8000")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with _swedish_argparse():
        arguments = _parser().parse_args(argv)
    try:
        project = load_project(arguments.config)
    except ProjectError as error:
        print(f"nyhet: {error}", file=sys.stderr)
        return 2
    if arguments.command == "granska":
        return _review(project, arguments)
    if arguments.command == "visa":
        return _preview(project, arguments)
    return _new(project, arguments)


# --- nyhet granska ---------------------------------------------------------------------------

def _github(finding: Finding) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.HINT: "notice"}
    message = finding.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    path = finding.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    return (f"::{level[finding.severity]} file={path},line={finding.line},"
            f"title=nyhet granska ({finding.rule})::{message}")


def _review(project: Project, arguments: argparse.Namespace) -> int:
    try:
        report = check(project, arguments.files, build_now())
    except CheckError as error:
        print(f"nyhet granska: {error}", file=sys.stderr)
        return 2
    shown = [f for f in report.findings
             if not (arguments.no_hints and f.severity is Severity.HINT)]
    for finding in shown:
        print(_github(finding) if arguments.format == "github" else str(finding))
    if arguments.lix:
        _print_lix(report)
    files = len(report.documents)
    print(f"Granskade {files} {'fil' if files == 1 else 'filer'}: "
          f"{report.count(Severity.ERROR)} fel, {report.count(Severity.WARNING)} varningar, "
          f"{report.count(Severity.HINT)} tips.", file=sys.stderr)
    return 1 if report.errors else 0


def _print_lix(report: Report) -> None:
    values = lix_by_document(report.documents)
    for path, value in sorted(values.items(), key=lambda item: item[1]):
        print(f"LIX {value:5.1f}  {path}")
    if values:
        figures = sorted(values.values())
        print(f"LIX för {len(figures)} sidor: lägst {figures[0]:.0f}, median "
              f"{statistics.median(figures):.0f}, högst {figures[-1]:.0f}")


# --- nyhet ny ---------------------------------------------------------------------------------

class _Asker:
    """Asks for what the options left out, when someone is at the keyboard."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.missing: list[str] = []

    def text(self, value: str | None, question: str, option: str, *, required: bool = True,
             default: str | None = None) -> str | None:
        if value:
            return value
        if not self.interactive:
            if required and default is None:
                self.missing.append(option)
            return default
        while True:
            hint = f" [{default}]" if default else ("" if required else " (tomt = inget)")
            answer = input(f"{question}{hint}: ").strip()
            if answer or default or not required:
                return answer or default
            print("  Det här behövs.")

    def choices(self, values: list[str], question: str, option: str, allowed: list[str], *,
                default: list[str] | None = None, many: bool = True) -> list[str]:
        if values:
            return values
        if not self.interactive:
            if default is None:
                self.missing.append(option)
            return default or []
        print(question)
        for number, name in enumerate(allowed, 1):
            print(f"  {number}. {name}")
        shown = f" [{', '.join(default)}]" if default else ""
        while True:
            answer = input(f"Välj {'en eller flera (t.ex. 1,3)' if many else 'en'}{shown}: ")
            if not answer.strip() and default:
                return default
            picked = [part.strip() for part in answer.split(",") if part.strip()]
            chosen = [c for c in (_pick(p, allowed) for p in picked) if c is not None]
            if len(chosen) < len(picked):  # asked again now, not after every other question
                chosen = []
            if chosen and (many or len(chosen) == 1):
                return chosen
            print(f"  Skriv numret, 1\N{EN DASH}{len(allowed)}.")


def _pick(answer: str, allowed: list[str]) -> str | None:
    """One answer at a list's prompt: its number (1..n) or its name; None if neither.

    isdecimal, not isdigit: "²" is a digit that int() refuses.
    """
    if answer.isdecimal():
        return allowed[int(answer) - 1] if 1 <= int(answer) <= len(allowed) else None
    names = {name.casefold(): name for name in allowed}
    return names.get(answer.casefold())


def _moment(value: str | None, option: str, project: Project) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(".", ":"))
    except ValueError as error:
        raise ScaffoldError(f"{option} {value}: skriv datum och tid som 2026-12-11 18:00"
                            ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=project.taxonomy.timezone)
    return moment


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise ScaffoldError(f"{option} {value}: skriv datum som 2026-12-11") from error


def _answers(project: Project, arguments: argparse.Namespace, ask: _Asker) -> Answers:
    kinds = scaffold.kinds(project)
    kind = None
    if arguments.typ:
        kind = scaffold.find_kind(project, arguments.typ)
        if kind is None:
            raise ScaffoldError(f"--typ {arguments.typ} finns inte; välj en av: "
                                + ", ".join(kinds))
    else:
        picked = ask.choices([], "Vad vill du skriva?", "--typ", kinds, many=False)
        kind = picked[0] if picked else None
    title = ask.text(arguments.titel, "Titel (högst 70 tecken)", "--titel")
    description = ask.text(arguments.beskrivning,
                           "Beskrivning: vad ändras, när och vem berörs (högst 300 tecken)",
                           "--beskrivning")
    audiences = list(project.taxonomy.audiences)
    audience = ask.choices(arguments.malgrupp, "Vem är nyheten till?", "--malgrupp", audiences)
    for name in audience:
        if name not in audiences:
            raise ScaffoldError(f"målgruppen {name} finns inte; välj bland: "
                                + ", ".join(audiences))
    answers = Answers(kind=kind or "", title=title or "", description=description or "",
                      audience=audience, draft=arguments.utkast, file_name=arguments.filnamn,
                      tags=arguments.tagg, date=_moment(arguments.datum, "--datum", project))
    if kind == GUIDE or kind is None:
        return answers
    categories = list(project.taxonomy.categories)
    answers.categories = [kind, *(c for c in arguments.kategori if c != kind)]
    for name in answers.categories:
        if name not in categories:
            raise ScaffoldError(f"kategorin {name} finns inte; välj bland: "
                                + ", ".join(categories))
    services = ask.text(",".join(arguments.tjanst), "System som berörs, med komma emellan",
                        "--tjanst", required=False)
    answers.services = [s.strip() for s in (services or "").split(",") if s.strip()]
    start = _moment(ask.text(arguments.start, "Avbrottet börjar (ÅÅÅÅ-MM-DD TT:MM)", "--start",
                             required=False), "--start", project)
    end = _moment(ask.text(arguments.slut, "Avbrottet slutar (ÅÅÅÅ-MM-DD TT:MM)", "--slut",
                           required=start is not None), "--slut", project) if start or \
        arguments.slut else None
    if end and not start:
        raise ScaffoldError("--slut behöver --start")
    answers.window = (start, end) if start and end else None
    what = ask.text(arguments.atgard, "Vad behöver läsaren göra", "--atgard", required=False)
    by = _day(ask.text(arguments.senast, "Senast när (ÅÅÅÅ-MM-DD)", "--senast",
                       required=bool(what)), "--senast") if what or arguments.senast else None
    if by and not what:
        raise ScaffoldError("--senast behöver --atgard (vad läsaren ska göra)")
    answers.action = (by, what) if by and what else None
    answers.status = arguments.status
    authors = project.authors()
    answers.authors = arguments.forfattare or authors[:1]
    for name in answers.authors:
        if authors and name not in authors:
            raise ScaffoldError(f"författaren {name} finns inte i .authors.yml; välj bland: "
                                + ", ".join(authors))
    return answers


def _new(project: Project, arguments: argparse.Namespace) -> int:
    ask = _Asker(interactive=sys.stdin.isatty())
    try:
        answers = _answers(project, arguments, ask)
        if ask.missing:
            print("nyhet ny: ange " + ", ".join(ask.missing)
                  + " (eller kör kommandot i en terminal, så frågar det)", file=sys.stderr)
            return 2
        path = scaffold.write(project, answers, build_now())
    except ScaffoldError as error:
        print(f"nyhet ny: {error}", file=sys.stderr)
        return 1
    shown = Path(scaffold.os_relative(path))
    print(f"Skrev {shown}")
    if answers.kind == GUIDE:
        if scaffold.add_to_navigation(project, path):
            print(f"La till {path.relative_to(project.docs_dir).as_posix()} under Guider i "
                  f"{project.config_file}")
        else:
            print(f"Lägg till {path.relative_to(project.docs_dir).as_posix()} i nav i "
                  f"{project.config_file}, annars syns guiden inte i menyn")
    print(f"Skriv texten under rubrikerna, förhandsgranska och kör sedan: nyhet granska {shown}")
    return 0


# --- nyhet visa -------------------------------------------------------------------------------

def _preview(project: Project, arguments: argparse.Namespace) -> int:
    # Imported here: MkDocs is needed only to preview, and loads slowly.
    import logging

    from .preview import BACKGROUND_NICENESS, Preview

    host, _, port = arguments.address.rpartition(":")
    if not host or not port.isdecimal():
        print(f"nyhet visa: adressen {arguments.address} ska skrivas värd:port, till exempel "
              "127.0.0.1:8000", file=sys.stderr)
        return 2
    logging.basicConfig(format="%(message)s")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    logging.getLogger("nyhet").setLevel(logging.INFO)

    def review(paths: list[Path]) -> None:
        # Another process: the check reads the whole site, and in this one it would hold the
        # interpreter while the next save is being rendered.
        import subprocess

        command = [sys.executable, "-m", "nyhet", "--config", str(project.config_file),
                   "granska", "--inga-tips", *map(str, paths)]
        if nice := shutil.which("nice"):
            # After the page the writer waits for (see preview.lower_priority).
            command = [nice, "-n", str(BACKGROUND_NICENESS), *command]
        subprocess.run(command, stderr=subprocess.DEVNULL, check=False)

    print(f"Förhandsgranskningen byggs; sedan finns den på http://{host}:{port}/", flush=True)
    Preview(project.config_file, host, int(port), on_saved=review).serve()
    return 0
