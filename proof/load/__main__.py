"""``make load``: a shopping day (payments : reads : charges = 5 : 3 : 1) by ``--users``
residents for ``--seconds``, with locust, against the app served with its own database.
Reports throughput, p50/p95/p99 and the error rate, warns when the load generator or the
machine was the bottleneck, and rewrites docs/proof.md "## load".

    python -m proof.load [--users 50] [--seconds 60] [--no-doc]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proof import doc
from proof.fuzz import people, served
from proof.load import measure, population

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_ERROR_RATE = 0.01


def run_locust(base_url: str, town: Path, users: int, seconds: int, folder: Path) -> measure.Run:
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base_url,
        "-u",
        str(users),
        "-r",
        str(max(1, users // 10)),
        "-t",
        f"{seconds}s",
        "--csv",
        str(folder / "load"),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    env = os.environ | {"PROOF_LOAD_PEOPLE": str(town)}
    with (folder / "locust.log").open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampled = measure.watch(process, timeout=seconds + 60)
    return measure.read(folder / "load_stats.csv", sampled)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m proof.load", description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/proof.md")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="meguri-load-"))
    with served.serve() as app:
        creds = app.demo_credentials()["staff"][0]
        staff = people.Login(creds["username"], creds["password"], creds["username"])
        started = time.monotonic()
        population.build(app.base_url, staff, args.users, folder / "town.json")
        print(
            f"load: {args.users} residents ready in {time.monotonic() - started:.0f} s; "
            f"{args.seconds} s of shopping …",
            flush=True,
        )
        run = run_locust(app.base_url, folder / "town.json", args.users, args.seconds, folder)
    summary = measure.render(run, users=args.users, seconds=args.seconds)
    print(summary)
    print(f"(locust log and CSV: {folder})")
    if not args.no_doc:
        doc.rewrite("load", summary)
    # A load run fails when nothing got through or more than 1 % of requests failed.
    return 0 if run.requests and run.failures <= run.requests * MAX_ERROR_RATE else 1


if __name__ == "__main__":
    sys.exit(main())
