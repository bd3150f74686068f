"""The dashboard's pages: one registry that app.py's navigation, the page tests, `ehts bench`
and scripts/time_pages.py all read, and the data each page computes, without Streamlit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from ehts_data import equality, explore, metrics, periods, scorecard, store
from ehts_data.periods import Period

PageData = Callable[[duckdb.DuckDBPyConnection, Period], list]


# Who may open each page when people sign in (docs/deploy.md); without sign-in, everyone.
BOARD = ("board", "analyst", "admin")
ANALYSIS = ("coordinator", "analyst", "admin")
DATA = ("analyst", "admin")
ADMIN = ("admin",)


@dataclass(frozen=True)
class Page:
    """A page of the dashboard: pages/<id>.py, its title, icon, navigation section and the
    roles that may open it."""

    id: str
    title: str
    icon: str
    section: str
    default: bool = False
    roles: tuple[str, ...] = DATA
    folder: str = "pages"

    @property
    def file(self) -> str:
        return f"{self.folder}/{self.id}.py"

    @property
    def url_path(self) -> str:
        """The path after the server's address ('' for the page the app opens on)."""
        return "" if self.default else self.id


PAGES: tuple[Page, ...] = (
    Page("scorecard", "Scorecard", ":material/scoreboard:", "Board", default=True, roles=BOARD),
    Page("overview", "Overview", ":material/dashboard:", "Board", roles=BOARD),
    Page("demand", "Demand", ":material/map:", "Locality demand", roles=ANALYSIS),
    Page("reentry", "Re-entry and re-referral", ":material/replay:", "Analysis", roles=ANALYSIS),
    Page("steps", "Step-up and step-down", ":material/swap_vert:", "Analysis", roles=ANALYSIS),
    Page("needs", "Needs analysis", ":material/checklist:", "Analysis", roles=ANALYSIS),
    Page("outcomes", "Outcomes and family voice", ":material/forum:", "Analysis", roles=ANALYSIS),
    Page("equality", "Equality and families", ":material/diversity_3:", "Analysis", roles=ANALYSIS),
    Page("data_quality", "Data quality", ":material/fact_check:", "Data", roles=DATA),
    Page("publish", "Publish", ":material/publish:", "Data", roles=DATA),
)
# Pages that exist only when people sign in (pages/admin/): the audit log.
SIGNED_IN_PAGES: tuple[Page, ...] = (
    Page("audit", "Audit log", ":material/policy:", "Admin", roles=ADMIN, folder="pages/admin"),
)
BY_ID: dict[str, Page] = {page.id: page for page in PAGES}


def sections(signed_in: bool = False) -> dict[str, list[Page]]:
    """Pages grouped by navigation section, in registry order (with the audit log when people
    sign in)."""
    out: dict[str, list[Page]] = {}
    for page in (*PAGES, *(SIGNED_IN_PAGES if signed_in else ())):
        out.setdefault(page.section, []).append(page)
    return out


# The data each page computes (the calls its page file makes), for `ehts bench`.
PAGE_DATA: dict[str, PageData] = {
    "scorecard": lambda con, p: [
        results := scorecard.evaluate(con, scorecard.load(), p),
        scorecard.locality_matrix(con, scorecard.load(), p, scorecard.authority_values(results)),
        scorecard.needs_beside_dfe(con, scorecard.load(), p),
        scorecard.funnel(con, scorecard.load().get("requests_rate"), p, "locality"),
        scorecard.spc(con, scorecard.load().get("requests"), p),
    ],
    "overview": lambda con, p: [
        explore.headlines(con, p),
        explore.metric_by_quarter(con, "requests", p.previous(), p),
    ],
    "demand": lambda con, p: [
        explore.demand_by_place(con, "catchment", p),
        explore.demand_by_place(con, "area", p),
        explore.demand_by_place(con, "none", p),
        *(
            explore.place_rate_by_quarter(con, by, first, last)
            for last in [periods.quarters_between(p.start, p.end)[-1]]
            for first in [last.previous().previous().previous()]
            for by in ("locality", "none")
        ),
        explore.request_to_start(con, "catchment", p),
        explore.request_to_start(con, "none", p),
        explore.caseload_monthly(con, p),
        metrics.compute(con, "requests", p, "locality"),
        metrics.compute(con, "requests_per_10k", p, "locality"),
        metrics.compute(con, "requests_per_10k", p, "none"),
        explore.requests_monthly(con, p),
        *(explore.requests_by(con, d, p) for d in ("hub", "source", "age_band", "decision")),
    ],
    "reentry": lambda con, p: [
        *(
            metrics.compute(con, m, p, by)
            for m in ("re_entry_12m_rate", "re_referral_12m_rate")
            for by in ("locality", "hub")
        ),
        explore.metric_by_quarter(
            con, ("re_entry_12m_rate", "re_referral_12m_rate"), p.previous().previous(), p
        ),
        explore.re_entry_by_previous_closure(con, p),
    ],
    "steps": lambda con, p: [
        explore.episode_flow(con, p),
        *(
            metrics.compute(con, m, p, by)
            for m in ("step_down_rate", "step_up_rate")
            for by in ("locality", "hub")
        ),
        explore.metric_by_quarter(
            con, ("step_down_rate", "step_up_rate"), p.previous().previous(), p
        ),
        explore.step_up_timing(con, p),
    ],
    "needs": lambda con, p: [
        explore.need_prevalence_by(con, "all", p),
        explore.need_group_prevalence(con, "all", p),
        explore.need_prevalence_by(con, "locality", p),
        explore.need_cooccurrence(con, p),
        explore.thrive_distribution(con, p),
    ],
    "outcomes": lambda con, p: [
        explore.closure_reasons(con, p),
        metrics.compute(con, "median_episode_days", p, "locality"),
        explore.survey_agree_by_area(con, p),
        metrics.compute(con, "survey_agree_rate", p, "hub"),
        explore.survey_monthly_trend(con, p),
    ],
    "equality": lambda con, p: [
        equality.profile(con, equality.MEASURES[0], p),
        equality.representation(con, p),
        equality.family_view(con, p, "locality"),
        equality.family_trend(con, p.previous().previous(), p),
    ],
    "data_quality": lambda con, p: [
        store.latest_ingest(con),
        explore.table_coverage(con),
        explore.field_completeness(con),
        explore.ingest_history(con),
    ],
}
