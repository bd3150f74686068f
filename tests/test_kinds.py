"""The table of value kinds is the one home of how a count, share, rate, median or indicator is
printed, drawn, tabled, downloaded, given an interval and suppressed: every kind states every
field, every kind the project uses resolves through it, and no module keeps its own copy."""

from __future__ import annotations

import ast
import dataclasses
import typing

import pytest

from ehts_data import charts, contract, export, formatting, kinds, metrics, scorecard, stats
from ehts_data.kinds import Col
from tests.conftest import ROOT

FIELDS = dataclasses.fields(kinds.Kind)
NAMES = set(kinds.BY_NAME)


def test_a_kind_cannot_be_made_without_stating_every_field():
    assert not [f.name for f in FIELDS if f.default is not dataclasses.MISSING]
    assert not [f.name for f in FIELDS if f.default_factory is not dataclasses.MISSING]
    given = {f.name: getattr(kinds.COUNT, f.name) for f in FIELDS}
    for field in FIELDS:
        partial = {k: v for k, v in given.items() if k != field.name}
        with pytest.raises(TypeError, match=field.name):
            kinds.Kind(**partial)


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_every_kind_has_every_field_of_its_type(kind):
    hints = typing.get_type_hints(kinds.Kind)
    for field in FIELDS:
        value = getattr(kind, field.name)
        optional = type(None) in typing.get_args(hints[field.name]) or (
            field.name == "unit"  # contract.Unit | None
        )
        if value is None:
            assert optional, f"{kind.name} has no {field.name}"
        if field.name.endswith("_format") and field.name != "text_format":
            assert value, f"{kind.name} has an empty {field.name}"
    # Every format is usable: Python formats the text and the values written on charts'
    # reference lines with the same strings plotly uses for hovers.
    assert kind.text(1234.5) and kind.tile(1234.5)
    assert f"{1234.5:{kind.hover_format}}" and f"{1234.5:{kind.axis_format}}"
    assert kind.change(12.0, 100.0)
    assert kind.interval in (None, *typing.get_args(typing.get_args(kinds.Interval)[0]))
    assert kind.suppression in typing.get_args(kinds.Suppression)
    assert kind.counted_by in typing.get_args(kinds.Part)
    assert set(kind.rests_on) <= {"numerator", "denominator"}


def test_every_kind_named_in_the_project_resolves_through_the_table():
    used = {m.kind for m in metrics.METRICS}
    used |= {kpi.kind for kpi in scorecard.load(ROOT / "scorecard.toml").kpi}
    assert used <= NAMES
    for unit in typing.get_args(contract.Unit):
        assert kinds.of_unit(unit).unit == unit
    # indicators.csv's units map onto the table in one place, one kind each
    units = [k.unit for k in kinds.KINDS if k.unit is not None]
    assert sorted(units) == sorted(typing.get_args(contract.Unit))
    with pytest.raises(ValueError, match="unknown kind"):
        kinds.of("percentage")


def test_an_indicator_kpi_is_shown_as_its_units_kind():
    kpi = scorecard.Kpi(
        id="x", title="X", indicator="x", unit="rate_per_10k", description="An indicator."
    )
    assert kpi.kind == "per_10k"
    assert scorecard.Kpi(id="y", title="Y", indicator="y", description="d.").kind == "percent"


@pytest.mark.parametrize(
    "kind, value, text, tile",
    [
        ("count", 7046, "7,046", "7,046"),
        ("share", 0.18449, "18.4%", "18.4%"),
        ("per_10k", 1173.56, "1,173.6 per 10,000", "1,173.6"),
        ("days", 143.4, "143 days", "143 days"),
        ("percent", 18.44, "18.4%", "18.4%"),
        ("score", 3.26, "3.3", "3.3"),
        ("denominator", 12345, "12,345", "12,345"),
    ],
)
def test_values_print_as_a_council_report_prints_them(kind, value, text, tile):
    assert formatting.of_kind(kind, value) == text
    assert formatting.of_kind(kind, value, short=True) == tile
    assert formatting.of_kind(kind, None) == "–"


@pytest.mark.parametrize(
    "kind, now, before, shown",
    [
        ("count", 7046, 6898, "+148 (+2%)"),
        ("share", 0.20, 0.188, "+1.2 pp"),
        ("per_10k", 300.0, 312.5, "-12.5 per 10,000"),
        ("days", 150, 143, "+7 days"),
        ("percent", 20.0, 18.8, "+1.2 pp"),
        ("score", 3.5, 3.25, "+0.2"),
        ("share", 0.2, 0.19996, "no change"),
    ],
)
def test_changes_print_in_their_kinds_unit(kind, now, before, shown):
    assert formatting.change(kind, now, before) == shown


def test_tolerances_of_shares_and_percents_are_percentage_points():
    assert formatting.tolerance("share", 0.03) == "3.0 pp"
    assert formatting.tolerance("percent", 3) == "3.0 pp"
    assert formatting.tolerance("per_10k", 25) == "25.0 per 10,000"


def test_intervals_follow_the_kinds_method():
    assert stats.interval("share", 20, 100) == stats.wilson(20, 100)
    assert stats.interval("per_10k", 20, 5000) == stats.rate_interval(20, 5000)
    assert stats.interval("count", 20, 100) is None
    assert stats.interval("days", 20, 100) is None
    with pytest.raises(ValueError, match="no funnel limits"):
        stats.funnel_limits("days", 10.0, 100, stats.Z95)


def test_downloads_name_and_round_columns_by_kind():
    assert export.column_name("Share", "share") == "share_percent"
    assert export.column_name("value", "per_10k") == "value_per_10k_children"
    assert export.in_unit("share", 0.18449) == 18.4
    assert export.in_unit("count", 12.0) == 12
    assert export.in_unit("public", 1.234567) == 1.2346


# --- No module keeps its own per-kind table or if-chain ------------------------------------


def _kind_literals(node) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value} & NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*(_kind_literals(e) for e in node.elts)) if node.elts else set()
    return set()


def _names_a_kind(node) -> bool:
    text = ast.unparse(node)
    return text.endswith("kind") or text.endswith("kind.name")


def _per_kind_code(path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            keys = set().union(set(), *(_kind_literals(k) for k in node.keys if k is not None))
            if len(keys) >= 2:
                found.append(f"line {node.lineno}: a dict keyed by kinds {sorted(keys)}")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_names_a_kind(s) for s in sides) and any(_kind_literals(s) for s in sides):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "ehts_data").rglob("*.py") if p.name != "kinds.py"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_module_but_kinds_dispatches_on_a_kinds_name(path):
    assert _per_kind_code(path) == []


def test_the_former_per_kind_tables_are_gone():
    from ehts_data import disclosure
    from ehts_data.ui import layout

    for module, name in [
        (formatting, "BY_KIND"),
        (formatting, "SHOWN_AS"),
        (charts, "AXIS_FORMATS"),
        (layout, "TABLE_FORMATS"),
        (scorecard, "UNIT_KINDS"),
        (export, "UNITS"),
        (export, "UNIT_WORDS"),
        (disclosure, "COUNT_KINDS"),
        (disclosure, "RATE_KINDS"),
    ]:
        assert not hasattr(module, name), f"{module.__name__}.{name}"


def test_the_scan_finds_a_per_kind_if_chain(tmp_path):
    # The check above would notice the code it replaced.
    path = tmp_path / "old.py"
    path.write_text(
        'AXIS = {"share": ".0%", "count": ",.0f"}\n'
        'def f(kind):\n    return 1 if kind == "share" else 2\n'
        'def g(metric):\n    return metric.kind in ("share", "per_10k")\n'
    )
    assert len(_per_kind_code(path)) == 3


# --- Column specs -----------------------------------------------------------------------------


def test_a_chart_takes_its_axis_titles_and_formats_from_column_specs():
    import pandas as pd

    df = pd.DataFrame({"locality": ["North", "South"], "rate": [312.54, 401.2]})
    fig = charts.bar(
        df,
        Col("locality", "Locality of residence"),
        Col("rate", "Requests per 10,000 children", kinds.PER_10K),
        title="Requests",
        reference=350.04,
    )
    assert fig.layout.xaxis.title.text == "Locality of residence"
    assert fig.layout.yaxis.title.text == "Requests per 10,000 children"
    assert fig.layout.yaxis.tickformat == kinds.PER_10K.axis_format
    assert kinds.PER_10K.hover_format in fig.data[0].hovertemplate
    assert any(t.name == "Whole authority: 350.0" for t in fig.data)
    horizontal = charts.bar(
        df,
        Col("locality", "Locality"),
        Col("rate", "Per 10,000", "per_10k"),
        title="Requests",
        horizontal=True,
    )
    assert horizontal.layout.xaxis.title.text == "Per 10,000"
    assert horizontal.layout.yaxis.title.text == "Locality"


def test_column_specs_give_a_tables_headers_and_formats():
    columns = [
        Col("label", "Hub or team"),
        Col("requests", "Requests", kinds.COUNT),
        Col("share", "Share", "share"),
    ]
    assert kinds.renames(columns) == {
        "label": "Hub or team",
        "requests": "Requests",
        "share": "Share",
    }
    assert kinds.formats(columns) == {"Requests": "count", "Share": "share"}


def test_a_charts_table_is_its_column_specs_in_order_under_their_labels():
    import pandas as pd

    from ehts_data import disclosure
    from ehts_data.ui import layout

    frame = disclosure.publish(
        pd.DataFrame({"group": ["a", "b"], "share": [0.5, 0.25], "requests": [20, 40]}),
        {"share": "share", "requests": "count"},
        None,
    )
    columns = (Col("group", "Place"), Col("requests", "Requests", kinds.COUNT))
    table, formats = layout._table_of(frame, (*columns, Col("share", "Share", "share")), None)  # noqa: SLF001
    assert list(table.frame.columns) == ["Place", "Requests", "Share"]
    assert table.kinds == {"Requests": "count", "Share": "share"}
    assert formats == {"Requests": "count", "Share": "share"}
