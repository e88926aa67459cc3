#!/usr/bin/env python3
"""Dashboard bench (issue 17, item 4): what a chamber's dashboard request costs at 500, 5,000
and 50,000 campaign participants, over HTTP against the real release server.

For each size: a fresh SQLite database, a chamber account (`user add`), a campaign made through
the web form, its participants loaded with `seed-demo --campaign ID` (spread over the campaign's
six months); then the service is started and asked for the dashboard page, its CSV and its PDF,
each for the whole campaign and for one industry: the first request (the campaign's publication
is built and the dashboard computed) and then `--repeat` more (p50, p99). Then `--join` firms
answer through the campaign's public link on the running service (enough to move the
publication), and `--settle` seconds later the page, CSV, PDF and one industry are measured
again: the first view after a publication change. Reported with the server's RSS (now and
peak) and the machine's load average.

    cargo build --release --locked
    python3 scripts/dashboard_bench.py --binary target/release/social-readiness

Options: --sizes 500,5000,50000  --repeat 20  --seed-binary BIN (the binary that seeds; by
default --binary; lets an older server be measured on data seeded by a newer one)
--start-settle S (seconds between a start and the first view: the service makes the
dashboards of chambers that looked before ready at start, and a view arriving earlier waits
for that work; 0, the default, measures that wait). The very first view publishes the seeded
campaign for the first time (nobody looked before); since task first17 the start also makes
that first view ready without publishing (the seeded chamber never looked), so with
`--start-settle 10` the first rows measure what a chamber sees when the service had been running
while its firms answered, and with 0 the wait for that work. The last rows are the first views
after a restart of the service on the same data (`--restart`, on by default).
--seeded DIR keeps each size's freshly seeded database in DIR (before any service has seen
it) and copies it for later runs instead of seeding again (seeding 50,000 takes minutes; an
A/B of two binaries then measures both on the same data).
"""
import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import service
from service import loadavg, rss_mb

EMAIL = "bench-chamber@example.org"
PASSWORD = "bench-password-1234567"
LIMITS = {
    "RATE_LIMIT_API_RESPONSES": "1000000/second",
    "RATE_LIMIT_STARTS": "1000000/second",
    "RATE_LIMIT_FORM_POSTS": "1000000/second",
    # The firms that join through the campaign link during the run answer at script speed.
    "SCREEN_MIN_SECONDS_PER_QUESTION": "0",
    "SCREEN_BURST_SIZE": "0",
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def env_for(database_url):
    return dict(os.environ, PORT="0", DATABASE_URL=database_url, RUST_LOG="error", **LIMITS)


def start(binary, database_url):
    return service.start(binary, database_url, LIMITS)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # still computing a request: no need to wait for it
        proc.kill()
        proc.wait()


class Browser:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect)

    def get(self, path):
        try:
            with self.opener.open(self.base + path, timeout=900) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": self.base})
        try:
            with self.opener.open(req, timeout=900) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def csrf(self, path):
        status, _, body = self.get(path)
        m = re.search(rb'name="csrf_token"\s+value="([^"]+)"', body)
        if not m:
            sys.exit(f"no CSRF token on {path} ({status})")
        return m.group(1).decode()


def prepare(binary, seed_binary, database_url, firms):
    """A chamber with one campaign of `firms` seeded participants; returns the campaign id."""
    add = subprocess.run([binary, "user", "add", "--role", "chamber", "--email", EMAIL,
                          "--password-stdin"], input=PASSWORD + "\n", text=True,
                         env=env_for(database_url), capture_output=True)
    if add.returncode != 0:
        sys.exit(f"user add failed: {add.stderr}")
    proc, base = start(binary, database_url)
    try:
        b = Browser(base)
        token = b.csrf("/login")
        status, _, _ = b.post("/login", {"email": EMAIL, "password": PASSWORD,
                                         "csrf_token": token})
        if status != 303:
            sys.exit(f"login answered {status}")
        token = b.csrf("/chamber")
        status, headers, body = b.post("/chamber/campaigns", {
            "name": "Digitalwoche", "from": "2026-06", "to": "2026-11", "region": "",
            "csrf_token": token})
        m = re.search(r"/chamber/campaigns/(\d+)", headers.get("Location") or "")
        if status != 303 or not m:
            sys.exit(f"creating the campaign answered {status}: {body[:300]!r}")
        campaign = int(m.group(1))
    finally:
        stop(proc)
    started = time.monotonic()
    seed = subprocess.run([seed_binary, "seed-demo", "--firms", str(firms), "--campaign",
                           str(campaign)], env=env_for(database_url), capture_output=True,
                          text=True)
    if seed.returncode != 0:
        sys.exit(f"seed-demo failed: {seed.stderr}")
    return campaign, time.monotonic() - started


def join_through_link(base, code, firms, rng):
    """`firms` firms answer through the campaign's public link, as browsers do (consent to be
    counted, every step, submit), on the running service."""
    with urllib.request.urlopen(f"{base}/api/v1/questionnaire") as r:
        q = json.load(r)
    fixed = {"industry": ["C", "G"], "size": ["micro", "small"], "region": ["DE-NI", "DE-BY"],
             "social_media": ["yes"]}
    pages = [[(p["id"], fixed.get(p["id"], [o["id"] for o in p["options"]]))
              for p in q["profile"]]]
    for d in q["dimensions"]:
        pages.append([(x["id"], [o["id"] for o in x["options"] if not o.get("not_active")])
                      for x in d["questions"]])
    for _ in range(firms):
        b = Browser(base)
        status, headers, _ = b.post(f"/c/{code}?lang=de", {"consent": "yes", "count": "yes"})
        while status == 303:
            path = urllib.parse.urlsplit(headers["Location"]).path
            status, headers, body = b.get(path)
            if status != 200:
                sys.exit(f"{path} answered {status}")
            step = re.search(r"/step/(\d+)$", path)
            if step:
                fields = [(qid, rng.choice(opts)) for qid, opts in pages[int(step.group(1)) - 1]]
                status, headers, body = b.post(path, dict(fields))
            elif path.endswith("/review"):
                status, headers, body = b.post(path[:-len("/review")] + "/submit",
                                               {"submit": "1"})
            elif path.endswith("/result"):
                break
        else:
            sys.exit(f"the form flow answered {status}: {body[:300]!r}")


def measure(b, path, repeat):
    def once():
        t = time.perf_counter()
        status, _, body = b.get(path)
        if status != 200:
            sys.exit(f"{path} answered {status}: {body[:300]!r}")
        return (time.perf_counter() - t) * 1000
    first = once()
    times = sorted(once() for _ in range(repeat))
    p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
    return first, statistics.median(times), p99


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/social-readiness")
    ap.add_argument("--seed-binary")
    ap.add_argument("--sizes", default="500,5000,50000")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--join", type=int, default=10,
                    help="firms that then join through the link on the running service")
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds between the last of those submits and the next view")
    ap.add_argument("--start-settle", type=float, default=0.0,
                    help="seconds between a start of the service and its first view")
    ap.add_argument("--no-restart", dest="restart", action="store_false",
                    help="skip the views after a restart")
    ap.add_argument("--seeded", help="a directory keeping each size's seeded database")
    args = ap.parse_args()
    seed_binary = args.seed_binary or args.binary
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, {os.cpu_count()} cores, "
          f"server {args.binary}, {args.repeat} repeats after the first request, first view "
          f"{args.start_settle:.0f} s after the start")
    print("| participants | view | first ms | p50 ms | p99 ms | RSS MB (peak) | load |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for firms in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite://{tmp}/dash.db"
            kept = args.seeded and os.path.join(args.seeded, f"dash-{firms}")
            if kept and os.path.exists(kept + ".json"):
                with open(kept + ".json") as f:
                    campaign = json.load(f)["campaign"]
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(kept + ".db" + suffix):
                        shutil.copy(kept + ".db" + suffix, f"{tmp}/dash.db{suffix}")
                print(f"<!-- {firms} participants copied from {kept}.db -->", flush=True)
            else:
                campaign, seeded = prepare(args.binary, seed_binary, url, firms)
                print(f"<!-- {firms} participants seeded in {seeded:.1f} s -->", flush=True)
                if kept:
                    os.makedirs(args.seeded, exist_ok=True)
                    for suffix in ("", "-wal", "-shm"):
                        if os.path.exists(f"{tmp}/dash.db{suffix}"):
                            shutil.copy(f"{tmp}/dash.db{suffix}", kept + ".db" + suffix)
                    with open(kept + ".json", "w") as f:
                        json.dump({"campaign": campaign}, f)
            proc, base = start(args.binary, url)
            try:
                time.sleep(args.start_settle)
                b = Browser(base)
                token = b.csrf("/login")
                b.post("/login", {"email": EMAIL, "password": PASSWORD, "csrf_token": token})
                query = f"campaign={campaign}&lang=de"
                views = [("page", f"/chamber/dashboard?{query}"),
                         ("csv", f"/chamber/dashboard.csv?{query}"),
                         ("pdf", f"/chamber/dashboard.pdf?{query}"),
                         ("page, industry C", f"/chamber/dashboard?{query}&industry=C"),
                         ("csv, industry C", f"/chamber/dashboard.csv?{query}&industry=C"),
                         ("pdf, industry C", f"/chamber/dashboard.pdf?{query}&industry=C")]
                for name, path in views:
                    first, p50, p99 = measure(b, path, args.repeat)
                    rss, peak = rss_mb(proc.pid)
                    print(f"| {firms} | {name} | {first:.0f} | {p50:.1f} | {p99:.1f} "
                          f"| {rss:.0f} ({peak:.0f}) | {loadavg()} |", flush=True)
                if args.join:
                    # The first views after a publication change on the running service: new
                    # firms join (k or more, so the publication moves), the chamber looks later.
                    _, _, body = b.get(f"/chamber/campaigns/{campaign}")
                    code = re.search(rb"/c/([A-Za-z0-9_-]{20,})", body)
                    if not code:
                        sys.exit("no campaign link on the campaign page")
                    join_through_link(base, code.group(1).decode(), args.join,
                                      random.Random(firms))
                    time.sleep(args.settle)
                    for name, path in views[:4]:
                        first, p50, p99 = measure(b, path, args.repeat)
                        rss, peak = rss_mb(proc.pid)
                        print(f"| {firms} | {name}, after {args.join} joined "
                              f"({args.settle:.0f} s before) | {first:.0f} | {p50:.1f} "
                              f"| {p99:.1f} | {rss:.0f} ({peak:.0f}) | {loadavg()} |",
                              flush=True)
            finally:
                stop(proc)
            if args.restart:
                proc, base = start(args.binary, url)
                try:
                    time.sleep(args.start_settle)
                    b = Browser(base)
                    token = b.csrf("/login")
                    b.post("/login", {"email": EMAIL, "password": PASSWORD,
                                      "csrf_token": token})
                    for name, path in views[:4]:
                        first, p50, p99 = measure(b, path, args.repeat)
                        rss, peak = rss_mb(proc.pid)
                        print(f"| {firms} | {name}, after a restart ({args.start_settle:.0f} s "
                              f"before) | {first:.0f} | {p50:.1f} | {p99:.1f} "
                              f"| {rss:.0f} ({peak:.0f}) | {loadavg()} |", flush=True)
                finally:
                    stop(proc)


if __name__ == "__main__":
    main()
