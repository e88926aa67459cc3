"""What the scripts share (issue 17): starting the service, issuing an API key, the limit settings.

Used by crash_test.py, load_test.py, dashboard_bench.py and poison.py (their own copies had
drifted apart once).

    import service
    key = service.issue_api_key(binary, database_url, name="load test", rate="1000000/second")
    proc, url = service.start(binary, database_url, service.LOAD_LIMITS)
"""
import os
import subprocess
import sys

# All load from one address (a load generator, a crash test's clients): the per-client limits
# of issue 16 would answer 429 and cap connections, so they are raised; the plausibility
# screening is off, since near-identical scripted bodies would be held back as a burst and
# skip the statistics the scripts measure.
LOAD_LIMITS = {
    "RATE_LIMIT_API_RESPONSES": "1000000/second",
    "RATE_LIMIT_STARTS": "1000000/second",
    "RATE_LIMIT_FORM_POSTS": "1000000/second",
    "TOKEN_GUESSES_PER_MINUTE": "1000000",
    "MAX_CONNECTIONS_PER_CLIENT": "0",
    "SCREEN_MIN_SECONDS_PER_QUESTION": "0",
    "SCREEN_BURST_SIZE": "0",
}

# The production defaults for every limit and screening threshold; only the proxy is trusted,
# so that scripted clients can be told apart by X-Forwarded-For (poison.py).
PRODUCTION_LIMITS = {"TRUSTED_PROXIES": "127.0.0.1"}


def issue_api_key(binary, database_url, name, rate):
    """Issues an API key with the CLI (`api-key add`) and returns it. Submissions with a key
    count in the statistics as real integrations' do (keyless ones are held back, issue 16)."""
    env = dict(os.environ, DATABASE_URL=database_url, RUST_LOG="error")
    out = subprocess.run([binary, "api-key", "add", "--name", name, "--rate", rate], env=env,
                         check=True, capture_output=True, text=True).stdout
    return out.strip()


def start(binary, database_url, settings, port=0):
    """Starts the service with `settings` (environment variables) on `port` (0: any free one);
    returns (process, base URL) once it listens."""
    env = dict(os.environ, PORT=str(port), DATABASE_URL=database_url, RUST_LOG="error",
               **settings)
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    line = proc.stdout.readline()
    url = next((w for w in line.split() if w.startswith("http://")), None)
    if not url:
        proc.kill()
        sys.exit(f"the service did not start: {line!r}")
    return proc, url.rstrip("/")


def rss_mb(pid):
    """The process's resident set and its peak (VmRSS, VmHWM), in MB."""
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    kb = lambda k: int(status.get(k, "0 kB").split()[0]) / 1024  # noqa: E731
    return kb("VmRSS"), kb("VmHWM")


def loadavg():
    """The machine's load over 1, 5 and 15 minutes, as /proc/loadavg gives it."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
