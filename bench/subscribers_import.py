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
CPU seconds (user + system of each child) are printed too: on a loaded machine they move less.
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


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) and stdout of a child process that must
    succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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


def bench(size: int, work: Path, repeats: int) -> dict[str, float]:
    file = work / f"prenumeranter-{size}.csv"
    write_excel_file(file, size)
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "import": [], "again": []}
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
    result: dict[str, float] = {"size": size}
    for name, pairs in runs.items():
        result[name] = statistics.median(wall for wall, _ in pairs)
        result[f"{name}_cpu"] = statistics.median(cpu for _, cpu in pairs)
    return result


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
          f" {'ratio':>6}   CPU s: {'baseline':>8} {'import':>7} {'ratio':>6} {'again':>6}"
          f" {'ratio':>6}")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        for size in args.sizes:
            row = bench(size, Path(tmp), args.repeats)
            print(f"{size:>8,} {row['baseline']:>11.2f} {row['import']:>9.2f}"
                  f" {row['import'] / row['baseline']:>6.2f} {row['again']:>8.2f}"
                  f" {row['again'] / row['baseline']:>6.2f}          "
                  f"{row['baseline_cpu']:>8.2f} {row['import_cpu']:>7.2f}"
                  f" {row['import_cpu'] / row['baseline_cpu']:>6.2f} {row['again_cpu']:>6.2f}"
                  f" {row['again_cpu'] / row['baseline_cpu']:>6.2f}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
