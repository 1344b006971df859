"""Batch print benchmark (issue 21): the yearly ledger (台账) of every branch of the
district data, as one PDF with a cover page and a bookmark per branch.

    .venv/bin/python bench/prints.py                 # seed (or --reuse) and print
    .venv/bin/python bench/prints.py --reuse --limit 40 --output zip

The district data lives in its own scratch database (`portal_prints_district` on the
server of DATABASE_URL, seeded by `seed_demo --size district`: ~350 branches, three years
of meetings) and is kept, so `--reuse` skips the seeding. The job is started as the
demo's district staff (`district`) for their district and run by `job_execute`, the
Celery task's body, in a fresh process of its own (what a worker does), so the process's
peak RSS is the job's: a thread samples the RSS every half second beside the branches
printed, to show whether memory grows with the branches (it should stay flat while
rendering; assembling the PDF with pypdf holds the page objects, not rendered pages).

Prints: the time (rendering and assembling), the peak RSS and the RSS at a quarter,
half and three quarters of the branches, pages and the size of the file. The report is
written to bench/results/prints.txt (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as base  # noqa: E402  (bench/run.py: database helpers)

RESULTS = ROOT / "bench" / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default="portal_prints_district")
    parser.add_argument("--reuse", action="store_true", help="keep a seeded database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--year", type=int, help="the ledgers' year (default: last year)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N branches")
    parser.add_argument("--output", choices=["pdf", "zip"], default="pdf")
    parser.add_argument(
        "--merge-only",
        metavar="DIR",
        help="only assemble: merge the part PDFs in DIR (cycled to --copies) into one file",
    )
    parser.add_argument("--copies", type=int, default=358)
    parser.add_argument("--job", type=int, help=argparse.SUPPRESS)  # run by the child
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_job(args) -> dict:
    """In a fresh process: run the job as a worker would, sampling RSS."""
    import logging

    from reports.prints import services
    from reports.prints.models import PrintJob

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the sheets' screen-only CSS
    samples: list[tuple[float, int, float]] = []
    stop = threading.Event()
    started = time.perf_counter()
    baseline = rss_mb()

    def sample():
        while not stop.wait(0.5):
            done = PrintJob.objects.filter(pk=args.job).values_list("done", flat=True).first()
            samples.append((time.perf_counter() - started, done or 0, rss_mb()))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    outcome = services.job_execute(args.job)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join()
    job = PrintJob.objects.get(pk=args.job)
    total = max(1, job.total)

    def at(fraction):
        near = [s for s in samples if s[1] >= fraction * total]
        return round(near[0][2], 1) if near else None

    rendered = [s for s in samples if s[1] >= total]
    return {
        "outcome": outcome,
        "state": job.state,
        "branches": job.total,
        "printed": sum(1 for e in job.contents if e.get("pages")),
        "pages": job.pages,
        "size_mb": round(job.file_size / 2**20, 1),
        "seconds": round(elapsed, 1),
        "render_seconds": round(rendered[0][0], 1) if rendered else None,
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_at": {"25%": at(0.25), "50%": at(0.5), "75%": at(0.75), "100%": at(1.0)},
    }


def merge_only(args) -> str:
    """The assembly alone, in this process: the parts of DIR (say, the ledgers printed by
    a run of this bench, left in its job folder) cycled to --copies branches, merged by
    the same function the job uses. Time, peak RSS, pages and size."""
    import itertools
    import logging

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from pypdf import PdfReader

    from branches.exporting import render_pdf
    from reports.prints.services import merge_pdf

    parts = sorted(Path(args.merge_only).glob("*.pdf"))
    if not parts:
        sys.exit(f"bench: no part PDFs in {args.merge_only}")
    chosen = list(itertools.islice(itertools.cycle(parts), args.copies))
    cover = render_pdf("<h1>封面</h1>" + "".join(f"<p>支部 {n}</p>" for n in range(args.copies)))
    baseline = rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.pdf"
        started = time.perf_counter()
        merge_pdf(
            out,
            cover=cover,
            parts=[(f"支部 {n + 1}", part) for n, part in enumerate(chosen)],
            title="bench",
        )
        elapsed = time.perf_counter() - started
        reader = PdfReader(out)
        pages, outline, size = len(reader.pages), len(reader.outline), out.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = (
        f"Assembling {args.copies} branches ({len(parts)} distinct ledger parts cycled): "
        f"{pages} pages, {outline} outline entries, {size / 2**20:.1f} MB in {elapsed:.1f} s; "
        f"RSS {baseline:.0f} MB before, peak {peak:.0f} MB"
    )
    print(text)
    return text


def start_job(args) -> int:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from reports.prints import services
    from reports.prints.kinds import area_branches
    from reports.prints.models import PrintJob

    user = get_user_model().objects.get(username="district")
    district = user.staff_roles.get().organization
    year = args.year or timezone.localdate().year - 1
    job = services.job_start(
        user=user, node=district, kind="ledger", params={"year": year}, output=args.output
    )
    if args.limit:
        contents = [
            {"branch": b.pk, "name": b.name, "place": b.organization.name}
            for b in area_branches(job)[: args.limit]
        ]
        PrintJob.objects.filter(pk=job.pk).update(contents=contents, total=len(contents))
    return job.pk


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    database_url = base.with_database(admin_url, args.db_name)
    if args.merge_only:
        merge_only(args)
        return 0
    if args.job:
        os.environ["PRINT_JOB_DIR"] = os.environ.get("PRINT_JOB_DIR") or tempfile.mkdtemp()
        base.setup_django(database_url)
        Path(args.out).write_text(json.dumps(run_job(args)), encoding="utf-8")
        return 0
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL")
    import psycopg

    with psycopg.connect(base.with_database(admin_url, "postgres"), autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.db_name]
        ).fetchone()
    if not (args.reuse and found):
        base.recreate_database(admin_url, args.db_name)
    base.setup_django(database_url)
    from django.core.management import call_command

    from branches.models import Branch

    call_command("migrate", verbosity=0)
    seed_seconds = None
    if not Branch.objects.exists():
        print(f"bench: seeding district data into {args.db_name} ...", flush=True)
        seed_seconds = round(base.seed("district", args.seed), 1)
        base.analyze()
    job_id = start_job(args)
    folder = tempfile.mkdtemp(prefix="bench-prints-")
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    print(f"bench: printing job {job_id} in a fresh process ...", flush=True)
    subprocess.run(
        [sys.executable, __file__, "--db-name", args.db_name, "--job", str(job_id), "--out", out],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PRINT_JOB_DIR": folder, "MEDIA_ROOT": folder},  # the result too
    )
    result = json.loads(Path(out).read_text(encoding="utf-8"))
    os.unlink(out)
    result["seed_seconds"] = seed_seconds
    text = report(args, result)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "prints.txt").write_text(text, encoding="utf-8")
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    return 0


def report(args, r) -> str:
    per = r["render_seconds"] / max(1, r["branches"]) if r["render_seconds"] else None
    lines = [
        f"Batch print: yearly ledger of every branch of the district ({args.output})",
        f"  state {r['state']}: {r['printed']} of {r['branches']} branches printed, "
        f"{r['pages']} pages, {r['size_mb']} MB",
        f"  time {r['seconds']} s (rendering {r['render_seconds']} s"
        + (f", {per:.2f} s per branch" if per else "")
        + ")",
        f"  RSS: {r['baseline_rss_mb']} MB at start, peak {r['peak_rss_mb']} MB; while "
        f"rendering at 25/50/75/100 % of the branches: "
        + " / ".join(str(v) for v in r["rss_at"].values())
        + " MB",
    ]
    if r.get("seed_seconds"):
        lines.append(f"  (seeding the district data took {r['seed_seconds']} s)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
