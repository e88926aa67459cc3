#!/usr/bin/env python3
"""Instructions per request of result pages and API reads (issue 17, item 5), counted by
callgrind in the whole server process (all threads): repeatable on a loaded machine, where
wall-clock figures are not.

The service runs under `valgrind --tool=callgrind` on a fresh SQLite database; --responses are
submitted through the API, then, with the counters zeroed before each phase:

  * first   each response's result page once, in German for half and English for the other half
            (the first view: nothing rendered for these pages yet),
  * again   the same pages once more (what an owner coming back, or pages_bench, asks for),
  * other   each page in the other language (first view again, charts in that language not drawn),
  * apiget  `GET /api/v1/responses/{token}` of every response.

    python3 scripts/page_instructions.py --binary target/release/social-readiness [--binary B]

Prints millions of instructions per request, per phase and binary.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_test as lt  # noqa: E402
import pages_bench as pb  # noqa: E402
import service  # noqa: E402


def get(base, path):
    with urllib.request.urlopen(base + path) as r:
        r.read()
        return r.status


def totals(out_file):
    """The instruction count of the last dump of `out_file`."""
    dumps = sorted(glob.glob(out_file + ".*"), key=os.path.getmtime)
    with open(dumps[-1]) as f:
        for line in f:
            m = re.match(r"(?:totals|summary): (\d+)", line)
            if m:
                return int(m.group(1))
    sys.exit(f"no totals in {dumps[-1]}")


def measure(binary, responses):
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/instructions.db"
        out_file = f"{tmp}/callgrind.out"
        env = dict(os.environ, PORT="0", DATABASE_URL=url, RUST_LOG="error",
                   **service.LOAD_LIMITS)
        key = lt.issue_api_key(binary, url)
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                                 binary], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        line = proc.stdout.readline()
        base = next((w for w in line.split() if w.startswith("http://")), "").rstrip("/")
        if not base:
            proc.kill()
            sys.exit(f"the service did not start: {line!r}")
        try:
            tokens = pb.submit_responses(base, lt.questionnaire(base), key, responses)
            lang = lambda i, flip: "de" if (i % 2) ^ flip else "en"  # noqa: E731
            phases = {
                "first": [f"/s/{t}/result?lang={lang(i, 0)}" for i, t in enumerate(tokens)],
                "again": [f"/s/{t}/result?lang={lang(i, 0)}" for i, t in enumerate(tokens)],
                "other": [f"/s/{t}/result?lang={lang(i, 1)}" for i, t in enumerate(tokens)],
                "apiget": [f"/api/v1/responses/{t}" for t in tokens],
            }
            # Let start-up and the submissions' background work settle.
            time.sleep(2)
            per_request = {}
            for phase, paths in phases.items():
                subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True,
                               capture_output=True)
                for p in paths:
                    assert get(base, p) == 200, p
                subprocess.run(["callgrind_control", "-d", phase, str(proc.pid)], check=True,
                               capture_output=True)
                per_request[phase] = totals(out_file) / len(paths)
            return per_request
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", action="append", required=True)
    ap.add_argument("--responses", type=int, default=200)
    args = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, {args.responses} "
          f"responses, M instructions per request (callgrind, whole process)")
    print("| binary | first view | again | other language | API GET |")
    print("|---|---:|---:|---:|---:|")
    for binary in args.binary:
        r = measure(binary, args.responses)
        print(f"| {binary} | {r['first'] / 1e6:.2f} | {r['again'] / 1e6:.2f} "
              f"| {r['other'] / 1e6:.2f} | {r['apiget'] / 1e6:.2f} |", flush=True)


if __name__ == "__main__":
    main()
