"""Lighthouse (mobile) on the home page, an article, /book/ and a service page, served the way
production serves them.

    make lighthouse            # or: python bench/lighthouse.py

Needs Node.js with npm (``make lighthouse`` installs the pinned Lighthouse from
``bench/lighthouse/package-lock.json`` into ``bench/lighthouse/node_modules``) and Chromium
(``CHROME_PATH``, default ``/usr/bin/chromium``). Builds a throwaway SQLite database in a
temporary folder, seeds the demo data, collects the static files as the image does
(``DJANGO_DEBUG=0``: hashed and compressed, served by whitenoise), starts gunicorn with
``gunicorn.conf.py`` on a free loopback port, and runs Lighthouse's default mobile configuration
(a mid-range phone on a slow 4G connection, simulated) ``LIGHTHOUSE_RUNS`` times (default 3) on
each page. It prints the four category scores and FCP, LCP, TBT and CLS of each page's median
run, keeps that run's report in ``var/lighthouse/`` and removes everything else it made. Nothing
leaves the machine: the site loads nothing from elsewhere and Chromium's own background
requests are switched off. Exits 1 when a page misses the targets (accessibility, best
practices and SEO 100, performance 95 or more).
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# bench/ holds http.py, which would hide the standard library's http from urllib: the
# repository root goes first instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import urllib.request  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent
LIGHTHOUSE = BASE_DIR / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
REPORTS = BASE_DIR / "var" / "lighthouse"
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))
RUN_TIMEOUT = 180
TRIES = 3
START_TIMEOUT = 30
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
METRICS = {
    "FCP": "first-contentful-paint",
    "LCP": "largest-contentful-paint",
    "TBT": "total-blocking-time",
    "CLS": "cumulative-layout-shift",
}
CHROME_FLAGS = [
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    *(["--no-sandbox"] if os.geteuid() == 0 else []),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(workdir: Path, port: int) -> dict[str, str]:
    """The settings compose runs with on plain HTTP, with a database and uploads of its own."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "lighthouse-only-" + os.urandom(24).hex(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{workdir / 'lighthouse.db'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "CACHE_URL": "",
        "CELERY_BROKER_URL": "",
        "EMAIL_URL": "consolemail://",
    }


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def pages_to_measure(env: dict[str, str]) -> dict[str, str]:
    """The four pages by name, the article and service being the first the site lists."""
    found = manage(
        env,
        "shell",
        "-c",
        "from blog.selectors import article_list_published as a;"
        "from booking.selectors import service_list_active as s;"
        "print(a().first().get_absolute_url(), s().first().get_absolute_url())",
    ).split()
    article, service = found[-2:]
    return {"home": "/", "article": article, "book": "/book/", "service": service}


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "spatheory.wsgi",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped at start:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    sys.exit(f"gunicorn did not answer /healthz within {START_TIMEOUT} s:\n{log.read_text()}")


class RunFailed(Exception):
    pass


def lighthouse(url: str, prefix: Path) -> dict:
    """One Lighthouse run with its default (mobile) configuration, as parsed JSON; the JSON and
    HTML reports are left at ``<prefix>.report.json`` and ``<prefix>.report.html``."""
    output = prefix.with_name(prefix.name + ".report.json")
    done = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--output=json",
            "--output=html",
            f"--output-path={prefix}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--disable-full-page-screenshot",
            f"--chrome-flags={' '.join(CHROME_FLAGS)}",
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": CHROME_PATH},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    if done.returncode or not output.exists():
        raise RunFailed(done.stderr[-3000:])
    report = json.loads(output.read_text())
    if report.get("runtimeError"):
        raise RunFailed(report["runtimeError"]["message"])
    if report["configSettings"]["formFactor"] != "mobile":
        sys.exit("Lighthouse did not run its mobile configuration")
    report["prefix"] = str(prefix)
    return report


def measure(url: str, prefix: Path) -> dict:
    """A run, tried again when Lighthouse loses its trace (it can on a busy machine)."""
    for attempt in range(1, TRIES + 1):
        try:
            return lighthouse(url, prefix)
        except RunFailed as failure:
            print(f"  try {attempt} of {TRIES} failed: {failure}", file=sys.stderr)
    sys.exit(f"Lighthouse failed {TRIES} times on {url}")


def scores(report: dict) -> dict[str, int]:
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


@dataclass
class PageResult:
    name: str
    path: str
    runs: list[dict]

    @property
    def median(self) -> dict:
        """The run whose performance score is the median (the lower middle for an even count)."""
        ranked = sorted(self.runs, key=lambda report: scores(report)["performance"])
        return ranked[(len(ranked) - 1) // 2]

    def shortfalls(self) -> list[str]:
        """What keeps the page under target: each failing audit that counts towards a score."""
        report = self.median
        missed = []
        for name in CATEGORIES:
            if scores(report)[name] >= TARGETS[name]:
                continue
            for ref in report["categories"][name]["auditRefs"]:
                audit = report["audits"][ref["id"]]
                if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                    shown = audit.get("displayValue", "")
                    missed.append(f"{name}: {audit['title']} {shown}".rstrip())
        return missed


def summary(results: list[PageResult]) -> str:
    """Which Lighthouse and browser measured, how, and how fast this machine was meanwhile
    (Lighthouse's CPU benchmark; it expects about 1000 or more for its 4x slowdown)."""
    first = results[0].median
    cpu = first["configSettings"]["throttling"]["cpuSlowdownMultiplier"]
    benchmark = statistics.median(
        run["environment"]["benchmarkIndex"] for result in results for run in result.runs
    )
    return (
        f"Lighthouse {first['lighthouseVersion']} on {first['environment']['hostUserAgent']}\n"
        f"mobile: simulated slow 4G and {cpu:g}x CPU slowdown; median of {RUNS} runs a page; "
        f"CPU benchmark index {benchmark:.0f}"
    )


def table(results: list[PageResult]) -> str:
    header = ["page", "path", *CATEGORIES, *METRICS, "each run's performance"]
    rows = [header]
    for result in results:
        audits = result.median["audits"]
        rows.append(
            [
                result.name,
                result.path,
                *(str(value) for value in scores(result.median).values()),
                *(audits[audit]["displayValue"].replace("\xa0", " ") for audit in METRICS.values()),
                " ".join(str(scores(run)["performance"]) for run in result.runs),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def build_site(workdir: Path, port: int) -> tuple[dict[str, str], dict[str, str]]:
    """The production settings, a migrated and seeded database and the collected static files;
    returns the settings and the pages to measure."""
    env = production_env(workdir, port)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--noinput")
    return env, pages_to_measure(env)


def measure_pages(origin: str, pages: dict[str, str], workdir: Path) -> list[PageResult]:
    for path in pages.values():
        # First requests load the zip-code data and fill the article cache.
        urllib.request.urlopen(origin + path, timeout=30).close()
    results = []
    for name, path in pages.items():
        runs = []
        for run in range(1, RUNS + 1):
            print(f"{name} {path}: run {run} of {RUNS}", file=sys.stderr, flush=True)
            runs.append(measure(origin + path, workdir / f"{name}-{run}"))
        results.append(PageResult(name=name, path=path, runs=runs))
    return results


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def main() -> None:
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: make lighthouse (npm ci in bench/lighthouse)")
    if not Path(CHROME_PATH).exists():
        sys.exit(f"No Chromium at {CHROME_PATH}: apt-get install chromium, or set CHROME_PATH")
    workdir = Path(tempfile.mkdtemp(prefix="spatheory-lighthouse-"))
    try:
        port = free_port()
        env, pages = build_site(workdir, port)
        server = serve(env, port, workdir / "gunicorn.log")
        try:
            results = measure_pages(f"http://127.0.0.1:{port}", pages, workdir)
        finally:
            stop(server)
        REPORTS.mkdir(parents=True, exist_ok=True)
        for result in results:
            for kind in ("json", "html"):
                shutil.copy(
                    f"{result.median['prefix']}.report.{kind}", REPORTS / f"{result.name}.{kind}"
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(summary(results))
    print(table(results))
    missed = False
    for result in results:
        if shortfalls := result.shortfalls():
            missed = True
            print(f"{result.name} under target:", *shortfalls, sep="\n  ")
    print(f"the median runs' reports: {REPORTS.relative_to(BASE_DIR)}/<page>.html")
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
