#!/usr/bin/env python3
"""Benchmark poisoning check (issue 16, item 6): how far can scripts move a cohort's median?

Starts the service on a fresh SQLite database with the production defaults for every limit and
screening threshold (only TRUSTED_PROXIES=127.0.0.1, so that the attacking clients can be told
apart by X-Forwarded-For), then
  1. an honest cohort (industry C, size small): firms with varied answers, through the API with
     an API key, spread over time as real firms would be (their start times are not checked by
     the API; only the burst check applies);
  2. one attacking client for --seconds (60): as fast as it can, the weakest answers through the
     API without a key and through the forms (start, every page, submit);
  3. 20 attacking clients at once for --seconds, each with its own address.
Before and after each phase it prints the cohort's median: the live median of the responses
that count (from the database) and the published one (GET /api/v1/benchmarks), plus what the
attackers got: accepted (stored, with a result), counted, held back, refused with 429.

Usage: scripts/poison.py [--binary target/debug/social-readiness] [--honest 40] [--seconds 60]
Not part of .ci/run (it takes a few minutes). Needs python3 only.
"""
import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import service

INDUSTRY, SIZE = "C", "small"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(method, url, body=None, headers=None, form=None):
    """(status, parsed JSON or None, Location header)."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with OPENER.open(req, timeout=30) as r:
            raw = r.read()
            parsed = json.loads(raw) if r.headers.get_content_type() == "application/json" else None
            return r.status, parsed, r.headers.get("Location")
    except urllib.error.HTTPError as e:
        return e.code, None, e.headers.get("Location")


def start_service(binary, database_url):
    return service.start(binary, database_url, service.PRODUCTION_LIMITS)


def issue_key(binary, database_url):
    return service.issue_api_key(binary, database_url, "honest firms' integration", "100000/hour")


def profile_answers(questionnaire):
    fixed = {"industry": INDUSTRY, "size": SIZE, "region": "DE-BY"}
    return {q["id"]: fixed.get(q["id"], q["options"][0]["id"]) for q in questionnaire["profile"]}


def answers(questionnaire, rng, weakest):
    """Per question: the first option (the weakest in this catalogue) or a random one."""
    out = {}
    for d in questionnaire["dimensions"]:
        for q in d["questions"]:
            ids = [o["id"] for o in q["options"] if not o.get("not_active")]
            choice = ids[0] if weakest else rng.choice(ids)
            out[q["id"]] = [choice] if q["kind"] == "multi" else choice
    return out


def live_median(db_path):
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT overall_score FROM responses WHERE in_statistics = 1 AND industry = ? "
            "AND size_class = ?", (INDUSTRY, SIZE)).fetchall()
    scores = sorted(r[0] for r in rows)
    return (statistics.median_low(scores) if scores else None), len(scores)


def held_back(db_path):
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM responses WHERE held_back = 1").fetchone()[0]


def published(url):
    _, body, _ = call("GET", f"{url}/api/v1/benchmarks?industry={INDUSTRY}&size={SIZE}")
    if not body or body.get("status") != "published":
        return None, 0
    return body["statistics"]["overall"]["median"], body["statistics"]["n"]


def snapshot(label, url, db_path):
    live, n = live_median(db_path)
    pub, pub_n = published(url)
    row = {"after": label, "live_median": live, "live_n": n, "published_median": pub,
           "published_n": pub_n, "held_back": held_back(db_path)}
    print(json.dumps(row))
    return row


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, name):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1


def attacker(url, questionnaire, address, stop, tally):
    """One client: alternately a keyless API submission and a whole survey through the forms,
    always the weakest answers, as fast as the service answers."""
    rng = random.Random(address)
    headers = {"X-Forwarded-For": address}
    profile = profile_answers(questionnaire)
    weakest = answers(questionnaire, rng, weakest=True)
    while not stop.is_set():
        status, _, _ = call("POST", f"{url}/api/v1/responses",
                            {"lang": "de", "profile": profile, "answers": weakest}, headers)
        tally.add(f"api {status}")
        if stop.is_set():
            break
        status, _, location = call("POST", f"{url}/start?lang=de", headers=headers,
                                   form={"consent": "yes"})
        tally.add(f"start {status}")
        if status != 303 or not location:
            continue
        token_path = location.split("/step/")[0]
        ok = True
        for step in range(1, len(questionnaire["dimensions"]) + 2):
            if step == 1:
                fields = list(profile.items())
            else:
                d = questionnaire["dimensions"][step - 2]
                fields = []
                for q in d["questions"]:
                    value = weakest.get(q["id"])
                    if value is None:  # the importance question
                        value = q["options"][0]["id"]
                    for v in (value if isinstance(value, list) else [value]):
                        fields.append((q["id"], v))
            fields.append(("nav", "next"))
            status, _, _ = call("POST", f"{url}{token_path}/step/{step}?lang=de", headers=headers,
                                form=fields)
            if status != 303:
                tally.add(f"form page {status}")
                ok = False
                break
        if ok:
            status, _, _ = call("POST", f"{url}{token_path}/submit?lang=de", headers=headers,
                                form={})
            tally.add(f"form submit {status}")


def attack(url, questionnaire, clients, seconds):
    stop, tally = threading.Event(), Tally()
    threads = [threading.Thread(target=attacker, daemon=True,
                                args=(url, questionnaire, f"198.51.100.{i + 1}", stop, tally))
               for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return dict(sorted(tally.counts.items()))


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--binary", default="target/debug/social-readiness")
    args.add_argument("--honest", type=int, default=40)
    args.add_argument("--seconds", type=float, default=60)
    args.add_argument("--seed", type=int, default=16)
    a = args.parse_args()
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = os.path.join(tmp, "poison.db")
        database_url = f"sqlite://{db_path}"
        subprocess.run([a.binary, "migrate"], env=dict(os.environ, DATABASE_URL=database_url,
                                                        RUST_LOG="error"),
                       check=True, capture_output=True)
        key = issue_key(a.binary, database_url)
        proc, url = start_service(a.binary, database_url)
        try:
            _, questionnaire, _ = call("GET", f"{url}/api/v1/questionnaire")
            profile = profile_answers(questionnaire)
            for i in range(a.honest):
                status, _, _ = call("POST", f"{url}/api/v1/responses",
                                    {"lang": "de", "profile": profile,
                                     "answers": answers(questionnaire, rng, weakest=False)},
                                    {"Authorization": f"Bearer {key}",
                                     "X-Forwarded-For": f"192.0.2.{i % 250 + 1}"})
                if status != 201:
                    sys.exit(f"honest firm {i}: {status}")
            before = snapshot("honest cohort", url, db_path)
            one = attack(url, questionnaire, 1, a.seconds)
            print(json.dumps({"one_client_requests": one}))
            after_one = snapshot(f"1 client, {a.seconds:.0f} s", url, db_path)
            twenty = attack(url, questionnaire, 20, a.seconds)
            print(json.dumps({"twenty_clients_requests": twenty}))
            after_twenty = snapshot(f"20 clients, {a.seconds:.0f} s", url, db_path)
        finally:
            proc.kill()
            proc.wait()
    moved_one = (after_one["live_median"] or 0) - (before["live_median"] or 0)
    moved_twenty = (after_twenty["live_median"] or 0) - (before["live_median"] or 0)
    print(f"cohort median {before['live_median']} -> {after_one['live_median']} after one client "
          f"({moved_one:+}), -> {after_twenty['live_median']} after 20 clients ({moved_twenty:+}); "
          f"{after_twenty['held_back']} attacking responses held back")


if __name__ == "__main__":
    main()
