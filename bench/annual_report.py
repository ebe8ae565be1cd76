#!/usr/bin/env python
"""
The annual report's benchmark (make bench-report): generating the report (Korean and English,
HWPX and PDF: ``tracker.publishing.generate``) for the demo plan (75 tasks, from
fixtures/demo.json) and for a synthetic plan of 750 tasks with results, indicators, grades,
opinions and an outcome indicator (the tests' ``reportable``). Each size runs in a process of
its own, on a new SQLite database and evidence folder in a temporary folder, so that its peak
memory (ru_maxrss: Python's and C's allocations, lxml's and Pango's included) is its own.

Targets (issue 16): under 10 s for 75 tasks; under 60 s and 500 MB for 750 tasks. Prints a
Markdown table and exits with 1 when a target is missed. Without WeasyPrint's Pango or the
Korean font, it measures the HWPX files alone and says so.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SIZES = {75: (10, None), 750: (60, 500)}  # tasks: (seconds, megabytes)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(tasks, folder):
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["KIPPLAN_EVIDENCE_ROOT"] = str(Path(folder) / "evidence")
    os.environ.setdefault("DJANGO_SECRET_KEY", "kipplan-bench-only")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kipplan.settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from tests.factories import UserFactory
    from tracker import roles
    from tracker.models import Plan
    from tracker.publishing import services as annual_report

    call_command("migrate", verbosity=0)
    if tasks == 75:
        call_command("loaddata", "demo", verbosity=0)
        plan = Plan.objects.get(year=2024)
    else:
        from tests.helpers import reportable

        plan = reportable(tasks, year=2099)
    manager = UserFactory(username="bench-manager")
    manager.groups.add(Group.objects.get(name=roles.PLAN_MANAGERS))
    # A running server has imported python-hwpx and WeasyPrint (and found Pango and the font)
    # before its first report: the imports are timed apart.
    started = time.perf_counter()
    import hwpx  # noqa: F401

    annual_report.pdf_unavailable()
    imports = time.perf_counter() - started
    before = peak_mb()
    started = time.perf_counter()
    report, reason = annual_report.generate(plan=plan, user=manager)
    seconds = time.perf_counter() - started
    sizes = {name: getattr(report, name).size for name, _l, _k in annual_report.FILES
             if getattr(report, name)}
    return {"tasks": plan.tasks.count(), "seconds": round(seconds, 2),
            "imports": round(imports, 2),
            "peak_mb": round(peak_mb(), 1), "before_mb": round(before, 1),
            "files": sizes, "pdf_missing": reason}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, help="measure one size (in this process)")
    args = parser.parse_args()
    if args.tasks:
        with tempfile.TemporaryDirectory(prefix="kipplan-bench-report-") as folder:
            print(json.dumps(measure(args.tasks, folder)))
        return 0
    print("| tasks | seconds (target) | imports, s | peak MB (target) | MB before generating "
          "| files |")
    print("|---:|---:|---:|---:|---:|---|")
    failed = False
    for tasks, (seconds_target, mb_target) in SIZES.items():
        run = subprocess.run([sys.executable, __file__, "--tasks", str(tasks)],
                             capture_output=True, text=True, check=False)
        if run.returncode:
            print(run.stderr, file=sys.stderr)
            return run.returncode
        result = json.loads(run.stdout.strip().splitlines()[-1])
        ok = result["seconds"] < seconds_target and (mb_target is None
                                                     or result["peak_mb"] < mb_target)
        failed |= not ok
        files = ", ".join(f"{name} {size // 1024} KB" for name, size in result["files"].items())
        print(f"| {result['tasks']} | {result['seconds']} (< {seconds_target}) "
              f"| {result['imports']} "
              f"| {result['peak_mb']}{f' (< {mb_target})' if mb_target else ''} "
              f"| {result['before_mb']} | {files} |{'' if ok else ' **missed**'}")
        if result["pdf_missing"]:
            print(f"\nNo PDF on this machine: {result['pdf_missing']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
