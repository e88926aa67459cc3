#!/usr/bin/env python3
"""Read benchmark (issue 17, item 5): result pages and API reads, over HTTP against the real
release server, driven by `wrk`; the "pages" mode of `scripts/load_test.py` (it reuses that
script's server start, API key, bodies and wrk summary).

Scenarios, at each of --connections:
  * pages   `GET /s/{token}/result` of 200 responses submitted through the API before the run,
            at random, half in German and half in English;
  * apiget  `GET /api/v1/responses/{token}` of the same 200 responses.
Every run gets a fresh service on a fresh SQLite database. With `--ab OTHER` two builds are
measured interleaved (A, B, A, B, ... `--rounds` times per row), so that a shared, loaded machine
weighs on both alike; the load average before and after each run is printed with it.

    cargo build --release --locked
    python3 scripts/pages_bench.py --binary /tmp/before --ab target/release/social-readiness

Options: --scenarios pages,apiget  --connections 32  --seconds 10  --rounds 3
         --pin-cpu 1 (wrk's core; -1 unpinned)  --json FILE
         --warm SECONDS: a run of that length, not counted, before the measured one (every
           page then kept: the steady state without the first views' renders)
Latency: p50, p90, p99 and max per run (wrk's, over all requests of the run).
"""
import argparse
import json
import os
import random
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_test as lt  # noqa: E402

LUA_READ = r"""
function init(args) math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0)) end
request = function()
  return wrk.format("GET", paths[math.random(#paths)], nil, nil)
end
completed = 0
function response(status, hdrs, body)
  if status == 200 then completed = completed + 1 end
end
"""


def submit_responses(url, q, api_key, count):
    """Submits `count` responses through the API; returns their tokens."""
    tokens = []
    for body in lt.api_bodies(q, count, random.Random(29)):
        req = urllib.request.Request(f"{url}/api/v1/responses", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {api_key}"})
        with urllib.request.urlopen(req) as r:
            tokens.append(json.load(r)["token"])
    return tokens


def write_scripts(directory, tokens):
    paths = {
        "pages": [f"/s/{t}/result?lang={'de' if i % 2 else 'en'}" for i, t in enumerate(tokens)],
        "apiget": [f"/api/v1/responses/{t}" for t in tokens],
    }
    out = {}
    for name, ps in paths.items():
        out[name] = os.path.join(directory, f"{name}.lua")
        with open(out[name], "w") as f:
            f.write("paths = {\n" + ",\n".join(lt.lua_string(p) for p in ps) + "\n}\n"
                    + LUA_READ + lt.LUA_DONE)
    return out


def one_run(args, scenario, conns, binary):
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/pages.db"
        proc, base = lt.start_server(binary, url)
        try:
            api_key = lt.issue_api_key(binary, url)
            tokens = submit_responses(base, lt.questionnaire(base), api_key, 200)
            script = write_scripts(tmp, tokens)[scenario]
            # "api" makes run_wrk use one wrk thread for all connections.
            if args.warm > 0:
                lt.run_wrk([base], script, "api", conns, args.warm, args.pin_cpu, [proc.pid])
            r = lt.run_wrk([base], script, "api", conns, args.seconds, args.pin_cpu, [proc.pid])
            r.update(scenario=scenario, binary=binary)
            return r
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/social-readiness")
    ap.add_argument("--ab", help="a second binary, measured interleaved with --binary")
    ap.add_argument("--scenarios", default="pages,apiget")
    ap.add_argument("--connections", default="32")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pin-cpu", type=int, default=(os.cpu_count() or 1) - 1)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--warm", type=int, default=0,
                    help="seconds of load, not counted, before each measured run")
    args = ap.parse_args()
    binaries = [args.binary] + ([args.ab] if args.ab else [])
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, {os.cpu_count()} cores, "
          f"{args.seconds} s per run, wrk pinned to CPU {args.pin_cpu}, SQLite")
    print("| scenario | binary | conns | req/s | p50 ms | p90 ms | p99 ms | max ms | errors "
          "| server CPU | RSS MB (peak) | load before → after |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    rows = []
    for scenario in args.scenarios.split(","):
        for conns in (int(c) for c in args.connections.split(",")):
            for _ in range(args.rounds):
                for binary in binaries:
                    r = one_run(args, scenario, conns, binary)
                    rows.append(r)
                    print(f"| {scenario} | {binary} | {conns} | {r['requests_per_s']:.0f} "
                          f"| {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['p99_ms']:.1f} "
                          f"| {r['max_ms']:.0f} | {r['errors']} "
                          f"| {r['server_cpu']:.2f} | {r['rss_mb']:.0f} ({r['peak_rss_mb']:.0f}) "
                          f"| {r['load_before']} → {r['load_after']} |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
