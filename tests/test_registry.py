"""The registries are the one home of a metric and of a page: everything they name exists, and
everything that exists is named in them."""

from __future__ import annotations

import re

import pytest

from ehts_data import metrics, site, store
from tests.conftest import ROOT

DOCS = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
METRIC_TESTS = (ROOT / "tests" / "test_metrics.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("metric", metrics.METRICS, ids=lambda m: m.id)
def test_every_metric_has_its_sql_file_docs_section_and_test(metric):
    assert (store.queries_dir() / f"{metric.sql}.sql").is_file(), f"queries/{metric.sql}.sql"
    assert f"### `{metric.id}`" in DOCS, f"docs/metrics.md has no section for {metric.id}"
    assert f'"{metric.id}"' in METRIC_TESTS, f"tests/test_metrics.py never computes {metric.id}"
    assert set(metric.breakdowns) <= set(metrics.BREAKDOWNS)
    assert metric.look_back_months >= 0


def test_every_metric_query_file_is_in_the_registry():
    # A query file that computes a result in the tidy shape under its own name is a metric.
    for path in store.queries_dir().glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        if re.search(rf"'{path.stem}' as metric", text):
            assert path.stem in metrics.REGISTRY, f"{path.name} computes a metric not registered"


def test_headline_places_are_unique_and_name_registered_metrics():
    places = [m.headline for m in metrics.METRICS if m.headline is not None]
    assert len(places) == len(set(places))
    assert set(metrics.HEADLINES) <= set(metrics.REGISTRY)


def test_every_page_file_is_in_the_page_registry_and_every_entry_has_its_file():
    files = {p.name for p in (ROOT / "pages").glob("*.py")}
    assert files == {f"{page.id}.py" for page in site.PAGES}
    assert sum(page.default for page in site.PAGES) == 1


def test_page_data_is_named_for_registered_pages():
    assert set(site.PAGE_DATA) <= set(site.BY_ID)
    assert set(site.BY_ID) - set(site.PAGE_DATA) == {"publish"}, (
        "only Publish has no data of its own"
    )


def test_the_navigation_is_built_from_the_page_registry():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "site.sections()" in app and "pages/" not in app
