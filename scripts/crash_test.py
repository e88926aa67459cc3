#!/usr/bin/env python3
"""Crash test (issue 15, item 2): concurrent clients submit through the JSON API with an
Idempotency-Key while the service is killed with SIGKILL and restarted, again and again.

Afterwards, against a freshly started service:
  * every acknowledged submission (201/200) is read back, with the token it was acknowledged with;
  * every key, retried after the crashes, yields exactly one stored response (no duplicates):
    the number of stored responses equals the number of keys;
  * the stored cohort statistics equal a recount from the stored responses (the number of firms
    in every cohort cell: all firms, industry, size, industry x size, region).

Usage: scripts/crash_test.py --binary target/debug/social-readiness --database-url URL
       [--rounds 8] [--clients 8] [--round-seconds 1.5]
The database must be empty (a fresh SQLite path or a fresh PostgreSQL database). Needs python3;
for PostgreSQL also psql. Prints its figures; exits non-zero on any violation.
"""
import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import service


def start(binary, database_url):
    # The per-client limits (issue 16) would answer 429 to a load from one address; this test
    # is about durability, so it raises them (service.LOAD_LIMITS).
    return service.start(binary, database_url, service.LOAD_LIMITS)


def request(method, url, body=None, headers=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except (OSError, ValueError):
        return None, None  # connection refused or reset: the process is gone


def body_for(questionnaire, rng):
    profile = {p["id"]: rng.choice(p["options"])["id"] for p in questionnaire["profile"]}
    # Few cohorts, so cells reach the disclosure threshold.
    profile["industry"] = rng.choice(["C", "G"])
    profile["size"] = rng.choice(["micro", "small"])
    profile["region"] = rng.choice(["DE-BY", "DE-NW"])
    # Active firms only: they may not choose a question's "not active yet" option (422).
    profile["social_media"] = "yes"
    answers = {}
    for d in questionnaire["dimensions"]:
        for q in d["questions"]:
            option = rng.choice([o for o in q["options"] if not o.get("not_active")])["id"]
            answers[q["id"]] = [option] if q["kind"] == "multi" else option
    return {"lang": "de", "profile": profile, "answers": answers}


class Ledger:
    """Keys with their bodies; the token once a key was acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bodies = {}
        self.acked = {}
        self.replies = {"acked": 0, "failed": 0, "5xx": 0, "4xx": 0}

    def pending(self):
        with self.lock:
            return [k for k in self.bodies if k not in self.acked]


def client(url, ledger, questionnaire, stop, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        pending = ledger.pending()
        if pending and rng.random() < 0.3:
            key = rng.choice(pending)  # a retry of a key whose answer was lost
        else:
            key = str(uuid.uuid4())
            with ledger.lock:
                ledger.bodies[key] = body_for(questionnaire, rng)
        status, reply = request("POST", f"{url}/api/v1/responses", ledger.bodies[key],
                                auth({"Idempotency-Key": key}))
        with ledger.lock:
            if status in (200, 201):
                token = reply["token"]
                earlier = ledger.acked.setdefault(key, token)
                if earlier != token:
                    sys.exit(f"key {key} acknowledged with two tokens")
                ledger.replies["acked"] += 1
            elif status is None:
                ledger.replies["failed"] += 1
            elif status >= 500:
                ledger.replies["5xx"] += 1
            else:
                ledger.replies["4xx"] += 1
                print(f"unexpected {status} for a valid body", file=sys.stderr)


API_KEY = {}


def auth(headers):
    """Submissions carry an API key, so that they count in the statistics (keyless ones are
    held back, issue 16) and the recount below checks real cells."""
    return dict(headers, Authorization=f"Bearer {API_KEY['key']}")


def issue_key(binary, database_url):
    API_KEY["key"] = service.issue_api_key(binary, database_url, "crash test", "1000000/second")


def query(database_url, sql):
    if database_url.startswith("sqlite:"):
        path = database_url.split("://", 1)[-1].split("?", 1)[0]
        with sqlite3.connect(path) as conn:
            return conn.execute(sql).fetchall()
    out = subprocess.run(["psql", "-At", "-F", "\t", database_url, "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def live_overall(cell):
    """`live.n` and `live.overall.scores` of a stored cell (benchmark::codec): the JSON form
    (first byte `{`) or format 1, whose first fields are exactly these (see src/benchmark/codec.rs)."""
    if isinstance(cell, str):  # psql prints bytea as hex after a backslash-x
        cell = bytes.fromhex(cell[2:]) if cell.startswith("\\x") else cell.encode()
    cell = bytes(cell)
    if cell[:1] == b"{":
        live = json.loads(cell).get("live", {})
        return live.get("n"), {int(s): int(c) for s, c in live.get("overall", {}).get("scores", [])}
    if cell[:1] != b"\x01":
        return None, {}
    at = 2  # format byte, dimension count

    def varint():
        nonlocal at
        value, shift = 0, 0
        while True:
            b = cell[at]
            at += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value

    n = varint()
    scores = {}
    for _ in range(varint()):
        score = cell[at]
        at += 1
        scores[score] = varint()
    return n, scores


def recount_matches(database_url):
    """Per cohort, the number of firms and the histogram of overall scores, recounted from the
    stored responses, against the stored cells (`live.n`, `live.overall.scores`)."""
    rows = query(database_url, "SELECT industry, size_class, region, overall_score FROM responses "
                               "WHERE in_statistics = 1 AND is_demo = 0")
    expected = {}
    for industry, size, region, score in rows:
        for key in ("all", f"industry:{industry}", f"size:{size}",
                    f"industry_size:{industry}:{size}", f"region:{region}"):
            histogram = expected.setdefault(key, {})
            histogram[int(score)] = histogram.get(int(score), 0) + 1
    mismatches, cells = [], 0
    for scope, key, cell, cell_json in query(
            database_url, "SELECT scope, cohort_key, cell, cell_json FROM cohort_cells"):
        # A cell not changed since the migration to the binary form is still in `cell_json`.
        n, stored = live_overall(cell if cell else cell_json)
        want = expected.get(key, {})
        cells += 1
        if n != sum(want.values()) or stored != want:
            mismatches.append((scope, key, n, sum(want.values())))
    if cells < len(expected):
        mismatches.append(("real", "cells missing", cells, len(expected)))
    # Changes journaled by submits (issue 17) are merged before a submit is answered, and at
    # start-up; none may wait, and none may have been refused.
    waiting = int(query(database_url, "SELECT COUNT(*) FROM cohort_journal")[0][0])
    if waiting:
        mismatches.append(("journal", "entries not merged", waiting, 0))
    return len(rows), cells, mismatches


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--binary", required=True)
    args.add_argument("--database-url", required=True)
    args.add_argument("--rounds", type=int, default=8)
    args.add_argument("--clients", type=int, default=8)
    args.add_argument("--round-seconds", type=float, default=1.5)
    args.add_argument("--seed", type=int, default=1)
    a = args.parse_args()
    rng = random.Random(a.seed)
    ledger = Ledger()
    questionnaire = None
    began = time.time()
    issue_key(a.binary, a.database_url)
    for round_ in range(a.rounds):
        proc, url = start(a.binary, a.database_url)
        if questionnaire is None:
            questionnaire = request("GET", f"{url}/api/v1/questionnaire")[1]
        stop = threading.Event()
        threads = [threading.Thread(target=client, daemon=True,
                                    args=(url, ledger, questionnaire, stop, rng.random()))
                   for _ in range(a.clients)]
        for t in threads:
            t.start()
        time.sleep(a.round_seconds * (0.5 + rng.random()))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()

    # Check: a fresh start; every unacknowledged key is retried until acknowledged.
    proc, url = start(a.binary, a.database_url)
    try:
        for key in ledger.pending():
            status, reply = request("POST", f"{url}/api/v1/responses", ledger.bodies[key],
                                    auth({"Idempotency-Key": key}))
            if status not in (200, 201):
                sys.exit(f"retry of {key} after the crashes: {status}")
            ledger.acked[key] = reply["token"]
        lost = []
        for key, token in ledger.acked.items():
            status, reply = request("GET", f"{url}/api/v1/responses/{token}")
            if status != 200 or reply.get("status") != "submitted":
                lost.append((key, token, status))
            replay_status, replay = request("POST", f"{url}/api/v1/responses",
                                            ledger.bodies[key], auth({"Idempotency-Key": key}))
            if replay_status not in (200, 201) or replay["token"] != token:
                lost.append((key, token, f"replay {replay_status}"))
        stored = int(query(a.database_url, "SELECT COUNT(*) FROM responses")[0][0])
        counted, cells, mismatches = recount_matches(a.database_url)
    finally:
        proc.kill()
        proc.wait()
    print(json.dumps({
        "rounds_killed": a.rounds, "clients": a.clients, "keys": len(ledger.bodies),
        "acknowledged_during_crashes": ledger.replies["acked"],
        "connection_failures": ledger.replies["failed"], "5xx": ledger.replies["5xx"],
        "4xx": ledger.replies["4xx"], "stored_responses": stored, "counted": counted,
        "cells_checked": cells, "lost_or_changed": len(lost), "statistics_mismatches": len(mismatches),
        "seconds": round(time.time() - began, 1),
    }))
    ok = not lost and not mismatches and stored == len(ledger.bodies) and ledger.replies["4xx"] == 0
    for item in lost[:5]:
        print("lost:", item, file=sys.stderr)
    for item in mismatches[:5]:
        print("statistics differ (scope, cohort, stored, recount):", item, file=sys.stderr)
    if stored != len(ledger.bodies):
        print(f"{stored} stored responses for {len(ledger.bodies)} keys", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
