"""`nyhet ny` as a writer runs it: the file it writes builds with --strict and is in the feeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.conftest import mkdocs_env, run_build

from .conftest import Nyhet

POSTS = Path("content/news/posts")

OPTIONS = (
    "ny", "--typ", "planerad-andring", "--titel", 'Ny VPN-klient: "Anslut 2" & <mer>',
    "--beskrivning", "Vi byter VPN-klient på alla bärbara datorer i januari.",
    "--malgrupp", "förvaltning", "--målgrupp", "skola", "--tjänst", "Exempelby Anslut",
    "--start", "2027-01-12 18:00", "--slut", "2027-01-12 20:00",
    "--åtgärd", "Starta om datorn när den frågar.", "--senast", "2027-01-12",
)


def test_new_post_from_options_builds_strict_and_is_in_the_feeds(
    project: Path, nyhet: Nyhet, tmp_path: Path
) -> None:
    result = nyhet(*OPTIONS)
    assert result.returncode == 0, result.stderr
    path = project / POSTS / "ny-vpn-klient-anslut-2-mer.md"
    assert result.stdout.splitlines()[0] == f"Skrev {POSTS}/ny-vpn-klient-anslut-2-mer.md"
    text = path.read_text(encoding="utf-8")
    # BaseLoader: every value as the text written (other tests teach SafeLoader minute times).
    meta = yaml.load(text.split("---\n")[1], Loader=yaml.BaseLoader)
    assert meta["title"] == 'Ny VPN-klient: "Anslut 2" & <mer>'
    assert meta["categories"] == ["Planerad ändring"]
    assert meta["audience"] == ["förvaltning", "skola"]
    assert meta["services"] == ["Exempelby Anslut"]
    assert meta["window"] == {"start": "2027-01-12 18:00", "end": "2027-01-12 20:00"}
    assert meta["action"]["by"] == "2027-01-12"
    assert meta["status"] == "planerad"
    assert meta["date"] == "2026-11-29 13:00"  # the build's now, 12:00 UTC, in Swedish time
    for question in ("Vad händer?", "Vem berörs?", "Vad behöver du göra?", "När?",
                     "Var får jag hjälp?"):
        assert f"\n## {question}\n" in text

    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    feed = json.loads((tmp_path / "site/feeds/news.json").read_text(encoding="utf-8"))
    item = next(i for i in feed["items"] if i["id"].endswith(":news/ny-vpn-klient-anslut-2-mer"))
    assert item["title"] == 'Ny VPN-klient: "Anslut 2" & <mer>'
    assert item["_it_change"]["window"]["start"] == "2027-01-12T18:00:00+01:00"
    school = json.loads((tmp_path / "site/feeds/audience/skola.json").read_text("utf-8"))
    assert item["id"] in [i["id"] for i in school["items"]]
    # The build shows the check's warnings: the skeleton's sections are still empty.
    assert "ny-vpn-klient-anslut-2-mer.md:24: varning: avsnittet ”Vad händer?” är tomt" \
        in build.output


def test_never_overwrites_and_refuses_a_taken_title(project: Path, nyhet: Nyhet) -> None:
    assert nyhet(*OPTIONS).returncode == 0
    again = nyhet(*OPTIONS)
    assert again.returncode == 1
    assert again.stderr == (f"nyhet ny: titeln ”Ny VPN-klient: \"Anslut 2\" & <mer>” finns "
                            f"redan i {POSTS}/ny-vpn-klient-anslut-2-mer.md; välj en annan "
                            "titel\n")
    # Another title with the same file name: the file is left as it was.
    path = project / POSTS / "ny-vpn-klient-anslut-2-mer.md"
    before = path.read_bytes()
    other = list(OPTIONS)
    other[other.index("--titel") + 1] = "Ny VPN-klient \N{EN DASH} Anslut 2 & mer"
    taken = nyhet(*other)
    assert taken.returncode == 1
    assert taken.stderr == (f"nyhet ny: det finns redan en fil med namnet {POSTS}/"
                            "ny-vpn-klient-anslut-2-mer.md; ge nyheten en annan titel eller "
                            "välj ett annat namn med --filnamn\n")
    assert path.read_bytes() == before
    assert nyhet(*other, "--filnamn", "ny-vpn-klient-2").returncode == 0


def test_the_readme_example_title_is_refused(project: Path, nyhet: Nyhet) -> None:
    result = nyhet("ny", "--typ", "Planerad ändring", "--titel",
                   "Servrarna flyttar till datacenter i Västerås \N{EN DASH} steg 1",
                   "--beskrivning", "Test.", "--malgrupp", "alla")
    assert result.returncode == 1
    assert "finns redan i content/news/posts/flytt-till-datacenter-steg-1.md" in result.stderr


def test_without_a_terminal_missing_options_are_named(nyhet: Nyhet) -> None:
    result = nyhet("ny", "--typ", "driftstorning")
    assert result.returncode == 2
    assert result.stderr.startswith("nyhet ny: ange --titel, --beskrivning, --malgrupp")


def test_choices_come_from_mkdocs_yml(project: Path, nyhet: Nyhet) -> None:
    result = nyhet("ny", "--typ", "nyheter", "--titel", "X", "--beskrivning", "Y",
                   "--malgrupp", "alla")
    assert result.returncode == 1
    assert result.stderr == ("nyhet ny: --typ nyheter finns inte; välj en av: Planerad ändring, "
                             "Driftstörning, Nytt system, Säkerhet, Tips, guide\n")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("        - Tips\n",
                                                        "        - Tips\n        - Nyheter\n"),
                      "utf-8")
    assert nyhet("ny", "--typ", "nyheter", "--titel", "X", "--beskrivning", "Y",
                 "--malgrupp", "alla").returncode == 0
    bad = nyhet("ny", "--typ", "tips", "--titel", "Z", "--beskrivning", "Y",
                "--malgrupp", "lärare")
    assert "målgruppen lärare finns inte; välj bland: alla, skola, förvaltning, vård och " \
           "omsorg" in bad.stderr


def test_new_guide_is_added_to_the_navigation(project: Path, nyhet: Nyhet,
                                              tmp_path: Path) -> None:
    result = nyhet("ny", "--typ", "guide", "--titel", "Så byter du lösenord",
                   "--beskrivning", "Byt lösenord när datorn ber om det.", "--malgrupp", "alla",
                   "--tagg", "Inloggning")
    assert result.returncode == 0, result.stderr
    assert (project / "content/guides/sa-byter-du-losenord.md").is_file()
    assert "      - guides/sa-byter-du-losenord.md\n" in (project / "mkdocs.yml").read_text()
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    assert (tmp_path / "site/guides/sa-byter-du-losenord/index.html").is_file()


def test_asks_for_what_is_missing_at_a_terminal(project: Path) -> None:
    """The prompts, answered through a pseudo-terminal as a writer types them."""
    main, secondary = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "nyhet", "ny"], cwd=project, env=mkdocs_env(),
        stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True,
    )
    os.close(secondary)
    answers = ["2", "Långsamt wifi i Skolhuset", "Wifi i Skolhuset är långsamt i dag.", "2",
               "Wifi", "", ""]
    output = b""
    try:
        for answer in answers:
            output += _read_until_prompt(main)
            os.write(main, answer.encode() + b"\n")
        output += _read_until_exit(main, process)
    finally:
        os.close(main)
        process.kill()
    text = output.decode("utf-8", "replace")
    assert "Vad vill du skriva?" in text and "2. Driftstörning" in text
    assert "Skrev content/news/posts/langsamt-wifi-i-skolhuset.md" in text, text
    meta = yaml.load((project / POSTS / "langsamt-wifi-i-skolhuset.md")
                     .read_text("utf-8").split("---\n")[1], Loader=yaml.BaseLoader)
    assert meta["categories"] == ["Driftstörning"]
    assert meta["audience"] == ["skola"]
    assert meta["services"] == ["Wifi"]
    assert meta["status"] == "pågår"
    assert "window" not in meta and "action" not in meta


def _read_until_prompt(fd: int) -> bytes:
    data = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        chunk = os.read(fd, 4096)
        data += chunk
        if data.rstrip().endswith(b":") or data.rstrip().endswith(b"]:"):
            return data
    raise AssertionError(f"no prompt: {data!r}")


def _read_until_exit(fd: int, process: subprocess.Popen[bytes]) -> bytes:
    data = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end closed: the command has ended
            break
        if not chunk:
            break
        data += chunk
    process.wait(timeout=30)
    return data


def test_a_number_outside_the_list_is_asked_again(project: Path) -> None:
    """ "0" is not the last category, "²" is neither a number nor a name, "9" is past the end:
    each is asked again at once; a name typed as listed (any case) is taken."""
    main, secondary = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "nyhet", "ny"], cwd=project, env=mkdocs_env(),
        stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True,
    )
    os.close(secondary)
    answers = ["0", "²", "9", "driftstörning", "Långsamt wifi i Skolhuset",
               "Wifi i Skolhuset är långsamt i dag.", "2", "Wifi", "", ""]
    output = b""
    try:
        for answer in answers:
            output += _read_until_prompt(main)
            os.write(main, answer.encode() + b"\n")
        output += _read_until_exit(main, process)
    finally:
        os.close(main)
        process.kill()
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, text
    assert text.count("Skriv numret, 1\N{EN DASH}6.") == 3, text
    assert "Traceback" not in text
    meta = yaml.load((project / POSTS / "langsamt-wifi-i-skolhuset.md")
                     .read_text("utf-8").split("---\n")[1], Loader=yaml.BaseLoader)
    assert meta["categories"] == ["Driftstörning"]


def test_visa_with_an_address_whose_port_is_no_number(nyhet: Nyhet) -> None:
    result = nyhet("visa", "--adress", "127.0.0.1:²")
    assert result.returncode == 2
    assert result.stderr == ("nyhet visa: adressen 127.0.0.1:² ska skrivas värd:port, till "
                             "exempel 127.0.0.1:8000\n")
