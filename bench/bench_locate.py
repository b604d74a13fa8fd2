"""Benchmark: how fast can the hub turn WGS84 points into unit grid codes?

Run: .venv/bin/python bench/bench_locate.py  (about half a minute; prints a markdown table)

Baselines, measured in the same run on the same random points:
* the per-point Python loop a first implementation would write (`Locator.locate` per point);
* the textbook vectorised route, `STRtree.query(points, predicate="intersects")`;
* a naive per-point `shapely.contains` over the 16 district polygons (no index, unprepared),
  which only finds the district, let alone the grid.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import shapely

from hub.geo.locator import Locator
from hub.geo.synth import build_city

POINTS = 1_000_000
LOOP_SAMPLE = 20_000
NAIVE_SAMPLE = 2_000
REPEATS = 3
SEED = 20240601

T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def best_of(action: Callable[[], T], repeats: int = REPEATS) -> tuple[T, float]:
    runs = [timed(action) for _ in range(repeats)]
    return runs[0][0], min(seconds for _, seconds in runs)


def main() -> None:
    city, build_seconds = timed(build_city)
    locator, index_seconds = timed(lambda: Locator.from_city(city))
    # Fresh copies: build_city leaves its regions prepared, and a naive baseline would not be.
    districts = shapely.from_wkb(shapely.to_wkb([d.geometry for d in city.districts]))
    minx, miny, maxx, maxy = shapely.total_bounds(districts)
    rng = np.random.default_rng(SEED)
    lngs, lats = rng.uniform(minx, maxx, POINTS), rng.uniform(miny, maxy, POINTS)

    found, many_seconds = best_of(lambda: locator.locate_many(lngs, lats))
    sample = list(zip(lngs[:LOOP_SAMPLE], lats[:LOOP_SAMPLE], strict=True))
    loop_found, loop_seconds = timed(lambda: [locator.locate(x, y) for x, y in sample])
    if loop_found != found[:LOOP_SAMPLE]:
        raise SystemExit("locate_many and locate disagree")

    def strtree_query() -> list[str | None]:
        # The textbook vectorised route: Point objects + STRtree.query(predicate="intersects").
        pairs = tree.query(shapely.points(lngs, lats), predicate="intersects")
        best = np.full(POINTS, len(codes))
        np.minimum.at(best, pairs[0], pairs[1])
        hit = best < len(codes)
        out = np.full(POINTS, None, dtype=object)
        out[hit] = codes[best[hit]]
        result: list[str | None] = out.tolist()
        return result

    ordered = sorted(city.grids, key=lambda g: g.code)
    codes = np.array([g.code for g in ordered], dtype=object)
    tree = shapely.STRtree([g.geometry for g in ordered])
    tree_found, tree_seconds = timed(strtree_query)
    if tree_found != found:
        raise SystemExit("locate_many and the STRtree route disagree")

    def naive() -> list[int | None]:
        answers: list[int | None] = []
        for x, y in zip(lngs[:NAIVE_SAMPLE], lats[:NAIVE_SAMPLE], strict=True):
            point = shapely.Point(x, y)
            answers.append(next((i for i, d in enumerate(districts) if d.contains(point)), None))
        return answers

    _, naive_seconds = timed(naive)

    many_rate = POINTS / many_seconds
    loop_rate = LOOP_SAMPLE / loop_seconds
    naive_rate = NAIVE_SAMPLE / naive_seconds
    tree_rate = POINTS / tree_seconds
    inside = sum(code is not None for code in found)
    rows = [
        ("`build_city()`", f"{build_seconds:.2f} s", ""),
        ("`Locator.from_city()`", f"{index_seconds:.2f} s", ""),
        (
            "grids / communities / streets",
            f"{len(city.grids):,} / {len(city.communities):,} / {len(city.streets)}",
            "",
        ),
        (
            f"`locate_many`, {POINTS:,} points (best of {REPEATS})",
            f"{many_rate:,.0f} points/s",
            f"{many_rate / loop_rate:,.0f}×",
        ),
        ("points inside the city", f"{inside / POINTS:.1%}", ""),
        (
            f"baseline: `locate` per point, Python loop ({LOOP_SAMPLE:,})",
            f"{loop_rate:,.0f} points/s",
            "1×",
        ),
        (
            f"`STRtree.query(points, predicate='intersects')`, {POINTS:,} points",
            f"{tree_rate:,.0f} points/s",
            f"{tree_rate / loop_rate:,.0f}×",
        ),
        (
            f"naive `contains` over 16 districts, per point ({NAIVE_SAMPLE:,})",
            f"{naive_rate:,.0f} points/s",
            f"{naive_rate / loop_rate:.2f}×",
        ),
    ]
    print("| figure | value | ratio to baseline |")
    print("| --- | --- | --- |")
    for figure, value, ratio in rows:
        print(f"| {figure} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
