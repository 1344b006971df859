"""Pages under load: the district's pages and a page mix at 64 connections, this code
against another git ref in the same run, plus a single-request profile of each page.

    .venv/bin/python bench/pages.py                        # load, this checkout only
    .venv/bin/python bench/pages.py --compare main         # before (main) and after, alternating
    .venv/bin/python bench/pages.py --profile              # per page: ms, queries, pyinstrument
    BENCH_ARGS="--compare main --rounds 2" make bench-pages
    .venv/bin/python bench/pages.py --sets mix --nginx --nodes 1,2   # make bench-nginx

It reuses the district database `bench/dashboards.py` seeds (`<db-prefix>_district`,
`portal_dash_district` by default; run `bench/dashboards.py --sizes district` once first).

Two page sets, both as the demo login `district` (district bureau staff), warm:
- `dashboards`: the district's pages of `bench/dashboards.py`'s load run (home, the
  district dashboard by quarter and year, a street's, a community's, a branch overview,
  the members inactive for three months, the funds overview);
- `mix`: the district dashboard, the branch list (two pages), three branches' pages and
  the roster (two pages).

Load: gunicorn on 127.0.0.1 with the checkout's `retiree_party/gunicorn.conf.py` (the
compared ref without one gets the old command line: 2 sync workers), then wrk (Debian's
`wrk`; `apt-get install wrk`) with --connections for --load-seconds over each set. With
--compare the ref is checked out in a temporary git worktree, and the variants take turns
set by set (before, after, before, after...) so that load from elsewhere on the machine
falls on both. Nothing leaves the machine.

With --nginx the load goes through Debian's nginx over HTTPS (a self-signed certificate
made for the run; the shipped deploy/nginx/portal-http.conf and portal-proxy.conf, as the
site's HTTPS server includes them) to --nodes gunicorns on loopback, each with the
checkout's gunicorn.conf.py: on one machine the nodes share its cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dashboards  # noqa: E402  (bench/dashboards.py: the load runner and its pages)
import run as base  # noqa: E402  (bench/run.py: database and timing helpers)

RESULTS = ROOT / "bench" / "results"
GUNICORN_CONF = "retiree_party/gunicorn.conf.py"
AIM_RPS, AIM_P95_MS = 100.0, 800.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-prefix", default="portal_dash")
    parser.add_argument("--size", default="district")
    parser.add_argument("--sets", default="dashboards,mix")
    parser.add_argument("--load-seconds", type=int, default=60, help="0 skips the load runs")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--compare", help="git ref to run as 'before' in the same run")
    parser.add_argument("--rounds", type=int, default=1, help="before/after pairs per set")
    parser.add_argument("--profile", action="store_true", help="profile single requests")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per page")
    parser.add_argument(
        "--gunicorn-args", default="", help="extra gunicorn arguments for this checkout"
    )
    parser.add_argument(
        "--nginx",
        action="store_true",
        help="load through nginx over HTTPS (deploy/nginx/'s snippets, a self-signed cert)",
    )
    parser.add_argument(
        "--nodes", default="1", help="with --nginx: gunicorn nodes behind it, e.g. 1,2"
    )
    args = parser.parse_args(argv)
    args.sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    try:
        args.nodes = [int(n) for n in args.nodes.split(",") if n.strip()]
    except ValueError:
        parser.error("--nodes takes numbers, e.g. 1,2")
    if not args.nodes or not all(1 <= n <= 4 for n in args.nodes):
        parser.error("--nodes must be 1..4")
    if not args.nginx:
        args.nodes = [1]
    if not 0 <= args.load_seconds <= 120 or not 1 <= args.connections <= 256:
        parser.error("--load-seconds must be 0..120 and --connections 1..256")
    if not 1 <= args.rounds <= 5 or not 1 <= args.requests <= 200:
        parser.error("--rounds must be 1..5 and --requests 1..200")
    return args


def page_sets() -> dict[str, list[tuple[str, str]]]:
    """set name -> [(label, url)], as the district staff see them."""
    from django.urls import reverse

    from branches.models import Branch

    pages = [
        (label, url) for label, user, url in dashboards.dashboard_pages() if user == "district"
    ]
    seen, board = set(), []
    for label, url in pages[1:]:  # not the trivial view; "after a write" rows share urls
        if url not in seen:
            seen.add(url)
            board.append((label, url))
    district = dashboards._district()
    branches = list(
        Branch.objects.filter(organization__path__startswith=district.path)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    middle = branches[len(branches) // 2]
    branch_list = reverse("branches:branch_list")
    roster = reverse("members:roster")
    mix = [
        ("district dashboard (quarter)", reverse("reports:org_dashboard", args=[district.pk])),
        ("branch list", branch_list),
        ("branch list, page 5", branch_list + "?page=5"),
        ("branch page (first)", reverse("branches:branch_detail", args=[branches[0]])),
        (
            "branch page (middle)",
            reverse("branches:branch_detail", args=[middle]),
        ),
        ("branch page (last)", reverse("branches:branch_detail", args=[branches[-1]])),
        ("roster", roster),
        ("roster, page 3", roster + "?page=3"),
    ]
    return {"dashboards": board, "mix": mix}


def login_cookie() -> str:
    """A session of the demo `district` login, in the database (both variants read it)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="district"))
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


# --- Single requests -------------------------------------------------------------------


def profile(args, sets) -> list[dict]:
    """Per page: median ms in-process (warm), queries, and one pyinstrument profile each
    (bench/results/profile-<set>-<n>.txt)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="district"))
    rows = []
    RESULTS.mkdir(exist_ok=True)
    for name in args.sets:
        for n, (label, url) in enumerate(sets[name]):
            client.get(url)  # warm: the dashboards' cache filled
            queries = base.count_queries(client, url)
            times, cpu = [], []
            for _ in range(args.requests):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            try:
                from pyinstrument import Profiler
            except ImportError:  # requirements-dev.txt has it
                Profiler = None
            if Profiler is not None:
                profiler = Profiler(interval=0.0005)
                profiler.start()
                client.get(url)
                profiler.stop()
                text = profiler.output_text(unicode=True, color=False, show_all=False)
                (RESULTS / f"profile-{name}-{n}.txt").write_text(
                    f"{label} {url}\n{text}", encoding="utf-8"
                )
            rows.append(
                {
                    "set": name,
                    "page": label,
                    "median_ms": statistics.median(times),
                    "cpu_ms": statistics.median(cpu),
                    "queries": queries,
                    "bytes": len(response.content),
                }
            )
            print(
                f"  {name:<10} {label:<44} {rows[-1]['median_ms']:7.1f} ms "
                f"{rows[-1]['cpu_ms']:7.1f} CPU ms {queries:3d} q"
            )
    return rows


# --- Load ------------------------------------------------------------------------------


def gunicorn_command(checkout: Path, port: int, extra: str) -> list[str]:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "retiree_party.wsgi"]
    if (checkout / GUNICORN_CONF).exists():
        command += ["-c", GUNICORN_CONF]
    else:  # the command line of bench/dashboards.py before the config file
        command += ["--workers", "2", "--timeout", "120"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return command + extra.split()


def load(args, checkout: Path, database_url: str, pages, cookie, extra="", nodes=0) -> dict:
    """One load run: a gunicorn on 127.0.0.1 (nodes=0), or `nodes` gunicorns behind
    nginx over HTTPS."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "retiree_party.settings",
        "PYTHONPATH": str(checkout),
    }
    ports = [dashboards.free_port() for _ in range(max(nodes, 1))]
    servers = [
        subprocess.Popen(
            gunicorn_command(checkout, port, extra),
            cwd=checkout,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    front = None
    base_url = f"http://127.0.0.1:{ports[0]}"
    https = ssl.create_default_context()
    https.check_hostname, https.verify_mode = False, ssl.CERT_NONE  # the bench's own cert
    try:
        for port in ports:
            base.wait_until_up(f"http://127.0.0.1:{port}", tries=150)
        if nodes:
            front, base_url = nginx_front(ports)
        for _ in range(4 * len(ports)):  # each worker's cache warm (workers take turns)
            for path in pages:
                request = urllib.request.Request(base_url + path, headers={"Cookie": cookie})  # noqa: S310
                with urllib.request.urlopen(request, timeout=60, context=https) as response:  # noqa: S310 (loopback)
                    response.read()
                    assert response.status == 200, (path, response.status)
        cpu_before = sum(worker_cpu_seconds(server.pid) for server in servers)
        result = wrk(args, base_url, pages, cookie)
        result["cpu_ms"] = (sum(worker_cpu_seconds(s.pid) for s in servers) - cpu_before) * 1000
    finally:
        if front is not None:
            front.terminate()
            front.wait(timeout=30)
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    return result


def nginx_front(ports: list[int]) -> tuple[subprocess.Popen, str]:
    """Debian's nginx on a free port with a self-signed certificate, running the shipped
    snippets (deploy/nginx/portal-http.conf, portal-proxy.conf) over an upstream of the
    given gunicorn ports, as deploy/nginx/portal.conf does. Returns (process, base URL)."""
    work = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", str(work / "key.pem"),
            "-out", str(work / "cert.pem"),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    deploy = ROOT / "deploy" / "nginx"
    proxy = (deploy / "portal-proxy.conf").read_text(encoding="utf-8")
    proxy = proxy.replace("/srv/portal/staticfiles/", f"{ROOT}/staticfiles/").replace(
        "/srv/portal/static;", f"{ROOT}/static;"
    )
    (work / "portal-proxy.conf").write_text(proxy, encoding="utf-8")
    port = dashboards.free_port()
    servers = "".join(f"server 127.0.0.1:{p}; " for p in ports)
    temp = " ".join(
        f"{kind}_temp_path {work}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (work / "nginx.conf").write_text(
        f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    {temp}
    include {deploy}/portal-http.conf;
    upstream portal_app {{ {servers} keepalive 32; }}
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {work}/cert.pem;
        ssl_certificate_key {work}/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:bench_tls:10m;
        set $portal_upstream portal_app;
        include {work}/portal-proxy.conf;
    }}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        ["nginx", "-c", str(work / "nginx.conf"), "-p", f"{work}/", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"https://localhost:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    return process, base_url


def worker_cpu_seconds(master: int) -> float:
    """CPU seconds (user + system) the gunicorn workers under `master` have used: unlike
    requests a second, a request's CPU time hardly moves with the load of the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    children = Path(f"/proc/{master}/task/{master}/children")
    for pid in children.read_text().split() if children.exists() else []:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(args, base_url, pages, cookie) -> dict:
    binary = "/usr/bin/wrk"
    if not os.access(binary, os.X_OK):
        result = dashboards.python_load(
            base_url, pages, cookie, connections=args.connections, seconds=args.load_seconds
        )
        return result
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            dashboards.WRK_SCRIPT
            % {"paths": ", ".join(json.dumps(p) for p in pages), "cookie": cookie}
        )
    try:
        output = subprocess.run(
            [
                binary,
                "-t2",
                f"-c{args.connections}",
                f"-d{args.load_seconds}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=args.load_seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(li for li in output.splitlines() if li.startswith("WRKJSON "))
    result = json.loads(line.removeprefix("WRKJSON "))
    result["tool"] = "wrk"
    return result


def compare_checkout(ref: str) -> Path:
    """The ref in a temporary git worktree (removed at the end)."""
    where = Path(tempfile.mkdtemp(prefix="bench-pages-")) / "checkout"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(where), ref],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (where / ".venv").symlink_to(ROOT / ".venv")
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "manage.py",
            "compilemessages",
            "--ignore=.venv",
            "--ignore=node_modules",
            "-v",
            "0",
        ],
        cwd=where,
        check=True,
    )
    return where


def remove_checkout(where: Path) -> None:
    subprocess.run(
        ["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, capture_output=True
    )


def report(args, rows, loads) -> str:
    import django

    lines = [
        f"Pages benchmark {time.strftime('%Y-%m-%d %H:%M')}: Django {django.get_version()}, "
        f"database {args.db_prefix}_{args.size}, {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.1f} at the end).",
    ]
    if rows:
        lines += [
            "",
            "Single requests (test client in-process, warm, median; CPU: this process's):",
            f"  {'set':<10} {'page':<44} {'ms':>7} {'CPU ms':>7} {'queries':>7} {'KB':>6}",
        ]
        for r in rows:
            lines.append(
                f"  {r['set']:<10} {r['page']:<44} {r['median_ms']:7.1f} {r['cpu_ms']:7.1f} "
                f"{r['queries']:7d} "
                f"{r['bytes'] / 1024:6.0f}"
            )
    if loads:
        lines += [
            "",
            f"Load: wrk, {args.connections} connections, {args.load_seconds} s per run, "
            + (
                "through nginx over HTTPS to gunicorn node(s) on 127.0.0.1"
                if args.nginx
                else "gunicorn on 127.0.0.1"
            )
            + ", the pages of the set in turn:",
            f"  {'set':<10} {'code':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'non-2xx':>7} {'CPU ms/req':>10}  aim",
        ]
        for r in loads:
            rps = r["requests"] / r["seconds"]
            met = rps >= AIM_RPS and r["p95_ms"] <= AIM_P95_MS and not r["errors"] + r["non_2xx"]
            lines.append(
                f"  {r['set']:<10} {r['code']:<34} {r['requests']:8d} {rps:7.1f} "
                f"{r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f} {r['errors']:6d} "
                f"{r['non_2xx']:7d} {r.get('cpu_ms', 0) / max(r['requests'], 1):10.1f}  "
                f"{'met' if met else 'not met'}"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL") or base.DEFAULT_DATABASE_URL
    database_url = base.with_database(admin_url, f"{args.db_prefix}_{args.size}")
    dashboards.DB_PREFIX = args.db_prefix
    base.setup_django(database_url)
    if not base.seeded():
        sys.exit(
            f"bench: {args.db_prefix}_{args.size} is empty: run bench/dashboards.py "
            f"--sizes {args.size} --db-prefix {args.db_prefix} first"
        )
    sets = page_sets()
    unknown = set(args.sets) - set(sets)
    if unknown:
        sys.exit(f"bench: unknown sets {sorted(unknown)}; known: {sorted(sets)}")
    rows = profile(args, sets) if args.profile else []
    loads = []
    if args.load_seconds:
        cookie = login_cookie()
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        variants = [(f"this ({head})", ROOT, args.gunicorn_args)]
        before = None
        try:
            if args.compare:
                before = compare_checkout(args.compare)
                variants.insert(0, (f"before ({args.compare})", before, ""))
            for name in args.sets:
                urls = [url for _label, url in sets[name]]
                for _round in range(args.rounds):
                    for (code, checkout, extra), nodes in itertools.product(variants, args.nodes):
                        front = f", nginx + {nodes} node{'s' * (nodes > 1)}" * args.nginx
                        print(f"bench: {name} on {code}{front} ...", flush=True)
                        result = load(
                            args, checkout, database_url, urls, cookie, extra,
                            nodes=nodes if args.nginx else 0,
                        )  # fmt: skip
                        result.update(set=name, code=code + front)
                        loads.append(result)
                        print(f"  {report(args, [], [result]).splitlines()[-1]}", flush=True)
        finally:
            if before is not None:
                remove_checkout(before)
    text = report(args, rows, loads)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages.txt").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    main()
