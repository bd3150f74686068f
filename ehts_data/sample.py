"""The synthetic city: a realistic extract in the data contract's format, at any scale.

Deterministic for a seed. Vectorised with numpy so that national scale (millions of children)
is generated in minutes; files are written by DuckDB.

What makes it look real (see docs/sample-data.md): a deprivation gradient across localities
and within them across small areas (contract 1.1: areas, catchments, populations by area),
dips in August and late December and at weekends, siblings referred together, re-referrals and
re-entries at the rates councils publish, step-downs after social care, step-ups, transfers,
open episodes at the extract date, and needs that co-occur (domestic abuse with parental mental
health and substance use).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ehts_data import contract
from ehts_data.contract import codes

LAST_FY_START = 2025  # the sample's newest financial year is 2025-26 (fixed: outputs are stable)
CENTRE = (50.905, -2.310)  # a fictional city; the map needs no tiles, only these shapes
DEFAULT_LOCALITIES = (
    # id, name, share of children, mean IMD decile, demand multiplier
    ("NTH", "Northgate", 0.28, 2.6, 1.45),
    ("RIV", "Riverside", 0.26, 4.0, 1.15),
    ("WST", "Westbrook", 0.24, 6.0, 0.80),
    ("EST", "Eastcliff", 0.22, 8.2, 0.55),
)
HUB_NAMES = {
    "NTH": ("Northgate Family Hub", "Moor Lane Satellite", "St Anne's Satellite"),
    "RIV": ("Riverside Family Hub", "Quayside Satellite", "Mill Street Satellite"),
    "WST": ("Westbrook Family Hub", "Orchard Park Satellite", "Fernhill Satellite"),
    "EST": ("Eastcliff Family Hub", "Harbour View Satellite", "Beacon Satellite"),
}
REQUESTS_PER_CHILD_YEAR = 0.105  # ≈ 1,050 requests per 10,000 children aged 0-19 a year
# Small areas (contract 1.1): about one per this many resident children aged 0-19, like an
# LSOA (England: 12 million children, 33,755 LSOAs), so a few dozen per locality of the sample
# city and tens of thousands nationally.
CHILDREN_PER_AREA = 400
NO_AREA_SHARE = 0.015  # families whose address matched no small area
AREA_NAME_STEMS = (
    "Ash",
    "Beech",
    "Bramble",
    "Brook",
    "Castle",
    "Church",
    "Clay",
    "Elm",
    "Fair",
    "Fern",
    "Hazel",
    "Holly",
    "Kings",
    "Lark",
    "Marsh",
    "Meadow",
    "Mill",
    "Oak",
    "Pine",
    "Queens",
    "Rose",
    "Sand",
    "Stone",
    "Thorn",
    "Well",
    "Willow",
    "Alder",
    "Bell",
    "Cherry",
    "Heath",
)
AREA_NAME_ENDINGS = (
    "field",
    "wood",
    "gate",
    "ley",
    "brook",
    "hill",
    "side",
    "croft",
    "green",
    "ton",
    "bury",
    "moor",
    "dene",
    "lands",
)
# The authority's 0-19 population by sex and by ethnic group (population_groups.csv): close to
# a less diverse than average English city (Census 2021 children); the children known to the
# service are drawn with nearly the same mix, Asian families a little under-represented and
# mixed-ethnicity children a little over-represented, as councils often report.
POPULATION_SEX = {"female": 0.487, "male": 0.513}
POPULATION_ETHNIC = {"white": 0.805, "mixed": 0.05, "asian": 0.085, "black": 0.035, "other": 0.025}


def _pick(rng: np.random.Generator, options, probs, size: int) -> np.ndarray:
    """Indices into options, drawn with the given (normalised) probabilities."""
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(options), size=size, p=p / p.sum())


def _pick_rows(rng: np.random.Generator, prob_matrix: np.ndarray) -> np.ndarray:
    """One draw per row of a probability matrix (rows need not be normalised)."""
    cum = np.cumsum(prob_matrix, axis=1)
    u = rng.random(len(prob_matrix)) * cum[:, -1]
    return (cum < u[:, None]).sum(axis=1)


def _day_weights(first: np.datetime64, days: int) -> np.ndarray:
    """Relative demand per day: fewer requests at weekends, in August and late December."""
    day = first + np.arange(days)
    dow = (day.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
    month = day.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (day - day.astype("datetime64[M]")).astype(np.int64) + 1
    w = np.where(dow >= 5, 0.12, 1.0)
    w = w * np.where(month == 8, 0.55, 1.0)
    w = w * np.where((month == 12) & (dom >= 20), 0.35, 1.0)
    w = w * np.where((month == 1) & (dom <= 2), 0.3, 1.0)
    w = w * np.where(month == 9, 1.15, 1.0) * np.where(month == 4, 0.9, 1.0)
    return w / w.sum()


def _seasonal(rng: np.random.Generator, day: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Move days that fall on quiet dates (weekends, holidays) a little later, as returns
    to the service follow the same calendar as first requests."""
    relative = weights / weights.max()
    day = day.copy()
    for _ in range(4):
        inside = day < len(weights)
        quiet = inside & (rng.random(len(day)) > relative[np.minimum(day, len(weights) - 1)])
        day[quiet] += rng.integers(1, 10, quiet.sum())
    return day


def _ids(prefix: str, n: int, width: int | None = None) -> np.ndarray:
    width = width or max(len(str(n)), 5)
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _localities(children: int):
    if children <= 150_000:
        return list(DEFAULT_LOCALITIES)
    # Larger runs (region, nation) are many council-sized localities with the same gradient.
    n = children // 15_000
    out = []
    for i in range(n):
        imd = 1.8 + 7.4 * (i % 10) / 9
        out.append((f"L{i + 1:04d}", f"Locality {i + 1:04d}", 1.0 / n, imd, 1.6 - 0.11 * (i % 10)))
    return out


def generate(
    children: int = 60_000,
    years: int = 5,
    seed: int = 2026,
    requests_per_child_year: float = REQUESTS_PER_CHILD_YEAR,
) -> dict[str, object]:
    """Every contract file as a DataFrame (and the GeoJSON as a dict), ready to write.

    `requests_per_child_year` raises demand for benchmarks (the national benchmark asks for
    30 million requests from 12 million children); the default is a realistic council.
    """
    rng = np.random.default_rng(seed)
    first_fy = LAST_FY_START - years + 1
    window_start = np.datetime64(f"{first_fy}-04-01")
    extract_date = np.datetime64(f"{LAST_FY_START + 1}-03-31")
    days = int((extract_date - window_start).astype(int)) + 1

    locs = _localities(children)
    n_loc = len(locs)
    loc_ids = np.array([loc[0] for loc in locs])
    loc_share = np.array([loc[2] for loc in locs])
    loc_imd = np.array([loc[3] for loc in locs])
    loc_demand = np.array([loc[4] for loc in locs])

    # ---- reference data ----
    localities = pd.DataFrame({"locality_id": loc_ids, "locality_name": [x[1] for x in locs]})
    hubs, geo = _hubs_and_shapes(rng, locs)

    # Population: ONS-style single years of age, slowly falling births, small year drift.
    age_profile = 1.0 + 0.01 * (np.arange(20) - 9.5)
    age_profile = age_profile / age_profile.sum()
    pop_rows = []
    for li in range(n_loc):
        base = children * loc_share[li] * age_profile
        for year in range(first_fy - 1, LAST_FY_START + 1):
            drift = 1 + 0.004 * (year - first_fy) + rng.normal(0, 0.003, 20)
            # Fewer babies each year: the youngest ages shrink a little faster.
            births = 1 - 0.01 * (year - first_fy) * (np.arange(20) < 5)
            pop_rows.append(
                pd.DataFrame(
                    {
                        "locality_id": loc_ids[li],
                        "year": year,
                        "age": np.arange(20),
                        "population": np.round(base * drift * births).astype(np.int64),
                    }
                )
            )
    population = pd.concat(pop_rows, ignore_index=True)
    # Small areas draw from their own generator, so the rest of the city stays as it was.
    area_rng = np.random.default_rng([seed, 11])
    areas, area_geo, area_loc, area_imd, area_share = _areas(area_rng, locs, hubs, geo, children)

    # ---- children known to the service, in families ----
    total_requests = children * requests_per_child_year * years
    n_children = int(total_requests / 1.38)
    child_loc_p = loc_share * loc_demand
    family_sizes = rng.choice(
        [1, 2, 3, 4], size=int(n_children / 1.45) + 10, p=[0.68, 0.2, 0.09, 0.03]
    )
    family_sizes = family_sizes[np.cumsum(family_sizes) <= n_children]
    n_families = len(family_sizes)
    n_children = int(family_sizes.sum())
    fam_loc = _pick(rng, loc_ids, child_loc_p, n_families)
    fam_imd = np.clip(np.round(rng.normal(loc_imd[fam_loc] - 0.8, 1.9)), 1, 10).astype(np.int64)
    fam_imd_missing = rng.random(n_families) < 0.025
    # A family lives in a small area of its locality, likelier in one as deprived as itself;
    # its own decile is then its area's (a decile comes from the address's area).
    fam_area = _family_areas(area_rng, fam_loc, fam_imd, area_loc, area_imd, area_share)
    fam_imd = np.where(fam_area >= 0, area_imd[np.maximum(fam_area, 0)], fam_imd)
    family_ids = _ids("F", n_families)
    families = pd.DataFrame(
        {
            "family_id": family_ids,
            "locality_id": loc_ids[fam_loc],
            "imd_decile": pd.array(np.where(fam_imd_missing, 0, fam_imd), dtype="Int64"),
        }
    )
    families.loc[fam_imd_missing, "imd_decile"] = pd.NA
    families["area_code"] = np.where(
        fam_area >= 0, areas["area_code"].to_numpy()[np.maximum(fam_area, 0)], ""
    )
    # Family-level adversity: deprived families carry more, and it shapes every need.
    fam_adversity = rng.normal(0, 1, n_families) + (5.5 - fam_imd) * 0.12

    child_family = np.repeat(np.arange(n_families), family_sizes)
    sibling_rank = np.arange(n_children) - np.repeat(
        np.cumsum(family_sizes) - family_sizes, family_sizes
    )

    # First request: seasonal day in the window; siblings often referred the same day.
    weights = _day_weights(window_start, days)
    own_day = rng.choice(days, size=n_children, p=weights)
    family_first = own_day[np.cumsum(family_sizes) - family_sizes]
    together = (sibling_rank > 0) & (rng.random(n_children) < 0.55)
    first_day = np.where(together, np.repeat(family_first, family_sizes), own_day)

    # Age at first request: some unborn (pre-birth referrals), peaks in early years and early teens.
    age_groups = np.array([-1, 0, 2, 4, 7, 10, 13, 15, 17])
    age_p = np.array([0.035, 0.09, 0.12, 0.11, 0.15, 0.17, 0.19, 0.1, 0.035])
    age_first = age_groups[_pick(rng, age_groups, age_p, n_children)] + rng.integers(
        0, 3, n_children
    )
    age_first = np.clip(age_first, -1, 18)
    first_date = window_start + first_day
    months_back = age_first * 12 + rng.integers(0, 12, n_children)
    months_back = np.where(age_first < 0, -rng.integers(1, 7, n_children), months_back)
    birth_month = first_date.astype("datetime64[M]") - months_back.astype("timedelta64[M]")
    child_ids = _ids("C", n_children)
    children_df = pd.DataFrame(
        {
            "child_id": child_ids,
            "family_id": family_ids[child_family],
            "birth_month": np.datetime_as_string(birth_month, unit="M"),
            "sex": np.array(codes(contract.Sex))[
                _pick(rng, codes(contract.Sex), [0.49, 0.495, 0.005, 0.01], n_children)
            ],
            "ethnic_group": np.array(codes(contract.EthnicGroup))[
                _pick(
                    rng,
                    codes(contract.EthnicGroup),
                    [0.8, 0.055, 0.065, 0.04, 0.02, 0.02],
                    n_children,
                )
            ],
            "send": np.array(["true", "false", ""])[
                _pick(rng, "tfu", [0.16, 0.79, 0.05], n_children)
            ],
        }
    )

    # ---- requests: first ones, then returns (re-referrals) ----
    req_child = [np.arange(n_children)]
    req_day = [first_day]
    current_child, current_day = np.arange(n_children), first_day
    adversity = fam_adversity[child_family]
    for _ in range(5):
        again = rng.random(len(current_child)) < np.clip(
            0.35 + 0.07 * adversity[current_child], 0.12, 0.6
        )
        soon = rng.random(again.sum()) < 0.62
        gap = np.where(
            soon,
            rng.integers(7, 365, again.sum()),
            rng.integers(366, 1100, again.sum()),
        )
        current_child = current_child[again]
        current_day = _seasonal(rng, current_day[again] + gap, weights)
        keep = current_day < days
        current_child, current_day = current_child[keep], current_day[keep]
        req_child.append(current_child)
        req_day.append(current_day)
    r_child = np.concatenate(req_child)
    r_day = np.concatenate(req_day)
    order = np.lexsort((r_child, r_day))
    r_child, r_day = r_child[order], r_day[order]
    n_req = len(r_child)
    r_date = window_start + r_day
    r_age = ((r_date.astype("datetime64[M]") - birth_month[r_child]).astype(np.int64)) // 12
    r_loc = fam_loc[child_family[r_child]]

    sources = codes(contract.Source)
    # rows: under 5 (or unborn), 5-15, 16+; columns in contract order
    source_p = np.array(
        [
            [0.16, 0.06, 0.2, 0.34, 0.06, 0.08, 0.04, 0.04, 0.02],
            [0.12, 0.38, 0.0, 0.14, 0.1, 0.08, 0.04, 0.09, 0.05],
            [0.18, 0.22, 0.0, 0.14, 0.18, 0.07, 0.07, 0.08, 0.06],
        ]
    )
    age_row = np.where(r_age < 5, 0, np.where(r_age < 16, 1, 2))
    r_source = _pick_rows(rng, source_p[age_row])

    decisions = codes(contract.Decision)
    decision_p = np.array([0.26, 0.36, 0.11, 0.09, 0.18])
    adv_r = adversity[r_child]
    dec_matrix = np.tile(decision_p, (n_req, 1))
    dec_matrix[:, 2] *= np.exp(0.35 * adv_r)  # targeted support for higher adversity
    dec_matrix[:, 3] *= np.exp(0.45 * adv_r)  # social care too
    r_decision = _pick_rows(rng, dec_matrix)
    undecided = (r_day > days - 21) & (rng.random(n_req) < 0.7) | (rng.random(n_req) < 0.004)

    # Receiving hub: mostly a hub in the family's locality; some to the citywide team or none.
    hubs_by_loc = [np.flatnonzero(hubs["locality_id"].to_numpy() == lid) for lid in loc_ids]
    hub_ids = hubs["hub_id"].to_numpy()
    tst_index = np.flatnonzero(hubs["hub_type"].to_numpy() == "targeted_support_team")
    local_slot = _pick(rng, range(3), [0.6, 0.22, 0.18], n_req)
    hub_table = np.array([h[:3] for h in hubs_by_loc])
    r_hub = hub_table[r_loc, local_slot]
    r_hub = np.where(rng.random(n_req) < 0.05, tst_index[r_loc % len(tst_index)], r_hub)
    no_hub = rng.random(n_req) < 0.04
    request_ids = _ids("R", n_req)
    requests = pd.DataFrame(
        {
            "request_id": request_ids,
            "child_id": child_ids[r_child],
            "received_date": r_date,
            "source": np.array(sources)[r_source],
            "hub_id": np.where(no_hub, "", hub_ids[r_hub]),
            "decision": np.where(undecided, "", np.array(decisions)[r_decision]),
        }
    )

    # ---- episodes ----
    episodes = _episodes(
        rng,
        requests,
        r_child,
        r_day,
        r_decision,
        undecided,
        r_hub,
        r_loc,
        adversity,
        hub_table,
        hub_ids,
        tst_index,
        child_ids,
        days,
        window_start,
        decisions,
    )
    assessments = _assessments(
        rng,
        episodes,
        children_df,
        birth_month,
        child_ids,
        fam_adversity,
        child_family,
        extract_date,
    )
    survey = _survey(rng, hubs, locs, first_fy, years)
    indicators = _indicators(rng, locs, first_fy, years)
    return {
        "localities.csv": localities,
        "hubs.csv": hubs,
        "population.csv": population,
        "families.csv": families,
        "children.csv": children_df,
        "requests.csv": requests,
        "episodes.csv": episodes,
        "assessments.csv": assessments,
        "survey_responses.csv": survey,
        "indicators.csv": indicators,
        "localities.geojson": geo,
        "areas.csv": areas,
        "population_areas.csv": _population_areas(
            population, areas, area_loc, area_imd, area_share
        ),
        "population_groups.csv": _population_groups(population),
        "areas.geojson": area_geo,
    }


def _hubs_and_shapes(rng, locs):
    """Three hubs per locality (one family hub, two satellites), citywide targeted teams,
    and a square-ish polygon per locality around the city centre."""
    n = len(locs)
    cols = math.ceil(math.sqrt(n))
    size = 0.06 if n <= 4 else 0.03
    rows, features = [], []
    for i, loc in enumerate(locs):
        lid = loc[0]
        r, c = divmod(i, cols)
        lat0 = CENTRE[0] + (r - 0.5 * (math.ceil(n / cols) - 1) - 0.5) * size
        lon0 = CENTRE[1] + (c - 0.5 * (cols - 1) - 0.5) * size * 1.6
        ring = [
            [round(lon0 + dx * size * 1.6, 5), round(lat0 + dy * size, 5)]
            for dx, dy in ((0, 0), (1, 0), (1, 1), (0, 1), (0, 0))
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"locality_id": lid, "locality_name": loc[1]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
        names = HUB_NAMES.get(lid) or (
            f"{loc[1]} Family Hub",
            f"{loc[1]} Satellite A",
            f"{loc[1]} Satellite B",
        )
        for j, (name, kind) in enumerate(
            zip(names, ("family_hub", "satellite_site", "satellite_site"), strict=True)
        ):
            rows.append(
                {
                    "hub_id": f"{lid}-{'FH' if j == 0 else f'S{j}'}",
                    "hub_name": name,
                    "hub_type": kind,
                    "locality_id": lid,
                    "latitude": round(lat0 + size * (0.3 + 0.4 * rng.random()), 5),
                    "longitude": round(lon0 + size * 1.6 * (0.2 + 0.6 * rng.random()), 5),
                }
            )
    for k in range(max(1, n // 4)):
        rows.append(
            {
                "hub_id": f"TST{k + 1:02d}" if n > 4 else "TST",
                "hub_name": "Citywide Targeted Support Team" + (f" {k + 1}" if n > 4 else ""),
                "hub_type": "targeted_support_team",
                "locality_id": "",
                "latitude": None,
                "longitude": None,
            }
        )
    return pd.DataFrame(rows), {"type": "FeatureCollection", "features": features}


def _areas(rng, locs, hubs, geo, children):
    """Small areas tiling each locality's square: a grid of cells whose inner corners are
    moved a little (so no cell is a square, and shared edges stay shared), about one per
    CHILDREN_PER_AREA children. Deprivation varies smoothly within a locality around its
    mean; each area lies in the catchment of the nearest family hub or satellite of its
    locality. Returns the areas table, their GeoJSON, and per area: locality index, IMD
    decile and share of its locality's children."""
    hub_rows = hubs[hubs["hub_type"] != "targeted_support_team"]
    rows, features, area_loc, area_imd, area_share = [], [], [], [], []
    for li, (loc, feature) in enumerate(zip(locs, geo["features"], strict=True)):
        ring = np.array(feature["geometry"]["coordinates"][0])
        (lon0, lat0), (lon1, lat1) = ring.min(axis=0), ring.max(axis=0)
        wanted = max(4, round(children * loc[2] / CHILDREN_PER_AREA))
        n_rows = max(2, round(math.sqrt(wanted)))
        n_cols = math.ceil(wanted / n_rows)
        # Corner lattice in the unit square, inner corners moved by up to 30% of a cell.
        u = np.tile(np.linspace(0, 1, n_cols + 1), (n_rows + 1, 1))
        v = np.tile(np.linspace(0, 1, n_rows + 1)[:, None], (1, n_cols + 1))
        inner = np.zeros_like(u, dtype=bool)
        inner[1:-1, 1:-1] = True
        u = u + inner * rng.uniform(-0.3, 0.3, u.shape) / n_cols
        v = v + inner * rng.uniform(-0.3, 0.3, v.shape) / n_rows
        lon = np.round(lon0 + u * (lon1 - lon0), 5)
        lat = np.round(lat0 + v * (lat1 - lat0), 5)
        # Deprivation: a smooth wave across the locality around its mean, plus local noise.
        cu = (np.arange(n_cols) + 0.5) / n_cols
        cv = (np.arange(n_rows) + 0.5) / n_rows
        phase = rng.uniform(0, 2 * math.pi, 2)
        wave = np.sin(2 * math.pi * cu[None, :] * 0.8 + phase[0]) * np.cos(
            2 * math.pi * cv[:, None] * 0.7 + phase[1]
        )
        noise = rng.normal(0, 1.1, (n_rows, n_cols))
        imd = np.clip(np.round(loc[3] - 0.3 + 2.2 * wave + noise), 1, 10).astype(np.int64)
        # More children live in the more deprived areas.
        weight = rng.lognormal(0, 0.25, (n_rows, n_cols)) * (1 + 0.06 * (5.5 - imd))
        share = weight / weight.sum()
        # Catchment: the nearest hub of the locality (longitude shrunk to distance at 51°N).
        local = hub_rows[hub_rows["locality_id"] == loc[0]]
        mid_lon = lon0 + (cu[None, :] * np.ones((n_rows, 1))) * (lon1 - lon0)
        mid_lat = lat0 + (cv[:, None] * np.ones((1, n_cols))) * (lat1 - lat0)
        distance = ((mid_lon[..., None] - local["longitude"].to_numpy()) * 0.63) ** 2 + (
            mid_lat[..., None] - local["latitude"].to_numpy()
        ) ** 2
        catchment = local["hub_id"].to_numpy()[distance.argmin(axis=-1)]
        names = _area_names(rng, n_rows * n_cols)
        for k, (r, c) in enumerate(np.ndindex(n_rows, n_cols)):
            code = f"X01{len(rows) + 1:06d}"
            corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c), (r, c)]
            rows.append((code, names[k], loc[0], catchment[r, c], int(imd[r, c])))
            features.append(
                {
                    "type": "Feature",
                    "properties": {"area_code": code, "area_name": names[k]},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[float(lon[i, j]), float(lat[i, j])] for i, j in corners]],
                    },
                }
            )
        area_loc.append(np.full(n_rows * n_cols, li))
        area_imd.append(imd.ravel())
        area_share.append(share.ravel())
    areas = pd.DataFrame(
        rows, columns=["area_code", "area_name", "locality_id", "hub_id", "imd_decile"]
    )
    return (
        areas,
        {"type": "FeatureCollection", "features": features},
        np.concatenate(area_loc),
        np.concatenate(area_imd),
        np.concatenate(area_share),
    )


def _area_names(rng, n: int) -> list[str]:
    """n made-up neighbourhood names, distinct within a locality (numbered beyond the stock)."""
    stock = [a + b for a in AREA_NAME_STEMS for b in AREA_NAME_ENDINGS]
    order = rng.permutation(len(stock))
    return [
        stock[order[k % len(stock)]] + ("" if k < len(stock) else f" {k // len(stock) + 1}")
        for k in range(n)
    ]


def _family_areas(rng, fam_loc, fam_imd, area_loc, area_imd, area_share) -> np.ndarray:
    """Each family's area (an index into the areas; -1 for the few with none): an area of its
    locality, drawn by its children's share and by how close its decile is to the family's."""
    n_loc = int(area_loc.max()) + 1
    width = int(np.bincount(area_loc).max())
    # Cumulative weights per (locality, decile) group, padded to one width and offset by the
    # group's number: one searchsorted over the flattened table draws every family at once.
    cum = np.ones((n_loc * 10, width))
    slot = np.arange(len(area_loc)) - np.searchsorted(area_loc, area_loc)
    for decile in range(1, 11):
        weight = area_share * np.exp(-((area_imd - decile) ** 2) / (2 * 1.2**2))
        table = np.zeros((n_loc, width))
        table[area_loc, slot] = weight
        table = np.cumsum(table, axis=1)
        table = table / table[:, -1:]
        cum[np.arange(n_loc) * 10 + decile - 1] = table
    group = fam_loc * 10 + fam_imd - 1
    offsets = np.arange(n_loc * 10)[:, None] + np.minimum(cum, 1.0)
    position = np.searchsorted(offsets.ravel(), group + rng.random(len(group)), side="right")
    local = np.minimum(position - group * width, width - 1)
    first = np.searchsorted(area_loc, np.arange(n_loc))
    area = first[fam_loc] + local
    return np.where(rng.random(len(group)) < NO_AREA_SHARE, -1, area)


def _apportion(totals: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Whole numbers shares[:, j] × totals[j] that add up to totals[j] exactly (largest
    remainders round up). shares: (parts, columns), each column summing to 1."""
    raw = shares * totals[None, :]
    base = np.floor(raw).astype(np.int64)
    short = totals - base.sum(axis=0)
    rank = np.argsort(-(raw - base), axis=0, kind="stable")
    extra = (np.arange(len(shares))[:, None] < short[None, :]).astype(np.int64)
    np.put_along_axis(base, rank, np.take_along_axis(base, rank, axis=0) + extra, axis=0)
    return base


def _population_areas(population, areas, area_loc, area_imd, area_share):
    """population.csv split over each locality's areas, by the areas' shares of children
    (deprived areas a little younger): the areas of a locality add up to its population for
    every year and age."""
    ages = np.arange(20)
    frames = []
    codes_ = areas["area_code"].to_numpy()
    for li, (locality_id, loc_pop) in enumerate(population.groupby("locality_id", sort=False)):
        in_loc = np.flatnonzero(area_loc == li)
        assert areas["locality_id"].iat[in_loc[0]] == locality_id
        young = 1 + 0.015 * (5.5 - area_imd[in_loc])[:, None] * (9.5 - ages)[None, :] / 9.5
        shares = area_share[in_loc][:, None] * young
        shares = shares / shares.sum(axis=0)
        years = loc_pop["year"].to_numpy()
        counts = _apportion(loc_pop["population"].to_numpy(), shares[:, loc_pop["age"].to_numpy()])
        frames.append(
            pd.DataFrame(
                {
                    "area_code": np.repeat(codes_[in_loc], len(loc_pop)),
                    "year": np.tile(years, len(in_loc)),
                    "age": np.tile(loc_pop["age"].to_numpy(), len(in_loc)),
                    "population": counts.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _population_groups(population):
    """The authority's 0-19 population each year by sex and by ethnic group, adding up to
    population.csv's total for that year in each dimension."""
    totals = population.groupby("year", sort=True)["population"].sum()
    frames = []
    for dimension, mix in (("sex", POPULATION_SEX), ("ethnic_group", POPULATION_ETHNIC)):
        shares = np.array(list(mix.values()))[:, None] * np.ones((1, len(totals)))
        counts = _apportion(totals.to_numpy(), shares)
        frames.append(
            pd.DataFrame(
                {
                    "year": np.repeat(totals.index.to_numpy(), len(mix)),
                    "dimension": dimension,
                    "group": np.tile(list(mix), len(totals)),
                    "population": counts.T.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _episodes(
    rng,
    requests,
    r_child,
    r_day,
    r_decision,
    undecided,
    r_hub,
    r_loc,
    adversity,
    hub_table,
    hub_ids,
    tst_index,
    child_ids,
    days,
    window_start,
    decisions,
):
    n_req = len(r_child)
    eh, ts, sc = (
        decisions.index("early_help"),
        decisions.index("targeted_support"),
        decisions.index("social_care"),
    )
    # Requests decided early help / targeted support start an episode a few days later.
    starts = (~undecided) & np.isin(r_decision, [eh, ts]) & (rng.random(n_req) < 0.93)
    idx = np.flatnonzero(starts)
    start_day = r_day[idx] + rng.integers(2, 28, len(idx))
    service = np.where(r_decision[idx] == ts, 1, 0)
    family_hub = hub_table[r_loc[idx], 0]
    lead = np.where(
        service == 1,
        np.where(rng.random(len(idx)) < 0.6, tst_index[r_loc[idx] % len(tst_index)], family_hub),
        r_hub[idx],
    )
    main = dict(
        child=r_child[idx],
        request=idx,
        service=service,
        hub=lead,
        start=start_day,
        reason=np.zeros(len(idx), dtype=np.int64),
        adv=adversity[r_child[idx]],
    )
    # Step-downs: some social care decisions come back to early help months later.
    sd = np.flatnonzero((~undecided) & (r_decision == sc) & (rng.random(n_req) < 0.45))
    sd_service = (rng.random(len(sd)) < 0.35).astype(np.int64)
    stepdown = dict(
        child=r_child[sd],
        request=np.full(len(sd), -1),
        service=sd_service,
        hub=np.where(
            sd_service == 1, tst_index[r_loc[sd] % len(tst_index)], hub_table[r_loc[sd], 0]
        ),
        start=r_day[sd] + rng.integers(45, 260, len(sd)),
        reason=np.ones(len(sd), dtype=np.int64),
        adv=adversity[r_child[sd]] + 0.4,
    )
    parts = [main, stepdown]
    ep = {k: np.concatenate([p[k] for p in parts]) for k in main}
    keep = ep["start"] < days
    ep = {k: v[keep] for k, v in ep.items()}
    n = len(ep["start"])

    closure = codes(contract.ClosureReason)
    base = np.array([0.54, 0.12, 0.065, 0.06, 0.12, 0.045, 0.05])
    m = np.tile(base, (n, 1))
    m[:, 2] *= np.exp(0.5 * ep["adv"]) * np.where(ep["reason"] == 1, 1.8, 1.0)
    m[:, 0] *= np.exp(-0.15 * ep["adv"])
    reason_idx = _pick_rows(rng, m)
    median = np.where(ep["service"] == 1, 190, 140)
    length = np.clip(np.round(rng.lognormal(np.log(median), 0.55)), 0, 900).astype(np.int64)
    # A few episodes open and close on one day (e.g. declined at first visit).
    length = np.where(rng.random(n) < 0.01, 0, length)
    end = ep["start"] + length

    # Transfers: the child moves to the other service the same day, without a break.
    tr = np.flatnonzero((reason_idx == closure.index("transfer")) & (end < days))
    t_service = 1 - ep["service"][tr]
    t_len = np.clip(np.round(rng.lognormal(np.log(160), 0.5, len(tr))), 1, 900).astype(np.int64)
    t_reason = _pick_rows(rng, np.tile(np.delete(base, closure.index("transfer")), (len(tr), 1)))
    t_reason = np.where(t_reason >= closure.index("transfer"), t_reason + 1, t_reason)
    t_hub = np.where(t_service == 1, tst_index[0], ep["hub"][tr])
    all_child = np.concatenate([ep["child"], ep["child"][tr]])
    all_request = np.concatenate([ep["request"], np.full(len(tr), -1)])
    all_service = np.concatenate([ep["service"], t_service])
    all_hub = np.concatenate([ep["hub"], t_hub])
    all_start = np.concatenate([ep["start"], end[tr]])
    all_end = np.concatenate([end, end[tr] + t_len])
    all_start_reason = np.concatenate([ep["reason"], np.full(len(tr), 2)])
    all_closure = np.concatenate([reason_idx, t_reason])
    order = np.lexsort((all_child, all_start))
    open_ = all_end[order] >= days  # still open at the extract date
    start_reasons = np.array(codes(contract.StartReason))
    request_ids = requests["request_id"].to_numpy()
    req = all_request[order]
    return pd.DataFrame(
        {
            "episode_id": _ids("E", len(order)),
            "child_id": child_ids[all_child[order]],
            "request_id": np.where(req >= 0, request_ids[np.maximum(req, 0)], ""),
            "service": np.array(codes(contract.Service))[all_service[order]],
            "hub_id": hub_ids[all_hub[order]],
            "start_date": window_start + all_start[order],
            "end_date": pd.Series(window_start + all_end[order]).where(~open_, pd.NaT),
            "start_reason": start_reasons[all_start_reason[order]],
            "closure_reason": np.where(open_, "", np.array(closure)[all_closure[order]]),
        }
    )


# Base log-odds of each need at assessment, and how strongly the family's adversity and
# the "toxic trio" factor load on it. Tuned to the England mix in domain.md, a little lower.
NEED_MODEL = {
    # need: (base prevalence, adversity loading, trio loading, age rule)
    "school_attendance": (0.22, 0.3, 0.1, "school"),
    "exclusion_risk": (0.08, 0.4, 0.1, "school"),
    "send_support": (0.15, 0.1, 0.0, "any"),
    "early_development": (0.30, 0.2, 0.0, "under5"),
    "speech_language": (0.28, 0.1, 0.0, "under5"),
    "child_mental_health": (0.20, 0.3, 0.2, "older"),
    "parental_mental_health": (0.22, 0.4, 1.0, "any"),
    "physical_health": (0.08, 0.2, 0.0, "any"),
    "parental_substance_use": (0.08, 0.4, 1.0, "any"),
    "child_substance_use": (0.08, 0.4, 0.2, "teen"),
    "parenting": (0.32, 0.3, 0.3, "any"),
    "parental_conflict": (0.18, 0.3, 0.6, "any"),
    "child_behaviour": (0.24, 0.3, 0.2, "school"),
    "young_carer": (0.05, 0.3, 0.5, "older"),
    "neglect_risk": (0.12, 0.6, 0.5, "any"),
    "child_exploitation": (0.04, 0.5, 0.2, "teen"),
    "missing_episodes": (0.05, 0.5, 0.2, "teen"),
    "online_safety": (0.07, 0.1, 0.0, "older"),
    "antisocial_behaviour": (0.07, 0.5, 0.2, "teen"),
    "youth_offending": (0.04, 0.5, 0.2, "teen"),
    "domestic_abuse": (0.20, 0.4, 1.1, "any"),
    "housing_insecurity": (0.12, 0.5, 0.2, "any"),
    "homelessness_risk": (0.05, 0.6, 0.2, "any"),
    "debt_or_poverty": (0.2, 0.7, 0.2, "any"),
    "worklessness": (0.14, 0.6, 0.1, "any"),
}


def _assessments(
    rng, episodes, children_df, birth_month, child_ids, fam_adversity, child_family, extract_date
):
    n_ep = len(episodes)
    start = episodes["start_date"].to_numpy().astype("datetime64[D]")
    end = episodes["end_date"].to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(end), extract_date, end)
    first = start + rng.integers(7, 42, n_ep)
    has_first = (first <= end) & (episodes["start_reason"].to_numpy() != "transfer") | (
        (first <= end) & (rng.random(n_ep) < 0.5)
    )
    review = first + rng.integers(80, 130, n_ep)
    has_review = has_first & (review <= end) & (rng.random(n_ep) < 0.45)
    ep_idx = np.concatenate([np.flatnonzero(has_first), np.flatnonzero(has_review)])
    when = np.concatenate([first[has_first], review[has_review]])
    order = np.lexsort((ep_idx, when))
    ep_idx, when = ep_idx[order], when[order]
    n = len(ep_idx)

    child_pos = np.searchsorted(child_ids, episodes["child_id"].to_numpy()[ep_idx])
    age = (when.astype("datetime64[M]") - birth_month[child_pos]).astype(np.int64) // 12
    adv = fam_adversity[child_family[child_pos]]
    trio = 0.7 * adv + rng.normal(0, 0.8, n)
    service_ts = episodes["service"].to_numpy()[ep_idx] == "targeted_support"
    needs = np.zeros((n, len(contract.NEED_CODES)), dtype=bool)
    for j, need in enumerate(contract.NEED_CODES):
        p0, a_load, t_load, rule = NEED_MODEL[need]
        logit = np.log(p0 / (1 - p0)) + a_load * adv * 0.6 + t_load * trio * 0.8 + 0.4 * service_ts
        applies = {
            "any": np.ones(n, dtype=bool),
            "under5": age < 5,
            "school": (age >= 4) & (age <= 16),
            "older": age >= 8,
            "teen": age >= 11,
        }[rule]
        needs[:, j] = applies & (rng.random(n) < 1 / (1 + np.exp(-logit)))
    need_codes = np.array(contract.NEED_CODES)
    need_text = [";".join(need_codes[row]) for row in needs]

    thrive = codes(contract.ThriveGroup)
    severity = needs.sum(axis=1) + 1.5 * service_ts + rng.normal(0, 1.2, n)
    cuts = np.array([0.5, 2.0, 4.0, 6.5])
    thrive_idx = np.searchsorted(cuts, severity)
    return pd.DataFrame(
        {
            "assessment_id": _ids("A", n),
            "episode_id": episodes["episode_id"].to_numpy()[ep_idx],
            "completed_date": when,
            "thrive_group": np.array(thrive)[thrive_idx],
            "needs": need_text,
        }
    )


def _survey(rng, hubs, locs, first_fy, years):
    """The annual Family Hubs survey (every outcome area, each February) and the monthly
    engagement question (one area a month), with agreement rising slowly over the years."""
    loc_imd = {loc[0]: loc[3] for loc in locs}
    respondents = codes(contract.Respondent)
    frames = []
    hub_rows = hubs.to_dict("records")
    for h_i, hub in enumerate(hub_rows):
        imd = loc_imd.get(hub["locality_id"], 4.0)
        hub_effect = (imd - 5) * 0.04 + (0.15 if hub["hub_type"] == "family_hub" else 0.0)
        for fy in range(first_fy, first_fy + years):
            trend = 0.12 * (fy - first_fy)
            # annual survey: 18-40 respondents answering all nine areas
            k = int(rng.integers(18, 41))
            day = np.datetime64(f"{fy + 1}-02-01") + rng.integers(0, 27, k)
            who = _pick(rng, respondents, [0.7, 0.2, 0.1], k)
            for area in range(1, 10):
                area_effect = (0.2 if area in (5, 7) else 0.0) - (0.25 if area in (1, 9) else 0.0)
                latent = 3.7 + hub_effect + trend + area_effect + rng.normal(0, 0.9, k)
                frames.append(
                    pd.DataFrame(
                        {
                            "hub_id": hub["hub_id"],
                            "response_date": day,
                            "survey": "annual",
                            "respondent": np.array(respondents)[who],
                            "outcome_area": area,
                            "score": np.clip(np.round(latent), 1, 5).astype(np.int64),
                        }
                    )
                )
            # monthly engagement question: 6-20 answers a month
            for month in range(12):
                first = np.datetime64(f"{fy}-04") + np.timedelta64(month, "M")
                k = int(rng.integers(6, 21))
                day = first.astype("datetime64[D]") + rng.integers(0, 28, k)
                latent = 3.8 + hub_effect + trend + 0.02 * month + rng.normal(0, 0.85, k)
                frames.append(
                    pd.DataFrame(
                        {
                            "hub_id": hub["hub_id"],
                            "response_date": day,
                            "survey": "monthly",
                            "respondent": np.array(respondents)[
                                _pick(rng, respondents, [0.85, 0.15, 0.0], k)
                            ],
                            "outcome_area": (month + h_i) % 9 + 1,
                            "score": np.clip(np.round(latent), 1, 5).astype(np.int64),
                        }
                    )
                )
    survey = pd.concat(frames, ignore_index=True)
    survey = survey.sort_values(["response_date", "hub_id"], kind="stable", ignore_index=True)
    survey.insert(0, "response_id", _ids("S", len(survey)))
    return survey


def _indicators(rng, locs, first_fy, years):
    """Bell-weather outcomes from outside the case data, by year, for the city and localities."""
    specs = [
        # id, unit, city level, slope per year, deprivation effect per IMD decile, source
        (
            "eyfsp_good_level_of_development_pct",
            "percent",
            66.0,
            0.6,
            1.6,
            "Synthetic; modelled on DfE Early years foundation stage profile results",
        ),
        (
            "persistent_absence_pct",
            "percent",
            21.0,
            -0.8,
            -1.5,
            "Synthetic; modelled on DfE Pupil absence in schools in England",
        ),
        (
            "neet_16_17_pct",
            "percent",
            5.4,
            -0.15,
            -0.5,
            "Synthetic; modelled on DfE NEET and participation (16-17 year olds)",
        ),
        (
            "reception_obesity_pct",
            "percent",
            9.8,
            -0.1,
            -0.6,
            "Synthetic; modelled on NHS England National Child Measurement Programme",
        ),
    ]
    rows = []
    mean_imd = float(np.mean([loc[3] for loc in locs]))
    for fy in range(first_fy, first_fy + years):
        label = f"{fy}-{(fy + 1) % 100:02d}"
        for ind, unit, level, slope, dep, source in specs:
            base = level + slope * (fy - first_fy)
            rows.append((ind, label, "all", round(base + rng.normal(0, 0.2), 1), unit, source))
            for loc in locs:
                value = base + dep * (loc[3] - mean_imd) + rng.normal(0, 0.5)
                rows.append((ind, label, loc[0], round(value, 1), unit, source))
    return pd.DataFrame(rows, columns=["indicator_id", "period", "area", "value", "unit", "source"])


# Above this many children the extract is generated in parts of this size (each a group of
# localities with its own hubs), so memory stays bounded at region and national scale.
PART_CHILDREN = 1_000_000
ID_COLUMNS = (
    "locality_id",
    "area_code",
    "hub_id",
    "family_id",
    "child_id",
    "request_id",
    "episode_id",
    "assessment_id",
    "response_id",
)


def write_sample(
    out: str | Path,
    children: int = 60_000,
    years: int = 5,
    seed: int = 2026,
    requests_per_child_year: float = REQUESTS_PER_CHILD_YEAR,
) -> dict:
    """Write the synthetic extract into `out`; returns rows written per file."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts = max(1, math.ceil(children / PART_CHILDREN))
    counts: dict[str, int] = {}
    features: dict[str, list] = {}
    # Authority-wide rows are summed over the parts and written once, at the end.
    groups: list[pd.DataFrame] = []
    con = duckdb.connect()
    for part in range(parts):
        size = children if parts == 1 else min(PART_CHILDREN, children - part * PART_CHILDREN)
        data = generate(size, years, seed + part, requests_per_child_year)
        if parts > 1:
            _prefix_ids(data, f"P{part + 1:02d}-")
        if part > 0:  # the authority-wide indicator rows come from the first part only
            indicators = data["indicators.csv"]
            data["indicators.csv"] = indicators[indicators["area"] != "all"]
        for name, frame in data.items():
            if name.endswith(".geojson"):
                features.setdefault(name, []).extend(frame["features"])
                continue
            if name == "population_groups.csv":
                groups.append(frame)
                continue
            target = out / name
            if part == 0:
                _write_csv(con, frame, target)
            else:
                scratch = out / f".part-{name}"
                _write_csv(con, frame, scratch)
                with scratch.open("rb") as src, target.open("ab") as dst:
                    src.readline()  # the header is already there
                    shutil.copyfileobj(src, dst, 1 << 20)
                scratch.unlink()
            counts[name] = counts.get(name, 0) + len(frame)
        del data
    population_groups = (
        pd.concat(groups).groupby(["year", "dimension", "group"], sort=False).sum().reset_index()
    )
    _write_csv(con, population_groups, out / "population_groups.csv")
    counts["population_groups.csv"] = len(population_groups)
    con.close()
    geo = {"type": "FeatureCollection", "features": features["localities.geojson"]}
    (out / "localities.geojson").write_text(json.dumps(geo, indent=1) + "\n", encoding="utf-8")
    # Small areas: one compact feature a line (tens of thousands at national scale).
    lines = [json.dumps(f, separators=(",", ":")) for f in features["areas.geojson"]]
    (out / "areas.geojson").write_text(
        '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n",
        encoding="utf-8",
    )
    for name, found in features.items():
        counts[name] = len(found)
    return counts


def _prefix_ids(data: dict, prefix: str) -> None:
    """Make one part's ids distinct from the other parts' (an id is opaque text)."""
    for name, frame in data.items():
        if name.endswith(".geojson"):
            for feature in frame["features"]:
                for key in ("locality_id", "area_code"):
                    if key in feature["properties"]:
                        feature["properties"][key] = prefix + feature["properties"][key]
            continue
        for column in ID_COLUMNS:
            if column in frame:
                values = frame[column].astype(str)
                frame[column] = values.where(values == "", prefix + values)
        if "area" in frame:
            frame["area"] = frame["area"].where(frame["area"] == "all", prefix + frame["area"])
        if "locality_name" in frame:
            frame["locality_name"] = prefix + frame["locality_name"]


def _write_csv(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, path: Path) -> None:
    """Write with DuckDB (fast at national scale): dates as YYYY-MM-DD, empty text as empty cells."""
    columns = []
    for name in frame.columns:
        column = duckdb.ColumnExpression(name)
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            column = column.cast(duckdb.sqltype("DATE"))
        elif frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name]):
            column = duckdb.FunctionExpression("nullif", column, duckdb.ConstantExpression(""))
        columns.append(column.alias(name))
    con.from_df(frame).select(*columns).write_csv(str(path), header=True)
