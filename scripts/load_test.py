#!/usr/bin/env python3
"""Load benchmark (issue 17, item 1): the real release server over HTTP, driven by `wrk`.

Two scenarios, each at 1, 8, 32 and 64 connections, on SQLite and on PostgreSQL:
  * api   `POST /api/v1/responses`: one complete response per request (profile + all answers);
  * form  the browser's whole flow, one owner per connection: POST /start, then for each of the
          ten pages GET the page and POST its answers (following every 303 as a browser does),
          GET the review, POST submit, GET the result (24 requests per complete response).
Reported per run: complete responses/s, requests/s, p50 and p99 latency of the requests, errors
(connection errors, timeouts, any status >= 400; a form flow that goes astray counts too), the
server's CPU (cores used over the run) and RSS (at the end of the run, and the peak), and the
machine's load average (`/proc/loadavg`) before and after the run, because the numbers mean little
without it.

Each database gets a fresh service (a new SQLite file in a temporary directory; a new PostgreSQL
database, dropped at the end) with the per-client limits raised, since all load comes from one
address. Responses use few cohorts (2 industries x 2 sizes x 2 regions), as the crash test does,
so cells pass the disclosure threshold and submits take the republishing path too.

Setup (Debian): `apt-get install -y wrk` (wrk 4.1 with LuaJIT); python3; psql for PostgreSQL.
The documented command (the lead's idle-machine re-run):

    cargo build --release --locked
    python3 scripts/load_test.py --binary target/release/social-readiness \
        --postgres postgres://postgres@127.0.0.1:5432/postgres

Options: --databases sqlite,postgres  --scenarios api,form  --connections 1,8,32,64
         --seconds 10  --pin-cpu 1 (wrk runs on that core; -1 leaves it unpinned)  --json FILE
         --instances 2 (PostgreSQL: two app instances on the one database, as behind a load
         balancer; the connections are split across them, one wrk each, figures summed)
         --label TEXT (a column in every row, for before/after runs)
The form flow runs one wrk thread per connection (wrk's Lua state is per thread and cannot tell
its connections apart); the API scenario uses one thread for all connections.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import service
from service import loadavg, rss_mb

COHORTS = {"industry": ["C", "G"], "size": ["micro", "small"], "region": ["DE-BY", "DE-NW"]}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def issue_api_key(binary, database_url):
    """API submissions carry a key, so that they count in the statistics as real integrations'
    do (keyless ones are stored but held back, issue 16) and the benchmark measures that work."""
    return service.issue_api_key(binary, database_url, "load test", "1000000/second")


def start_server(binary, database_url):
    return service.start(binary, database_url, service.LOAD_LIMITS)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def lua_string(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def questionnaire(url):
    with urllib.request.urlopen(f"{url}/api/v1/questionnaire") as r:
        return json.load(r)


def api_bodies(q, count, rng):
    bodies = []
    for _ in range(count):
        profile = {p["id"]: rng.choice(p["options"])["id"] for p in q["profile"]}
        for k, choices in COHORTS.items():
            profile[k] = rng.choice(choices)
        # Active firms only: they may not choose a question's "not active yet" option (422).
        profile["social_media"] = "yes"
        answers = {}
        for d in q["dimensions"]:
            for question in d["questions"]:
                options = [o for o in question["options"] if not o.get("not_active")]
                option = rng.choice(options)["id"]
                answers[question["id"]] = [option] if question["kind"] == "multi" else option
        bodies.append(json.dumps({"lang": "de", "profile": profile, "answers": answers}))
    return bodies


# The summary every scenario prints: one JSON line, read back by this script.
LUA_DONE = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local completed, flow_errors = 0, 0
  for _, t in ipairs(threads) do
    completed = completed + (t:get("completed") or 0)
    flow_errors = flow_errors + (t:get("flow_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'LOADTEST {"requests":%d,"duration_us":%d,"completed":%d,"flow_errors":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, completed, flow_errors, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
"""

LUA_API = r"""
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. api_key }
function init(args) math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0)) end
request = function()
  return wrk.format("POST", "/api/v1/responses", headers, bodies[math.random(#bodies)])
end
completed = 0
function response(status, hdrs, body)
  if status == 201 then completed = completed + 1 end
end
"""

# One connection per thread: `state` follows that connection's owner through the survey.
LUA_FORM = r"""
local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local next_req = nil
completed, flow_errors = 0, 0
function init(args) math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0)) end

local function restart()
  next_req = wrk.format("POST", "/start?lang=de", form, "consent=yes")
end

local function answers(step)
  local parts = {}
  for _, q in ipairs(pages[step]) do
    local opts = q.options
    table.insert(parts, q.id .. "=" .. opts[math.random(#opts)])
  end
  return table.concat(parts, "&")
end

request = function()
  if next_req == nil then restart() end
  return next_req
end

function response(status, hdrs, body)
  if status == 303 then
    local loc = hdrs["location"] or hdrs["Location"]
    next_req = wrk.format("GET", loc, nil, nil)
    last_get = loc
    return
  end
  if status == 200 and last_get then
    local path = last_get:match("^([^?]*)")
    local step = path:match("/step/(%d+)$")
    if step then
      next_req = wrk.format("POST", path, form, answers(tonumber(step)))
    elseif path:match("/review$") then
      next_req = wrk.format("POST", (path:gsub("/review$", "/submit")), form, "submit=1")
    elseif path:match("/result$") then
      completed = completed + 1
      last_get = nil
      restart()
    else
      flow_errors = flow_errors + 1
      last_get = nil
      restart()
    end
    return
  end
  flow_errors = flow_errors + 1
  last_get = nil
  restart()
end
"""


def form_pages(q):
    """Per step, the fields a browser would post: (question id, option ids)."""
    # Active firms only (`social_media` = yes): they may not choose "not active yet" options.
    fixed = dict(COHORTS, social_media=["yes"])
    pages = [[{"id": p["id"], "options": fixed.get(p["id"], [o["id"] for o in p["options"]])}
              for p in q["profile"]]]
    for d in q["dimensions"]:
        pages.append([{"id": x["id"],
                       "options": [o["id"] for o in x["options"] if not o.get("not_active")]}
                      for x in d["questions"]])
    return pages


def lua_table(pages):
    out = ["pages = {"]
    for page in pages:
        out.append(" {")
        for question in page:
            opts = ", ".join(lua_string(o) for o in question["options"])
            out.append(f"  {{ id = {lua_string(question['id'])}, options = {{ {opts} }} }},")
        out.append(" },")
    out.append("}")
    return "\n".join(out)


def write_scripts(q, directory, api_key):
    rng = random.Random(17)
    api = os.path.join(directory, "api.lua")
    with open(api, "w") as f:
        f.write(f"api_key = {lua_string(api_key)}\n")
        f.write("bodies = {\n" + ",\n".join(lua_string(b) for b in api_bodies(q, 400, rng))
                + "\n}\n" + LUA_API + LUA_DONE)
    form = os.path.join(directory, "form.lua")
    with open(form, "w") as f:
        f.write(lua_table(form_pages(q)) + "\n" + LUA_FORM + LUA_DONE)
    return {"api": api, "form": form}


def run_wrk(urls, script, scenario, connections, seconds, pin_cpu, pids):
    """One run: with several instances (`urls`, `pids`), the connections are split across them,
    one wrk per instance, all at once; the figures are summed (p99: the worst instance's)."""
    per = [connections // len(urls) + (1 if i < connections % len(urls) else 0)
           for i in range(len(urls))]
    load_before = loadavg()
    cpu0, t0 = sum(cpu_seconds(p) for p in pids), time.monotonic()
    procs = []
    for url, conns in zip(urls, per):
        threads = conns if scenario == "form" else 1
        cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", script, url]
        if pin_cpu >= 0:
            cmd = ["taskset", "-c", str(pin_cpu)] + cmd
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    summaries = []
    for proc in procs:
        out, err = proc.communicate()
        line = next((x for x in out.splitlines() if x.startswith("LOADTEST ")), None)
        if line is None:
            sys.exit(f"wrk gave no summary:\n{out}\n{err}")
        summaries.append(json.loads(line[len("LOADTEST "):]))
    cpu1, t1 = sum(cpu_seconds(p) for p in pids), time.monotonic()
    total = lambda k: sum(r[k] for r in summaries)  # noqa: E731
    secs = max(r["duration_us"] for r in summaries) / 1e6
    requests = total("requests")
    p50 = sum(r["p50_us"] * r["requests"] for r in summaries) / max(requests, 1)
    rss = [rss_mb(p) for p in pids]
    errors = sum(total(k) for k in ("connect", "read", "write", "timeout", "status",
                                    "flow_errors"))
    return {
        "scenario": scenario, "connections": connections, "instances": len(urls),
        "complete_per_s": total("completed") / secs, "requests_per_s": requests / secs,
        "p50_ms": p50 / 1000, "p90_ms": max(r.get("p90_us", 0) for r in summaries) / 1000,
        "p99_ms": max(r["p99_us"] for r in summaries) / 1000,
        "max_ms": max(r.get("max_us", 0) for r in summaries) / 1000,
        "errors": errors, "server_cpu": (cpu1 - cpu0) / (t1 - t0),
        "rss_mb": sum(r for r, _ in rss), "peak_rss_mb": sum(h for _, h in rss),
        "load_before": load_before, "load_after": loadavg(),
    }


def postgres_database(admin_url):
    name = f"pg_loadtest_{os.getpid()}"
    subprocess.run(["psql", "-q", admin_url, "-c", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", "-q", admin_url, "-c", f"CREATE DATABASE {name}"], check=True)
    return name, re.sub(r"/[^/]*$", f"/{name}", admin_url)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/social-readiness")
    ap.add_argument("--postgres", default=os.environ.get("LOADTEST_POSTGRES_URL"),
                    help="admin URL of a PostgreSQL server (a database is created and dropped)")
    ap.add_argument("--databases", default="sqlite,postgres")
    ap.add_argument("--scenarios", default="api,form")
    ap.add_argument("--connections", default="1,8,32,64")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--pin-cpu", type=int, default=(os.cpu_count() or 1) - 1)
    ap.add_argument("--instances", type=int, default=1,
                    help="app instances on the one database (PostgreSQL), wrk split across them")
    ap.add_argument("--label", default="", help="printed in every row (e.g. before/after)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()

    rows = []
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, {os.cpu_count()} cores, "
          f"binary {args.binary}, {args.seconds} s per run, wrk pinned to CPU {args.pin_cpu}")
    print("| label | db | instances | scenario | conns | complete/s | req/s | p50 ms | p99 ms | errors | server CPU "
          "| RSS MB (peak) | load before → after |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for db in args.databases.split(","):
        pg_name = None
        with tempfile.TemporaryDirectory() as tmp:
            if db == "sqlite":
                url = f"sqlite://{tmp}/load.db"
            elif db == "postgres":
                if not args.postgres:
                    print("| postgres | skipped: no --postgres URL |")
                    continue
                pg_name, url = postgres_database(args.postgres)
            else:
                sys.exit(f"unknown database {db}")
            instances = args.instances if db == "postgres" else 1
            servers = [start_server(args.binary, url) for _ in range(instances)]
            procs, bases = [p for p, _ in servers], [b for _, b in servers]
            try:
                scripts = write_scripts(questionnaire(bases[0]), tmp,
                                        issue_api_key(args.binary, url))
                for scenario in args.scenarios.split(","):
                    for conns in (int(c) for c in args.connections.split(",")):
                        r = run_wrk(bases, scripts[scenario], scenario, conns, args.seconds,
                                    args.pin_cpu, [p.pid for p in procs])
                        r["db"] = db
                        r["label"] = args.label
                        rows.append(r)
                        print(f"| {args.label} | {db} | {instances} | {scenario} | {conns} "
                              f"| {r['complete_per_s']:.0f} "
                              f"| {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} "
                              f"| {r['p99_ms']:.1f} | {r['errors']} | {r['server_cpu']:.2f} "
                              f"| {r['rss_mb']:.0f} ({r['peak_rss_mb']:.0f}) "
                              f"| {r['load_before']} → {r['load_after']} |", flush=True)
            finally:
                for proc in procs:
                    proc.terminate()
                    proc.wait(timeout=30)
                if pg_name:
                    subprocess.run(["psql", "-q", args.postgres, "-c",
                                    f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"], check=False)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
