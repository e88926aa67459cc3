#!/usr/bin/env python3
"""What one API submission costs the server (issue 17): SQL statements, CPU time and context
switches per complete `POST /api/v1/responses`, measured on a fixed number of submissions, so
that the figure does not depend on how busy the (shared) machine is.

Two runs per setting, each on a fresh database: after a warm-up, `--submits` keyed submissions
go in from `--clients` parallel clients. The first run measures the server's CPU time and
context switches (logs off); the second turns on sqlx's statement log
(`RUST_LOG=sqlx::query=debug`, JSON lines, which costs CPU itself) and counts the statements
logged meanwhile by kind (their first words). Transaction control that
sqlx runs without logging (BEGIN, SAVEPOINT, RELEASE, COMMIT) is not in the count: on SQLite
a submit with an Idempotency-Key is a savepoint in a group-commit batch (two more statements);
one without is queued and run with the other queued ones as one command, which the log shows
once (`INSERT INTO responses` 0.25 per submit: four submits per command); BEGIN and COMMIT per
batch. On PostgreSQL BEGIN and COMMIT per submit.
CPU (user + system) and context switches are the server process's own, from /proc.

    cargo build --release --locked
    python3 scripts/submit_cost.py --binary target/release/social-readiness \\
        [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--submits 2000] [--clients 8]
"""
import argparse
import collections
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import service
from load_test import api_bodies, cpu_seconds, postgres_database, questionnaire
from service import loadavg

SPACES = re.compile(r"\s+")


def start_logging(binary, database_url, log_path, statements):
    """The service with its log going to `log_path` (the statements too if `statements`);
    returns (process, base URL)."""
    env = dict(os.environ, PORT="0", DATABASE_URL=database_url, LOG_FORMAT="json",
               RUST_LOG="error,sqlx::query=debug" if statements else "error",
               **service.LOAD_LIMITS)
    log = open(log_path, "w")
    proc = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        with open(log_path) as f:
            found = re.search(r"http://[0-9.:]+", f.read())
        if found:
            return proc, found.group(0)
        time.sleep(0.1)
    proc.kill()
    sys.exit("the service did not start")


def ctx_switches(pid):
    """Voluntary and involuntary context switches of all the process's threads."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def submit_all(url, key, bodies, count, clients):
    host = urllib.parse.urlparse(url)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    failures = []
    next_index = iter(range(count))
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            conn.request("POST", "/api/v1/responses", bodies[i % len(bodies)], headers)
            reply = conn.getresponse()
            reply.read()
            if reply.status != 201:
                failures.append(reply.status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def statement_kinds(log_path, skip_lines):
    kinds = collections.Counter()
    with open(log_path) as f:
        for n, line in enumerate(f):
            if n < skip_lines or not line.startswith("{"):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            fields = event.get("fields", {})
            if "summary" not in fields:  # not sqlx's statement log
                continue
            text = (fields.get("db.statement") or "").strip() or fields["summary"]
            words = SPACES.sub(" ", text).strip().split(" ")
            kind = " ".join(words[:3])
            kinds[kind[:60]] += 1
    return kinds


def line_count(path):
    with open(path) as f:
        return sum(1 for _ in f)


def measure(binary, database_url, submits, clients, warmup, statements):
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "server.log")
        key = service.issue_api_key(binary, database_url, "submit cost", "1000000/second")
        proc, url = start_logging(binary, database_url, log_path, statements)
        try:
            bodies = api_bodies(questionnaire(url), 400, random.Random(17))
            if submit_all(url, key, bodies, warmup, clients):
                sys.exit("the warm-up failed")
            time.sleep(0.5)
            skip = line_count(log_path)
            load_before = loadavg()
            cpu0, ctx0, t0 = cpu_seconds(proc.pid), ctx_switches(proc.pid), time.monotonic()
            failures = submit_all(url, key, bodies, submits, clients)
            cpu1, ctx1, t1 = cpu_seconds(proc.pid), ctx_switches(proc.pid), time.monotonic()
            time.sleep(0.5)
            kinds = statement_kinds(log_path, skip)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    if statements:
        return {
            "statements_per_submit": round(sum(kinds.values()) / submits, 2),
            "by_kind_per_submit": {k: round(n / submits, 3) for k, n in kinds.most_common()},
            "failures_while_logging": len(failures),
        }
    return {
        "submits": submits, "clients": clients, "failures": len(failures),
        "seconds": round(t1 - t0, 2), "per_s": round(submits / (t1 - t0)),
        "cpu_ms_per_submit": round((cpu1 - cpu0) * 1000 / submits, 3),
        "ctx_switches_per_submit": round((ctx1 - ctx0) / submits, 1),
        "load_before": load_before, "load_after": loadavg(),
    }


def measure_both(binary, url_for, submits, clients, warmup):
    """The cost run and the statement-counting run, each on a fresh database from `url_for`."""
    row = {}
    for statements in (False, True):
        with url_for() as url:
            row.update(measure(binary, url, submits, clients, warmup, statements))
    return row


class SqliteUrl:
    def __enter__(self):
        self.tmp = tempfile.TemporaryDirectory()
        return f"sqlite://{self.tmp.name}/cost.db"

    def __exit__(self, *exc):
        self.tmp.cleanup()


class PostgresUrl:
    def __init__(self, admin_url):
        self.admin_url = admin_url

    def __enter__(self):
        self.name, url = postgres_database(self.admin_url)
        return url

    def __exit__(self, *exc):
        subprocess.run(["psql", "-q", self.admin_url, "-c",
                        f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/social-readiness")
    ap.add_argument("--postgres", help="admin URL: also measure on a fresh PostgreSQL database")
    ap.add_argument("--submits", type=int, default=2000)
    ap.add_argument("--clients", default="1,8", help="parallel clients, one run each")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--databases", default="sqlite,postgres")
    args = ap.parse_args()
    for clients in (int(c) for c in args.clients.split(",")):
        for db in args.databases.split(","):
            if db == "postgres" and not args.postgres:
                continue
            url_for = SqliteUrl if db == "sqlite" else (lambda: PostgresUrl(args.postgres))
            row = measure_both(args.binary, url_for, args.submits, clients, args.warmup)
            print(json.dumps(dict(db=db, **row)), flush=True)


if __name__ == "__main__":
    main()
