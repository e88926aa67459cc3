#!/usr/bin/env python3
"""Byte-for-byte page comparison of two builds (issue 17): the same pages of the same database,
served by binary A and by binary B, must be identical, and so must a page served twice by one
binary (the second time from a cache, where a build has one).

One SQLite database is filled once (responses submitted through the API with an API key, in a
few cohorts, so that some pages compare with a published group and some cannot), then each
binary is started on it in turn and asked for every URL twice:

  * /s/{token}/result (the response's language, ?lang=de, ?lang=en) of every response,
  * /api/v1/responses/{token} of every tenth, /, /?lang=en, /impressum, /datenschutz.

    python3 scripts/compare_pages.py --a /tmp/main-release --b target/release/social-readiness

Prints how many of the URLs are identical and the first difference of each that is not; exits
with 1 when any differs.
"""
import argparse
import os
import random
import socket
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_test as lt  # noqa: E402
import pages_bench as pb  # noqa: E402
import service  # noqa: E402



def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The links on a page carry the public address: the same port and address for both binaries.
PORT = free_port()
SETTINGS = dict(service.LOAD_LIMITS, BASE_URL=f"http://127.0.0.1:{PORT}")


def fetch(base, path):
    try:
        with urllib.request.urlopen(base + path) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def serve_all(binary, url, paths):
    """Every path twice from one run of `binary`; the pairs that differ are reported."""
    proc, base = service.start(binary, url, SETTINGS, PORT)
    try:
        first = [fetch(base, p) for p in paths]
        second = [fetch(base, p) for p in paths]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    unstable = [p for p, a, b in zip(paths, first, second) if a != b]
    return first, unstable


def first_difference(a, b):
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at byte {at}: {a[max(0, at - 60):at + 60]!r} vs {b[max(0, at - 60):at + 60]!r}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="the build compared with")
    ap.add_argument("--b", required=True, help="the build checked")
    ap.add_argument("--responses", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/compare.db"
        proc, base = service.start(args.a, url, SETTINGS, PORT)
        try:
            key = lt.issue_api_key(args.a, url)
            tokens = pb.submit_responses(base, lt.questionnaire(base), key, args.responses)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        paths = ["/", "/?lang=en", "/impressum", "/datenschutz"]
        for i, t in enumerate(tokens):
            paths += [f"/s/{t}/result", f"/s/{t}/result?lang=de", f"/s/{t}/result?lang=en"]
            if i % 10 == 0:
                paths.append(f"/api/v1/responses/{t}")
        random.Random(17).shuffle(paths)
        served_a, unstable_a = serve_all(args.a, url, paths)
        served_b, unstable_b = serve_all(args.b, url, paths)
    failed = False
    for name, unstable in (("A", unstable_a), ("B", unstable_b)):
        if unstable:
            failed = True
            print(f"{name} served {len(unstable)} URLs differently the second time, e.g. "
                  f"{unstable[0]}")
    same = 0
    for path, a, b in zip(paths, served_a, served_b):
        if a == b:
            same += 1
        else:
            failed = True
            print(f"differs: {path} ({a[0]} {a[1]} vs {b[0]} {b[1]}) {first_difference(a[2], b[2])}")
    ok = sum(1 for a in served_a if a[0] == 200)
    print(f"{same} of {len(paths)} URLs identical ({ok} answered 200), each served twice by "
          f"each binary")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
