"""Run every benchmark behind BENCHMARKS.md (`make bench`).

PostgreSQL figures use the admin URL in HUB_BENCH_POSTGRES_URL (default: the local server).
"""

from __future__ import annotations

import os
import subprocess
import sys

POSTGRES = os.environ.get(
    "HUB_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def main() -> None:
    for title, command in (
        ("Locating points", [sys.executable, "-m", "bench.bench_locate"]),
        ("Building the demo", [sys.executable, "-m", "bench.bench_demo", "--postgres", POSTGRES]),
        (
            "Adapters: hotline-12345 end to end",
            [sys.executable, "-m", "bench.bench_adapters", "--postgres", POSTGRES],
        ),
        ("Webhooks out: deliveries and latency", [sys.executable, "-m", "bench.bench_webhooks"]),
        (
            "The 12345 centre's steps and the warning pass",
            [sys.executable, "-m", "bench.bench_orders", "--postgres", POSTGRES],
        ),
        (
            "Live subscriptions: fan-out to 10,000",
            [sys.executable, "-m", "bench.bench_subscriptions", "--postgres", POSTGRES],
        ),
        ("The whistle board with 1,000 whistles", [sys.executable, "-m", "bench.bench_board"]),
    ):
        print(f"\n## {title}\n", flush=True)
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
