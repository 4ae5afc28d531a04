"""metrics.frames.median_from_counts: the median of a histogram, the same double as DuckDB's
median over the values themselves and as frames.quantiles_from_counts at 0.5 in SQL (which it
replaced in the overview)."""

from __future__ import annotations

import random

import duckdb
import polars as pl
import pytest

from analytics.metrics.frames import median_from_counts, medians_from_counts, quantiles_from_counts


@pytest.mark.parametrize("seed", range(4))
def test_median_from_counts_is_duckdbs_median_of_the_values(seed: int) -> None:
    rng = random.Random(seed)
    con = duckdb.connect()
    in_sql = quantiles_from_counts("SELECT 1 AS g, v, c FROM h", [("x", 0.5)])
    for _ in range(60):
        values = sorted({round(rng.uniform(0, 60), rng.choice([0, 1, 2])) for _ in range(rng.randint(1, 30))})
        counts = [(v, rng.randint(1, 40)) for v in values]
        con.execute("CREATE OR REPLACE TABLE h AS SELECT * FROM (VALUES "
                    + ", ".join(f"({v!r}::DOUBLE, {c})" for v, c in counts) + ") t(v, c)")
        expanded = con.execute("SELECT median(v) FROM h, range(c)").fetchall()[0][0]
        assert median_from_counts(counts) == expanded == con.execute(in_sql).fetchall()[0][3]


def test_median_from_counts_by_hand() -> None:
    # 1, 2, 2, 10: halfway between the 2nd and 3rd values (2 and 2); 1, 3: halfway, 2. A value
    # listed with no rows is no value.
    assert median_from_counts([(10.0, 1), (2.0, 2), (1.0, 1)]) == 2.0
    assert median_from_counts([(1.0, 1), (3.0, 1), (7.0, 0)]) == 2.0
    assert median_from_counts([(1.0, 2), (4.0, 1)]) == 1.0
    assert median_from_counts([]) is None


@pytest.mark.parametrize("seed", range(3))
def test_medians_from_counts_per_group_are_duckdbs_median_per_group(seed: int) -> None:
    """The employer comparison's median weeks: per group, DuckDB's own median of the rows."""
    rng = random.Random(seed)
    rows = [(g, float(rng.choice([4, 8, 10, 12, 12.5, 26, 52])), rng.randint(1, 9))
            for g in range(1, 25) for _ in range(rng.randint(1, 6))]
    con = duckdb.connect()
    con.execute("CREATE TABLE h AS SELECT * FROM (VALUES "
                + ", ".join(f"({g}, {v!r}::DOUBLE, {c})" for g, v, c in rows) + ") t(g, v, c)")
    expected = dict(con.execute("SELECT g, median(v) FROM h, range(c) GROUP BY g").fetchall())
    histogram = con.sql("SELECT g, v, sum(c)::BIGINT AS c FROM h GROUP BY ALL").pl()
    got = medians_from_counts(histogram, "median_weeks")
    assert got.schema == pl.Schema({"g": histogram.schema["g"], "median_weeks": pl.Float64})
    assert dict(got.iter_rows()) == expected


def test_medians_from_counts_by_hand() -> None:
    # Employer 7: 4, 4, 10 -> 4; employer 9: 2 and 6 weeks -> 4.0; a null duration is no value.
    histogram = pl.DataFrame({"g": [7, 9, 7, 9, 9], "v": [4.0, 2.0, 10.0, 6.0, None],
                              "c": [2, 1, 1, 1, 5]}, schema_overrides={"g": pl.Int32})
    assert sorted(medians_from_counts(histogram, "m").iter_rows()) == [(7, 4.0), (9, 4.0)]
