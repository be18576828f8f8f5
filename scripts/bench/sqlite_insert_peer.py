#!/usr/bin/env python3
"""The import benchmark's peer: the same register file read with Python's csv module and
inserted into a fresh SQLite table of the same columns (unique reference, the same
indexes) with executemany in one transaction, as a plain script would. No deadline, no
due date, no check: a floor for what an import costs on SQLite.

Usage: sqlite_insert_peer.py FILE.csv  (prints the seconds taken)
"""
import csv
import os
import sqlite3
import sys
import tempfile
import time

def main() -> None:
    path = sys.argv[1]
    start = time.perf_counter()
    fd, db = tempfile.mkstemp(suffix=".db")
    os.close(fd)
    try:
        con = sqlite3.connect(db, isolation_level=None)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        con.execute(
            "CREATE TABLE correspondence (id INTEGER PRIMARY KEY, prefecture_id INTEGER NOT NULL, "
            "reference TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL, site TEXT NOT NULL, "
            "service TEXT, received_at TEXT NOT NULL, answered_on TEXT, answer TEXT, "
            "in_scope INTEGER NOT NULL, subject TEXT NOT NULL, requester_name TEXT NOT NULL, "
            "requester_email TEXT NOT NULL, UNIQUE (prefecture_id, reference))"
        )
        con.execute("CREATE INDEX received ON correspondence (prefecture_id, received_at)")
        with open(path, encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter=";")
            next(rows)
            con.execute("BEGIN IMMEDIATE")
            con.executemany(
                "INSERT INTO correspondence (prefecture_id, reference, channel, kind, site, service, "
                "received_at, answered_on, answer, in_scope, subject, requester_name, requester_email) "
                "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                ([r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8] == "oui", r[9], r[10], r[11]]
                 for r in rows),
            )
            con.execute("COMMIT")
        con.close()
    finally:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(db + suffix)
            except FileNotFoundError:
                pass
    print(f"{time.perf_counter() - start:.3f}")

if __name__ == "__main__":
    main()
