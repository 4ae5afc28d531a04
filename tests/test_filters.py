"""The filter object: normalisation, SQL with bound parameters only, query-param round trips."""

from __future__ import annotations

import pytest

from analytics import metrics
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.filters import Filter
from analytics.store import Store
from tests.test_metrics import make_store, row


def test_empty_filter_renders_no_where_clause() -> None:
    assert Filter().where() == ("", [])
    assert Filter().is_empty()
    assert Filter().describe() == "All placements"


def test_every_field_renders_placeholders_and_parameters_in_order() -> None:
    flt = Filter(term_years=(2025, 2024), term_seasons=("Summer",), universities=("U1", "U2"),
                 employers=("Acme",), role_families=("data & analytics",), degree_levels=("Master",),
                 work_modes=("REMOTE",), paid=True, schedule="full_time", academic_credit=False,
                 structured_training=True)
    sql, params = flt.where()
    assert sql.startswith("WHERE ")
    assert sql.count("?") == len(params) == 13
    assert params == [2024, 2025, "summer", "U1", "U2", ["Acme"], "data & analytics", "master",
                      "remote", True, "full_time", False, True]
    # values never appear in the SQL text
    for value in ("2024", "summer", "U1", "Acme", "analytics", "master", "remote", "full_time"):
        assert value not in sql
    assert "employer_key IN (SELECT" in sql


def test_normalisation_makes_equal_selections_equal_and_hashable() -> None:
    a = Filter(term_years=(2025, 2024, 2024), universities=["B", "A"],  # type: ignore[arg-type]
               term_seasons=("Summer", "summer"), role_families=("it support & infrastructure",))
    b = Filter(term_years=(2024, 2025), universities=("A", "B"), term_seasons=("summer",),
               role_families=("IT support & infrastructure",))
    assert a == b and hash(a) == hash(b)
    assert a.term_years == (2024, 2025) and a.universities == ("A", "B")
    assert a.role_families == ("IT support & infrastructure",)
    assert Filter(universities="MIT").universities == ("MIT",)  # type: ignore[arg-type]
    assert len({a, b, Filter()}) == 2
    with pytest.raises(TypeError):
        Filter(paid="yes")  # type: ignore[arg-type]


def test_replace_is_not_in_place() -> None:
    base = Filter(term_years=(2024,))
    changed = base.replace(paid=False, universities=("North",))
    assert base == Filter(term_years=(2024,))
    assert changed.paid is False and changed.universities == ("North",)
    assert not changed.is_empty()


def test_query_params_round_trip() -> None:
    flt = Filter(term_years=(2023, 2024), term_seasons=("summer",), universities=("Université de Montréal",),
                 employers=("O'Brien & Co",), role_families=("QA & testing",), degree_levels=("bachelor",),
                 work_modes=("hybrid",), paid=False, schedule="part_time", academic_credit=True,
                 structured_training=False, returning_intern=True)
    params = flt.to_query_params()
    assert params == {
        "year": ["2023", "2024"], "season": ["summer"], "university": ["Université de Montréal"],
        "employer": ["O'Brien & Co"], "role_family": ["QA & testing"], "degree": ["bachelor"],
        "work_mode": ["hybrid"], "paid": ["no"], "schedule": ["part_time"], "credit": ["yes"],
        "training": ["no"], "returning": ["yes"],
    }
    assert Filter.from_query_params(params) == flt
    assert Filter().to_query_params() == {}


def test_from_query_params_ignores_junk() -> None:
    got = Filter.from_query_params({
        "year": ["2024", "twenty", "2023.5", ""], "season": ["Summer", "monsoon"],
        "role_family": ["qa & testing", "astronaut"], "degree": "phd", "work_mode": ["REMOTE"],
        "paid": "maybe", "schedule": ["sometimes"], "credit": ["yes"], "training": "1",
        "returning": ["perhaps", "no"],
        "unknown_key": ["x"], "university": ["", "North"],
    })
    assert got == Filter(term_years=(2024,), term_seasons=("summer",), role_families=("QA & testing",),
                         work_modes=("remote",), academic_credit=True, structured_training=True,
                         returning_intern=False, universities=("North",))


def test_describe() -> None:
    assert Filter(term_years=(2024, 2025), term_seasons=("summer",), paid=True).describe() == (
        "Summer 2024-2025, paid only")
    assert Filter(term_years=(2019, 2021)).describe() == "2019, 2021"
    text = Filter(universities=("A", "B", "C", "D"), employers=("Acme",), schedule="part_time",
                  academic_credit=False, structured_training=True).describe()
    assert text == ("4 universities, Acme, part-time, not for credit, with structured training")
    assert Filter(returning_intern=True).describe() == "returning interns"
    assert Filter(paid=True, returning_intern=False).describe() == "paid only, first-time interns"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    rows = [
        row(term_year=2023, term_season="fall", university="North", employer="Acme Corp",
            role_family="data & analytics", degree_level="master", work_mode="remote", paid=False,
            hours_per_week=20.0, academic_credit=True, structured_training=True, returning_intern=True),
        row(term_year=2024, university="South", employer="  ACME corp", work_mode="hybrid",
            returning_intern=False),
        row(term_year=2024, university="North", employer="Beta", academic_credit=None),
        row(term_year=2025, term_season="spring", university="Université de Montréal",
            employer="Zürich Ångström AG", paid=None, pay_amount=None),
    ]
    built = make_store(tmp_path_factory.mktemp("filters") / "f.duckdb", rows)
    yield built
    built.close()


@pytest.mark.parametrize(("flt", "expected"), [
    (Filter(), 4),
    (Filter(term_years=(2024,)), 2),
    (Filter(term_years=(2023, 2025)), 2),
    (Filter(term_seasons=("summer",)), 2),
    (Filter(term_seasons=("fall", "spring")), 2),
    (Filter(universities=("North",)), 2),
    (Filter(universities=("Université de Montréal",)), 1),
    (Filter(employers=("acme CORP",)), 2),  # case and spacing do not matter
    (Filter(employers=("Zürich  ångström ag",)), 1),
    (Filter(employers=("Acme",)), 0),  # but it is not a substring search
    (Filter(role_families=("data & analytics",)), 1),
    (Filter(degree_levels=("master",)), 1),
    (Filter(work_modes=("remote", "hybrid")), 2),
    (Filter(paid=True), 2),
    (Filter(paid=False), 1),  # unknown paid status matches neither yes nor no
    (Filter(schedule="part_time"), 1),
    (Filter(schedule="full_time"), 3),
    (Filter(academic_credit=False), 2),
    (Filter(structured_training=True), 1),
    (Filter(returning_intern=True), 1),
    (Filter(returning_intern=False), 1),  # unknown (the other two rows) matches neither
    (Filter(term_years=(2024,), universities=("North",)), 1),
])
def test_each_field_selects_the_right_rows(store: Store, flt: Filter, expected: int) -> None:
    assert metrics.record_count(store, ADMIN, flt) == expected
    placements = metrics.overview(store, ADMIN, flt, min_cell=0)["placements"][0]
    assert placements == expected  # the facts table and the raw table agree


@pytest.mark.parametrize("hostile", [
    "x' OR 1=1 --", "'; DROP TABLE placements; --", "North' --", "\\' OR ''='", "1) OR (1=1",
    "%", "_", "NULL", "SELECT * FROM placements", "North\x00", "Ünïcödé ' \" `",
])
def test_hostile_values_match_nothing_and_break_nothing(store: Store, hostile: str) -> None:
    for flt in (Filter(universities=(hostile,)), Filter(employers=(hostile,)),
                Filter(role_families=(hostile,)), Filter(work_modes=(hostile,)),
                Filter(degree_levels=(hostile,)), Filter(term_seasons=(hostile,)),
                Filter(schedule=hostile)):
        assert metrics.record_count(store, ADMIN, flt) == 0
    assert metrics.record_count(store, ADMIN) == 4
