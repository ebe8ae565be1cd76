"""
kipplan under load: gunicorn serving the demo data, driven by wrk from a second process.

    make load                                              # SQLite (bench/load.sqlite3)
    LOAD_DATABASE_URL=postgres://... make load             # PostgreSQL (the demo is loaded there)
    .venv/bin/python bench/load --duration 10 --connections 8
    .venv/bin/python bench/load --no-page-cache             # the figures without the page cache

    .venv/bin/python bench/load --mix-only                  # only the day's mix (below)

Sets up the database (migrate, then flush: whatever the database held is emptied; the demo
fixture; collectstatic), starts gunicorn with production
settings (bench/load/settings.py: kipplan's, plus the trivial logged-in page of
bench/load/urls.py) on a free local port, logs in as the demo's plan manager, then for each page
runs wrk for the given time at the given number of connections, with the session cookie. Reports
requests per second, median and 99th-percentile latency, errors (any response but 200, and socket
errors) and each page's throughput as a share of the trivial logged-in page's under the same
server, against the targets.

Then a day's mix: six signed-in users (two plan managers, the superuser among them, and staff of
four agencies, a metropolitan government's among them) read some 300 (user, page) pairs (the
dashboard, the years page, task lists with filters, every task page they may see, agency and
technology pages), each request a random pair, while agency staff report progress through the
admin's form: no writes, a report every 5 s, a report every 1 s. Each run against the trivial
page's throughput under the same server. Prints Markdown tables and writes
bench/results/load-<database>[-no-page-cache].json. Needs wrk (Debian: apt install wrk).
"""

import argparse
import html.parser
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
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
# Issue 27's target for the day's mix while agencies report every second.
MIX_TARGETS = {"a report every 1 s": 0.4}
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
    """Migrate, load the demo data afresh (the reports of an earlier run gone) and collect the
    static files, as a deployment would."""
    for command in (["migrate", "--noinput"], ["flush", "--noinput"], ["loaddata", "demo"],
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


def session(base, username=USERNAME):
    """A browser's session as username, from the real login form (CSRF token and all): the
    opener that keeps its cookies, and the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrfmiddlewaretoken": token, "next": "/"}).encode()
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data,
                                       headers={"Referer": f"{base}/accounts/login/"}))
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"could not log in as {username}: is the demo data loaded?")
    return opener, "; ".join(f"{name}={value}" for name, value in cookies.items())


def log_in(base):
    """The manager's Cookie header, each page checked to answer 200 to it."""
    opener, cookie = session(base)
    for path in PAGES.values():  # each page answers 200 to this session before it is loaded
        response = opener.open(f"{base}{path}")
        if response.status != 200 or response.url != f"{base}{path}":
            raise SystemExit(f"{path} answered {response.status} at {response.url}")
    return cookie


# -- A day's mix ----------------------------------------------------------------------------------

MIX_USERS = ["manager", "admin", "kipo", "kista", "msit", "incheon"]
WRITER = "kipo"  # reports progress on the tasks of KIPO and the agencies under it
MIX_LISTS = ["/plans/2024/tasks/", "/plans/2024/tasks/?status=delayed&status=at_risk",
             "/plans/2024/tasks/?strategy=1", "/plans/2024/tasks/?strategy=2&sort=-progress",
             "/plans/2024/tasks/?overdue=yes", "/plans/2024/tasks/?q=%ED%8A%B9%ED%97%88",
             "/plans/2024/tasks/?sort=lead_agency"]
MIX_OTHERS = ["/plans/2024/", "/plans/", "/agencies/?year=2024", "/technologies/?year=2024",
              "/technologies/ai/?year=2024"]
MIX_AGENCIES = ["kipo", "kista", "msit", "mcst", "motie", "incheon", "seoul", "busan"]
WRITES = {"no writes": None, "a report every 5 s": 5.0, "a report every 1 s": 1.0}


def mix_pairs(base):
    """(Cookie header, path) for each user and each page that user may read (a 200)."""
    candidates = [*MIX_OTHERS, *MIX_LISTS,
                  *(f"/agencies/{slug}/?year=2024" for slug in MIX_AGENCIES),
                  *(f"/plans/2024/tasks/{number}/" for number in range(1, 76))]
    pairs = []
    for username in MIX_USERS:
        opener, cookie = session(base, username)
        for path in candidates:
            try:
                response = opener.open(f"{base}{path}")
            except urllib.error.HTTPError:
                continue  # not theirs to read (403), or not there (404)
            if response.status == 200 and response.url == f"{base}{path}":
                pairs.append((cookie, path))
    return pairs


class FormFields(html.parser.HTMLParser):
    """The fields of a page's form as a browser would post them: inputs' values, the selected
    option of each select, textareas' text."""

    def __init__(self):
        super().__init__()
        self.fields, self.select, self.textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "file"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields[self.select] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = attrs.get("name")
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data


class Reporter(threading.Thread):
    """Agency staff reporting progress through the admin's form, one report every ``interval``
    seconds, in turn on each task they may report on: the page read, the form posted back with
    its values and a note, as a browser does. Counts the reports saved and refused."""

    def __init__(self, base, interval):
        super().__init__(daemon=True)
        self.base, self.interval = base, interval
        self.opener, _ = session(base, WRITER)
        self.stop = threading.Event()
        self.saved = self.refused = 0
        changelist = self.opener.open(f"{base}/admin/tracker/task/").read().decode()
        self.tasks = [task for task in sorted(set(re.findall(
            r"/admin/tracker/task/(\d+)/change/", changelist)), key=int)
            if self.reportable(task)]
        if not self.tasks:
            raise SystemExit(f"{WRITER} sees no task to report on")

    def reportable(self, task):
        try:
            return self.opener.open(f"{self.base}/admin/tracker/task/{task}/report/").status == 200
        except urllib.error.HTTPError:
            return False

    def run(self):
        turn = 0
        while not self.stop.wait(self.interval):
            task = self.tasks[turn % len(self.tasks)]
            turn += 1
            url = f"{self.base}/admin/tracker/task/{task}/report/"
            try:
                form = FormFields()
                form.feed(self.opener.open(url).read().decode())
                # The report form's fields ("next" is the language switcher's: back here).
                fields = {**form.fields, "note": f"Load test report {turn}."}
                fields.pop("next", None)
                answer = self.opener.open(urllib.request.Request(
                    url, data=urllib.parse.urlencode(fields).encode(),
                    headers={"Referer": url}))
                # Saved: redirected to the task's change page; refused: the form again.
                if answer.url.endswith("/change/"):
                    self.saved += 1
                else:
                    self.refused += 1
            except OSError:  # HTTPError, URLError, a timeout: counted, and the next report tried
                self.refused += 1


def run_mix(base, trivial_cookie, args):
    """The mix under each rate of writes, and the trivial page, in one server's life."""
    pairs = mix_pairs(base)
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as file:
        file.writelines(f"{cookie}\t{path}\n" for cookie, path in pairs)
    runs = {"trivial logged-in page": run_wrk(base + PAGES[TRIVIAL], trivial_cookie,
                                              args.mix_connections, args.mix_duration,
                                              args.wrk_threads)}
    for name, interval in WRITES.items():
        reporter = Reporter(base, interval) if interval else None
        if reporter:
            reporter.start()
        runs[name] = run_wrk(base + "/", "", args.mix_connections, args.mix_duration,
                             args.wrk_threads, script=HERE / "mix.lua", script_args=[file.name])
        if reporter:
            reporter.stop.set()
            reporter.join()
            runs[name]["reports_saved"], runs[name]["reports_refused"] = (
                reporter.saved, reporter.refused)
            # A run meant to write that wrote nothing, or was refused, measured something else.
            runs[name]["errors"] += reporter.refused + (0 if reporter.saved else 1)
    os.unlink(file.name)
    users = len({cookie for cookie, _ in pairs})
    return {"users": users, "pairs": len(pairs), "runs": runs}


def run_wrk(url, cookie, connections, duration, threads, script=HERE / "report.lua",
            script_args=()):
    headers = [f"--header=Cookie: {cookie}", "--header=Accept-Language: ko"] if cookie else []
    result = subprocess.run(
        ["wrk", f"--threads={threads}", f"--connections={connections}",
         f"--duration={duration}s", "--timeout=10s", f"--script={script}", *headers, url,
         *(["--", *script_args] if script_args else [])],
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
    parser.add_argument("--database-url", help="a database of its own: it is emptied and the demo "
                        "loaded into it (bench/load.sqlite3 by default)", default=os.environ.get(
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
                             "page), and no mix; results are printed, not saved")
    parser.add_argument("--mix-only", action="store_true", help="only the day's mix")
    parser.add_argument("--mix-duration", type=int, default=20, help="seconds a mix run (20)")
    parser.add_argument("--mix-connections", type=int, default=8,
                        help="open connections in the mix (8)")
    parser.add_argument("--mix-workers", type=int, default=2,
                        help="gunicorn workers for the mix (2, as issue 27 measured)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench/load needs wrk to drive the server (Debian: apt install wrk)")

    env = environment(args.database_url, page_cache=not args.no_page_cache)
    prepare(env)
    vendor = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    results = {"database": vendor, "python": platform.python_version(),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "server": f"gunicorn, {args.workers} sync workers",
               "driver": f"wrk, {args.wrk_threads} threads, {args.connections} connections, "
                         f"{args.duration} s a page",
               "data": "the demo plan (75 tasks)",
               "page_cache": "off" if args.no_page_cache else "on", "pages": {}}
    if not args.mix_only:
        results["pages"] = pages = serve(env, args.workers,
                                         lambda base: single_pages(base, args))
        trivial = pages[TRIVIAL]
        for figures in pages.values():
            figures["share_of_trivial"] = round(
                figures["requests_per_s"] / trivial["requests_per_s"], 3)
    if not args.only:
        results["mix"] = serve(env, args.mix_workers, lambda base: run_mix(
            base, log_in(base), args))
        results["mix"].update(
            server=f"gunicorn, {args.mix_workers} sync workers",
            driver=f"wrk, {args.wrk_threads} threads, {args.mix_connections} connections, "
                   f"{args.mix_duration} s a run")
        runs = results["mix"]["runs"]
        for figures in runs.values():
            figures["share_of_trivial"] = round(
                figures["requests_per_s"] / runs["trivial logged-in page"]["requests_per_s"], 3)
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        suffix = "-no-page-cache" if args.no_page_cache else ""
        (out / f"load-{vendor}{suffix}.json").write_text(json.dumps(results, indent=2))

    if results["pages"]:
        print_pages(results)
    if "mix" in results:
        print_mix(results)
    runs = [*results["pages"].values(), *results.get("mix", {}).get("runs", {}).values()]
    if any(figures["errors"] for figures in runs):
        raise SystemExit("errors under load: see the table (bench/results has the details)")


def single_pages(base, args):
    """Each page alone, again and again, as the manager."""
    cookie = log_in(base)
    return {name: run_wrk(base + path, cookie, args.connections, args.duration, args.wrk_threads)
            for name, path in PAGES.items()
            if not args.only or args.only in name or name == TRIVIAL}


def serve(env, workers, work):
    """work(base) with gunicorn serving at base, stopped afterwards."""
    port = free_port()
    server = start_gunicorn(env, port, workers)
    try:
        return work(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def print_pages(results):
    print(f"\n{results['database']}: {results['server']}; {results['driver']}; "
          f"{results['data']}; page cache {results['page_cache']}\n")
    print("| page | requests/s | p50 ms | p99 ms | errors | ÷ trivial page | target |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, figures in results["pages"].items():
        target = TARGETS.get(name)
        mark = "" if target is None else (
            f"≥ {target} " + ("met" if figures["share_of_trivial"] >= target else "**not met**"))
        print(f"| {name} | {figures['requests_per_s']:,} | {figures['p50_ms']} | "
              f"{figures['p99_ms']} | {figures['errors']} | {figures['share_of_trivial']:.2f} | "
              f"{mark} |")


def print_mix(results):
    mix = results["mix"]
    print(f"\n{results['database']}, a day's mix: {mix['users']} users, {mix['pairs']} (user, "
          f"page) pairs, each request a random pair; {mix['server']}; {mix['driver']}; page "
          f"cache {results['page_cache']}\n")
    print("| run | requests/s | p50 ms | p99 ms | errors | reports saved | ÷ trivial page "
          "| target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, figures in mix["runs"].items():
        target = MIX_TARGETS.get(name)
        mark = "" if target is None else (
            f"≥ {target} " + ("met" if figures["share_of_trivial"] >= target else "**not met**"))
        saved = figures.get("reports_saved", "")
        print(f"| {name} | {figures['requests_per_s']:,} | {figures['p50_ms']} | "
              f"{figures['p99_ms']} | {figures['errors']} | {saved} | "
              f"{figures['share_of_trivial']:.2f} | {mark} |")


if __name__ == "__main__":
    main()
