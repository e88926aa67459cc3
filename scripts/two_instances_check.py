#!/usr/bin/env python3
"""Two app instances on one PostgreSQL database (issue 17, task pgtwo): a submit is answered
only once its statistics change is committed, by whichever instance merged it.

16 clients post complete responses through the JSON API to both instances (every fourth with an
Idempotency-Key). Meanwhile a monitor, over one psql session, reads the number A of submits
answered so far and then each scope's `all` cell: its count must never be below A. At the end the
cells are recounted from the stored responses (crash_test.recount_matches).
A release of submits before their change committed shows as violations (tried: a build that
released waiting submits at the round's read whatever it found gave 64 in 65,000 reads).

Usage: scripts/two_instances_check.py BINARY DATABASE_URL SECONDS
The PostgreSQL database must be empty. Exits non-zero on any violation or failed request.
"""
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_test as ct

binary, url_db, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
ct.issue_key(binary, url_db)
procs = [ct.start(binary, url_db) for _ in range(2)]
urls = [u for _, u in procs]
q = ct.request("GET", f"{urls[0]}/api/v1/questionnaire")[1]
acked = [0]; lock = threading.Lock(); stop = threading.Event(); errors = []
def client(i):
    rng = random.Random(i)
    while not stop.is_set():
        s, r = ct.request("POST", f"{urls[i % 2]}/api/v1/responses", ct.body_for(q, rng),
                          ct.auth({"Idempotency-Key": f"k{i}-{rng.random()}"} if i % 4 == 0 else {}))
        if s in (200, 201):
            with lock: acked[0] += 1
        else:
            errors.append(s)
threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(16)]
for t in threads: t.start()
psql = subprocess.Popen(["psql", "-At", "-F", "\t", url_db], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True, bufsize=1)
def fast_query(sql):
    psql.stdin.write(sql + ";\nSELECT 'END';\n"); psql.stdin.flush()
    out = []
    while True:
        line = psql.stdout.readline().rstrip("\n")
        if line == "END": return out
        if line: out.append(tuple(line.split("\t")))
checks = violations = 0; end = time.time() + seconds
while time.time() < end:
    with lock: a = acked[0]
    rows = fast_query("SELECT scope, cell, cell_json FROM cohort_cells WHERE cohort_key = 'all'")
    for scope, cell, cj in rows:
        n, _ = ct.live_overall(cell if cell else cj)
        checks += 1
        if n < a:
            violations += 1
            if violations <= 3: print("VIOLATION", scope, n, "<", a)
    if not rows and a: violations += 1; print("VIOLATION no cell", a)
stop.set()
for t in threads: t.join()
counted, cells, mism = ct.recount_matches(url_db)
for p, _ in procs: p.kill(); p.wait()
print(json.dumps({"acked": acked[0], "errors": len(errors), "checks": checks, "violations": violations,
                  "counted": counted, "cells": cells, "mismatches": len(mism)}))
sys.exit(1 if violations or mism or errors else 0)
