"""Rebuild ehts_data/benchmark_data/ (the subset of DfE and ONS statistics the scorecard ships)
from the published files: `python scripts/build_benchmarks.py ../shared/benchmarks/dfe`.

Every value is copied unchanged, DfE's symbols (c, x, z, k, u) included; only the columns and
rows the scorecard reads are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

OUT = Path(__file__).resolve().parent.parent / "ehts_data" / "benchmark_data"
PLACE = "time_period, geographic_level, region_code, region_name, old_la_code, new_la_code, la_name"
FACTORS = sorted(
    {
        line.split(",")[1]
        for line in (OUT / "need_factor_map.csv").read_text().splitlines()[1:]
        if line
    }
)
SUBSETS = {
    "dfe_referrals.csv": (
        "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
        f"{PLACE}, referral_count, rereferral_count, rereferral_percent",
    ),
    "dfe_assessment_factors.csv": (
        "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
        f"{PLACE}, Episodes_with_assessment_factor, {', '.join(FACTORS)}",
    ),
    "ons_children_0_17.csv": (
        "ons_mid-year_population_estimates_2012_to_2024.csv",
        f"{PLACE}, population_estimate",
    ),
    "dfe_statistical_neighbours.csv": (
        "sn_model_2025_wide.csv",
        "old_la_code, la_name, region_name, " + ", ".join(f"SN_{i}" for i in range(1, 11)),
    ),
}


def main(source: Path) -> None:
    con = duckdb.connect()
    for name, (file, columns) in SUBSETS.items():
        path = str(source / file)
        con.execute(
            f"copy (select {columns} from read_csv($path, all_varchar = true, header = true)) "
            f"to '{OUT / name}' (header, delimiter ',')",
            {"path": path},
        )
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/benchmarks/dfe"))
