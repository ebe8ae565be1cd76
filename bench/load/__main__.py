"""
kipplan under load: gunicorn serving the demo data, driven by wrk from a second process.

    make load                                              # SQLite (bench/load.sqlite3)
    LOAD_DATABASE_URL=postgres://... make load             # PostgreSQL (the demo is loaded there)
    .venv/bin/python bench/load --duration 10 --connections 8
    .venv/bin/python bench/load --no-page-cache             # the figures without the page cache

Sets up the database (migrate, the demo fixture, collectstatic), starts gunicorn with production
settings (bench/load/settings.py: kipplan's, plus the trivial logged-in page of
bench/load/urls.py) on a free local port, logs in as the demo's plan manager, then for each page
runs wrk for the given time at the given number of connections, with the session cookie. Reports
requests per second, median and 99th-percentile latency, errors (any response but 200, and socket
errors) and each page's throughput as a share of the trivial logged-in page's under the same
server, against the targets. Prints a Markdown table and writes
bench/results/load-<database>[-no-page-cache].json. Needs wrk (Debian: apt install wrk).
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TRIVIAL = "trivial logged-in page"
PAGES = {
    TRIVIAL: "/bench/trivial/",  # bench/load/urls.py: the yardstick
    "health check (/healthz)": "/healthz",
    "dashboard": "/plans/2024/",
    "task list": "/plans/2024/tasks/",
    "task page": "/plans/2024/tasks/1/",
    "agency page": "/agencies/kista/?year=2024",
    "technology page": "/technologies/ai/?year=2024",
}
# The targets of issue 17: each page's throughput against the trivial logged-in page's.
TARGETS = {"dashboard": 0.3, "task list": 0.3, "task page": 0.5, "agency page": 0.3,
           "technology page": 0.3}
USERNAME, PASSWORD = "manager", "kipplan-demo"  # the demo's plan manager


def environment(database_url, page_cache=True):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "kipplan-load-only",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_HTTPS": "0",  # plain HTTP on loopback; production sits behind TLS
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",  # kipplan's, and the trivial page
        "KIPPLAN_PAGE_CACHE": "1" if page_cache else "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def prepare(env):
    """Migrate, load the demo data and collect the static files, as a deployment would."""
    for command in (["migrate", "--noinput"], ["loaddata", "demo"],
                    ["collectstatic", "--noinput"]):
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *command, "-v", "0"],
                       env=env, cwd=ROOT, check=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env, port, workers):
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kipplan.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited at startup; see its messages above") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def log_in(base):
    """The manager's session cookie, from the real login form (CSRF token and all)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD,
                                   "csrfmiddlewaretoken": token, "next": "/"}).encode()
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data,
                                       headers={"Referer": f"{base}/accounts/login/"}))
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"could not log in as {USERNAME}: is the demo data loaded?")
    for path in PAGES.values():  # each page answers 200 to this session before it is loaded
        response = opener.open(f"{base}{path}")
        if response.status != 200 or response.url != f"{base}{path}":
            raise SystemExit(f"{path} answered {response.status} at {response.url}")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def run_wrk(url, cookie, connections, duration, threads):
    result = subprocess.run(
        ["wrk", f"--threads={threads}", f"--connections={connections}",
         f"--duration={duration}s", "--timeout=10s", f"--script={HERE / 'report.lua'}",
         f"--header=Cookie: {cookie}", "--header=Accept-Language: ko", url],
        capture_output=True, text=True, check=True,
    )
    line = next(line for line in result.stdout.splitlines()
                if line.startswith("KIPPLAN-RESULT "))
    raw = json.loads(line.removeprefix("KIPPLAN-RESULT "))
    seconds = raw["duration_us"] / 1e6
    errors = raw["not_200"] + sum(raw["socket_errors"].values())
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 1),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 1),
        "errors": errors,
        "not_200": raw["not_200"],
        "socket_errors": raw["socket_errors"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "LOAD_DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'load.sqlite3'}"))
    parser.add_argument("--duration", type=int, default=30, help="seconds a page (30)")
    parser.add_argument("--connections", type=int, default=32, help="open connections (32)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn workers (2 × cores + 1)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--no-page-cache", action="store_true",
                        help="serve with the page cache off (KIPPLAN_PAGE_CACHE=0): the figures "
                             "before it, for a comparison in the same hour")
    parser.add_argument("--only", metavar="TEXT",
                        help="load only the pages whose name contains TEXT (and the trivial "
                             "page); results are printed, not saved")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench/load needs wrk to drive the server (Debian: apt install wrk)")

    env = environment(args.database_url, page_cache=not args.no_page_cache)
    prepare(env)
    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        cookie = log_in(base)
        pages = {name: run_wrk(base + path, cookie, args.connections, args.duration,
                               args.wrk_threads)
                 for name, path in PAGES.items()
                 if not args.only or args.only in name or name == TRIVIAL}
    finally:
        server.terminate()
        server.wait(timeout=30)

    vendor = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    results = {"database": vendor, "python": platform.python_version(),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "server": f"gunicorn, {args.workers} sync workers",
               "driver": f"wrk, {args.wrk_threads} threads, {args.connections} connections, "
                         f"{args.duration} s a page",
               "data": "the demo plan (75 tasks)",
               "page_cache": "off" if args.no_page_cache else "on", "pages": pages}
    trivial = pages[TRIVIAL]
    for figures in pages.values():
        figures["share_of_trivial"] = round(figures["requests_per_s"] / trivial["requests_per_s"],
                                            3)
    if not args.only:
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        suffix = "-no-page-cache" if args.no_page_cache else ""
        (out / f"load-{vendor}{suffix}.json").write_text(json.dumps(results, indent=2))

    print(f"\n{vendor}: {results['server']}; {results['driver']}; {results['data']}; "
          f"page cache {results['page_cache']}\n")
    print("| page | requests/s | p50 ms | p99 ms | errors | ÷ trivial page | target |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, figures in pages.items():
        target = TARGETS.get(name)
        mark = "" if target is None else (
            f"≥ {target} " + ("met" if figures["share_of_trivial"] >= target else "**not met**"))
        print(f"| {name} | {figures['requests_per_s']:,} | {figures['p50_ms']} | "
              f"{figures['p99_ms']} | {figures['errors']} | {figures['share_of_trivial']:.2f} | "
              f"{mark} |")
    if any(figures["errors"] for figures in pages.values()):
        raise SystemExit("errors under load: see the table (bench/results has the details)")


if __name__ == "__main__":
    main()
