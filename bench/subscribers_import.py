"""Benchmark of ``newsletter subscribers import`` against plain sqlite3 (a script, not a test).

For each size, a subscriber file is written as Swedish Excel saves "CSV (semikolonavgränsad)":
Windows-1252, semicolons, CRLF, a cell with a semicolon in quotes, the header
``E-post;Namn;Ämnen``.  Three child processes are timed from start to exit (what an operator
waits for), each the median of ``--repeats`` runs:

- baseline: reads the same file with the csv module and inserts the same rows (address,
  address in lower case, name, topics) into a table with a unique address with one sqlite3
  ``executemany`` in one transaction, in a WAL database like ours: the least any import does;
- import: ``newsletter subscribers import FILE`` into a new database (every line added, each
  with its audit line and token key);
- again: the same command on the same file once more (every line unchanged).

    python bench/subscribers_import.py                 # 10,000 and 100,000 lines
    python bench/subscribers_import.py --sizes 2000    # a quick look

Goal (issue 7): 100,000 lines "stay fast (about a second)".  Absolute times move with the
machine's load: compare the ratios to the baseline, and the load average printed with them.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOPICS = ("skola", "Tips", "Planerad ändring;förvaltning", "", "vård och omsorg", "Säkerhet")


def write_excel_file(path: Path, size: int) -> None:
    """``size`` subscriber lines as Swedish Excel writes them (see the module docstring)."""

    def cell(value: str) -> str:
        return f'"{value}"' if ";" in value else value

    lines = ["E-post;Namn;Ämnen"]
    for n in range(size):
        name = f"Åström, Anna {n}" if n % 7 else f"Öberg; Bertil {n}"
        lines.append(";".join(cell(v) for v in (
            f"person{n:06d}@exempelkommun.se", name, TOPICS[n % len(TOPICS)])))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


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


def timed(command: list[str]) -> tuple[float, str]:
    """Wall seconds and stdout of a child process that must succeed."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.stdout


def fresh(db: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def bench(size: int, work: Path, repeats: int) -> dict[str, float]:
    file = work / f"prenumeranter-{size}.csv"
    write_excel_file(file, size)
    baseline, first, again = [], [], []
    for _ in range(repeats):
        db = fresh(work / f"baseline-{size}.db")
        baseline.append(timed([sys.executable, __file__, "--baseline", str(file), str(db)])[0])
        db = fresh(work / f"import-{size}.db")
        command = [sys.executable, "-m", "newsletter", "--db", str(db), "subscribers", "import",
                   str(file)]
        seconds, out = timed(command)
        assert out.startswith(f"{size} added, 0 updated, 0 unchanged"), out
        first.append(seconds)
        seconds, out = timed(command)
        assert out.startswith(f"0 added, 0 updated, {size} unchanged"), out
        again.append(seconds)
    return {"size": size, "baseline": statistics.median(baseline),
            "import": statistics.median(first), "again": statistics.median(again)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        run_baseline(*args.baseline)
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'lines':>8} {'baseline s':>11} {'import s':>9} {'ratio':>6} {'again s':>8}"
          f" {'ratio':>6}")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        for size in args.sizes:
            row = bench(size, Path(tmp), args.repeats)
            print(f"{size:>8,} {row['baseline']:>11.2f} {row['import']:>9.2f}"
                  f" {row['import'] / row['baseline']:>6.2f} {row['again']:>8.2f}"
                  f" {row['again'] / row['baseline']:>6.2f}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
