"""Write realistic, messy department exports for every file adapter into a folder (open311 reads a
live server, not a file).

Run: .venv/bin/python scripts/make_department_data.py OUT [--orders N] [--seed S]

Deterministic for a seed. Then, for instance:
    hub sync hotline-12345 --source OUT/hotline-orders.csv
    hub sync departments-csv --source OUT/roster
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from adapters.testdata.hotline import make_hotline_export
from adapters.testdata.others import (
    make_grid_collection,
    make_urban_export,
    write_department_files,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=12345)
    options = parser.parse_args()
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    export = make_hotline_export(options.orders, seed=options.seed)
    export.write_jsonl(out / "hotline-orders.jsonl")
    export.write_csv(out / "hotline-orders.csv", encoding="gb18030")
    make_urban_export(options.orders // 10 or 1, seed=options.seed).write(out / "urban.jsonl")
    grids = make_grid_collection("110102020001")
    (out / "grids.geojson").write_text(json.dumps(grids, ensure_ascii=False), encoding="utf-8")
    write_department_files(out / "roster")
    print(
        f"wrote {export.records} hotline records ({export.orders} orders, {export.bad} bad), "
        f"urban reports, grids and a roster to {out}"
    )


if __name__ == "__main__":
    main()
