"""Benchmark of ``newsletter subscribers import`` against plain sqlite3 (a script, not a test).

For each size, a subscriber file is written as Swedish Excel saves "CSV (semikolonavgränsad)":
Windows-1252, semicolons, CRLF, a cell with a semicolon in quotes, the header
``E-post;Namn;Ämnen``.  Three child processes are timed from start to exit (what an operator
waits for), each the median of ``--repeats`` runs, with the packages' bytecode written first as
an installed program has it:

- baseline: reads the same file with the csv module and inserts the same rows (address,
  address in lower case, name, topics) into a table with a unique address with one sqlite3
  ``executemany`` in one transaction, in a WAL database like ours: the least any import does;
- import: ``newsletter subscribers import FILE`` into a new database (every line added, each
  with its audit line and token key);
- again: the same command on the same file once more (every line unchanged);
- then, then again: the same two imports by the code of the commit given with ``--then``
  (default :data:`THEN`, main as it was when issue 7 was filed), taken from git into a
  temporary folder and run from there, on a UTF-8 comma version of the same rows (header
  ``email,name,topics``, written by the csv module), the only kind of file that code read.

That old code did less per line: no encoding or separator detection (a Windows-1252 or UTF-16
file stopped it with a traceback), no check of topics against the feed's vocabulary, no
history (audit) of who was added, no token key per subscriber, and it imported the mail,
HTTP and feed modules at start-up whatever the command.  It did report bad addresses per line.

    python bench/subscribers_import.py                 # 10,000 and 100,000 lines
    python bench/subscribers_import.py --sizes 2000    # a quick look
    python bench/subscribers_import.py --then ""       # without the old code

Goal (issue 7): 100,000 lines "stay fast (about a second today)", "today" being the code of
``--then``: the figure is import / then in the same run, beside import / baseline.  Absolute
times move with the machine's load: compare the ratios, and the load average printed with them.
CPU seconds (user + system of each child) are printed too: on a loaded machine they move less.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import io
import os
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

# The last commit on main before issue 7's first (8070408, "record the message in flight"):
# the import as it was when the issue said "about a second today".
THEN = "fd72315"
REPO = Path(__file__).resolve().parent.parent

TOPICS = ("skola", "Tips", "Planerad ändring;förvaltning", "", "vård och omsorg", "Säkerhet")


def rows(size: int) -> list[tuple[str, str, str]]:
    """``size`` subscribers: address, name (some with a comma, some with a semicolon), topics."""
    return [(f"person{n:06d}@exempelkommun.se",
             f"Åström, Anna {n}" if n % 7 else f"Öberg; Bertil {n}", TOPICS[n % len(TOPICS)])
            for n in range(size)]


def write_excel_file(path: Path, size: int) -> None:
    """``size`` subscriber lines as Swedish Excel writes them (see the module docstring)."""

    def cell(value: str) -> str:
        return f'"{value}"' if ";" in value else value

    lines = ["E-post;Namn;Ämnen"]
    lines += [";".join(cell(v) for v in row) for row in rows(size)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def write_comma_file(path: Path, size: int) -> None:
    """The same rows in UTF-8 with commas and the English header, which the old code read."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(("email", "name", "topics"))
        writer.writerows(rows(size))


def extract(commit: str, into: Path) -> Path:
    """The ``newsletter`` package of ``commit`` in a folder of its own (``python -m newsletter``
    run from there imports it rather than the installed one)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "newsletter"],
                             check=True, capture_output=True).stdout
    folder = into / f"then-{commit}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run_baseline(file: Path, db_path: Path) -> None:
    """Child process: the same rows into SQLite with nothing but csv and executemany."""
    text = file.read_bytes().decode("cp1252")
    rows = csv.reader(text.splitlines()[1:], delimiter=";")
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email TEXT NOT NULL,"
               " email_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, topics TEXT NOT NULL)")
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO subscribers (email, email_key, name, topics) VALUES (?, ?, ?, ?)",
                   ((email, email.lower(), name, topics) for email, name, topics in rows))
    db.execute("COMMIT")
    db.close()


def compile_packages(*folders: Path) -> None:
    """Bytecode for the imported packages, as an installed program has it.

    Without it (``PYTHONDONTWRITEBYTECODE`` is set on this machine) every child compiled our
    modules from source: 0.15 G of the new import's 0.57 G instructions of start-up.
    """
    for folder in folders:
        if not compileall.compile_dir(folder, quiet=1):
            raise SystemExit(f"cannot compile {folder}")


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) and stdout of a child process that must
    succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    assert process.stdout and process.stderr
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed: {err[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, out


def fresh(db: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def bench(size: int, work: Path, repeats: int, then: Path | None) -> dict[str, float]:
    file = work / f"prenumeranter-{size}.csv"
    write_excel_file(file, size)
    comma_file = work / f"subscribers-{size}.csv"
    write_comma_file(comma_file, size)
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "import": [], "again": []}
    if then:
        runs.update({"then": [], "then_again": []})
    for _ in range(repeats):
        db = fresh(work / f"baseline-{size}.db")
        wall, cpu, _ = timed([sys.executable, __file__, "--baseline", str(file), str(db)])
        runs["baseline"].append((wall, cpu))
        db = fresh(work / f"import-{size}.db")
        command = [sys.executable, "-m", "newsletter", "--db", str(db), "subscribers", "import",
                   str(file)]
        wall, cpu, out = timed(command)
        assert out.startswith(f"{size} added, 0 updated, 0 unchanged"), out
        runs["import"].append((wall, cpu))
        wall, cpu, out = timed(command)
        assert out.startswith(f"0 added, 0 updated, {size} unchanged"), out
        runs["again"].append((wall, cpu))
        if then:
            db = fresh(work / f"then-{size}.db")
            command = [sys.executable, "-m", "newsletter", "--db", str(db), "subscribers",
                       "import", str(comma_file)]
            wall, cpu, out = timed(command, cwd=then)
            assert out.startswith(f"{size} added, 0 updated, 0 unchanged"), out
            runs["then"].append((wall, cpu))
            wall, cpu, out = timed(command, cwd=then)
            assert out.startswith(f"0 added, 0 updated, {size} unchanged"), out
            runs["then_again"].append((wall, cpu))
    result: dict[str, float] = {"size": size}
    for name, pairs in runs.items():
        result[name] = statistics.median(wall for wall, _ in pairs)
        result[f"{name}_cpu"] = statistics.median(cpu for _, cpu in pairs)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--then", default=THEN, metavar="COMMIT",
                        help=f"also time the import of this commit (default {THEN}, before"
                        " issue 7); \"\" to leave it out")
    parser.add_argument("--baseline", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        run_baseline(*args.baseline)
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        then = extract(args.then, Path(tmp)) if args.then else None
        compile_packages(REPO / "newsletter", REPO / "swedish", *([then] if then else []))
        if then:
            print(f"then: the import of {args.then} on the same rows as UTF-8 with commas")
        print(f"{'lines':>8} {'baseline s':>11} {'import s':>9} {'ratio':>6} {'again s':>8}"
              f" {'ratio':>6}   CPU s: {'baseline':>8} {'import':>7} {'ratio':>6} {'again':>6}"
              f" {'ratio':>6}")
        results = []
        for size in args.sizes:
            row = bench(size, Path(tmp), args.repeats, then)
            results.append(row)
            print(f"{size:>8,} {row['baseline']:>11.2f} {row['import']:>9.2f}"
                  f" {row['import'] / row['baseline']:>6.2f} {row['again']:>8.2f}"
                  f" {row['again'] / row['baseline']:>6.2f}          "
                  f"{row['baseline_cpu']:>8.2f} {row['import_cpu']:>7.2f}"
                  f" {row['import_cpu'] / row['baseline_cpu']:>6.2f} {row['again_cpu']:>6.2f}"
                  f" {row['again_cpu'] / row['baseline_cpu']:>6.2f}", flush=True)
        if then:
            print(f"\n{'lines':>8} {'then s':>7} {'import/then':>11} {'import/baseline':>15}"
                  f" {'then again s':>12} {'again/then again':>16}"
                  f"   CPU s: {'then':>5} {'import/then':>11} {'then again':>10}")
            for row in results:
                print(f"{row['size']:>8,} {row['then']:>7.2f} {row['import'] / row['then']:>11.2f}"
                      f" {row['import'] / row['baseline']:>15.2f} {row['then_again']:>12.2f}"
                      f" {row['again'] / row['then_again']:>16.2f}          "
                      f"{row['then_cpu']:>5.2f} {row['import_cpu'] / row['then_cpu']:>11.2f}"
                      f" {row['then_again_cpu']:>10.2f}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
