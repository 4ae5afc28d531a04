"""What a report says: its subject, title block, KPIs, sections of figures and tables, notes.

`build` asks the same metric functions the pages ask (analytics.metrics, with the principal, so
every number has already passed the disclosure gate) and the same figure functions
(analytics.charts), and returns a `Report`: plain data that the HTML writer turns into a file.
Nothing here computes a metric or touches a number: it only chooses, labels and formats.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import plotly.graph_objects as go
import polars as pl

from analytics import charts, disclosure, export, metrics
from analytics.access import Principal
from analytics.export import Column
from analytics.filters import Filter
from analytics.metrics.definitions import DEFINITIONS
from analytics.store import Store

SubjectKind = Literal["network", "university", "employer"]
Progress = Callable[[str], None]
PERTURBED_MARK: Final = "†"


@dataclass(frozen=True)
class Subject:
    """Whom the report is about: the network (everything the principal may see under the filter),
    one university or one employer (the filter narrowed to it)."""

    kind: SubjectKind = "network"
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("network", "university", "employer"):
            raise ValueError(f"unknown report subject {self.kind!r}")
        if (self.kind == "network") != (self.name is None):
            raise ValueError("a university or employer report needs a name; a network report none")

    def narrow(self, flt: Filter) -> Filter:
        if self.kind == "university":
            return flt.replace(universities=(str(self.name),))
        if self.kind == "employer":
            return flt.replace(employers=(str(self.name),))
        return flt

    def describe(self, principal: Principal) -> str:
        if self.kind == "university":
            return f"University: {self.name}"
        if self.kind == "employer":
            return f"Employer: {self.name}"
        if principal.whole_network:
            return "The whole network"
        return f"All placements you may see: {principal.describe_scope()}"

    @property
    def slug(self) -> str:
        text = self.name or "network"
        return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "report"


NETWORK: Final = Subject()
ALL: Final = Filter()


@dataclass(frozen=True)
class Chart:
    """One figure of the report, with the table that carries the same numbers."""

    title: str
    figure: go.Figure
    height: int = 440


@dataclass(frozen=True)
class Block:
    """A table as shown (export.present, so hidden cells read "fewer than N") with a caption."""

    title: str
    table: export.Table
    note: str = ""


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subject: str
    filter_text: str
    data_version: int
    data_date: str
    generated_at: str
    generated_for: str
    min_cell: int
    status: Literal["ok", "empty", "too_few"]
    status_text: str = ""
    kpis: Block | None = None
    kpi_notes: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    methodology: list[Section] = field(default_factory=list)

    @property
    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]


# -- formatting -----------------------------------------------------------------------------------
def _number(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _count(value: Any, min_cell: int) -> str:
    return f"{int(value):,}" if value is not None else export.fewer_than(min_cell)


def _many(value: Any, one: str, more: str | None = None) -> str:
    n = int(value or 0)
    return f"{n:,} {one if n == 1 else (more or one + 's')}"


def _rate(row: dict[str, Any], rate: str, n_key: str, min_cell: int) -> str:
    value = _number(row, rate)
    if value is not None:
        return charts.pct(value)
    # Hidden (its cell, or one side of it, has too few students) unless there is nothing at all.
    n = row.get(n_key)
    return "n/a" if n == 0 else export.fewer_than(min_cell)


def benchmark_text(bench: pl.DataFrame, metric: str, *, money: bool = False) -> str:
    """The newest national figure for a metric, with its source and year ("NACE 2024: 53.0%")."""
    if bench.is_empty():
        return ""
    rows = bench.filter(pl.col("metric") == metric).sort("year", descending=True, nulls_last=True)
    if rows.is_empty():
        return ""
    row = rows.row(0, named=True)
    value = float(row["value"])
    shown = f"${value:,.2f}" if money else charts.pct(value)
    source = "NACE" if "NACE" in str(row.get("source") or "NACE").upper() else str(row["source"])
    return f"{source} {row['year']}: {shown}" if row.get("year") else f"{source} guidance: {shown}"


# -- the parts ------------------------------------------------------------------------------------
def _kpis(row: dict[str, Any], bench: pl.DataFrame, min_cell: int) -> tuple[Block, list[str]]:
    mark = f" {PERTURBED_MARK}" if row.get("perturbed") else ""

    def interval(rate: str) -> str:
        low, high = _number(row, f"{rate}_low"), _number(row, f"{rate}_high")
        return charts.interval_text(low, high).replace("95% CI ", "") if low is not None else ""

    currency = row.get("hourly_pay_currency")
    median, mean = _number(row, "median_hourly_pay"), _number(row, "mean_hourly_pay")
    weeks = _number(row, "median_duration_weeks")
    eligible_n = f"{_count(row.get('eligible'), min_cell)} eligible"
    rows: list[tuple[str, str, str, str, str]] = [
        ("Placements", _count(row.get("placements"), min_cell) + mark, "",
         f"{_many(row.get('students'), 'student')}, {_many(row.get('employers'), 'employer')}, "
         f"{_many(row.get('universities'), 'university', 'universities')}", ""),
        ("Eligible interns", _count(row.get("eligible"), min_cell) + mark, "", "", ""),
        ("Offers", _count(row.get("offers"), min_cell) + mark, "", "", ""),
        ("Accepted offers", _count(row.get("accepted"), min_cell) + mark, "", "", ""),
        ("Offer rate", _rate(row, "offer_rate", "eligible", min_cell) + mark, interval("offer_rate"),
         eligible_n, benchmark_text(bench, "offer_rate")),
        ("Acceptance rate", _rate(row, "acceptance_rate", "offers", min_cell) + mark,
         interval("acceptance_rate"), f"{_count(row.get('offers'), min_cell)} offers",
         benchmark_text(bench, "acceptance_rate")),
        ("Conversion rate", _rate(row, "conversion_rate", "eligible", min_cell) + mark,
         interval("conversion_rate"), eligible_n, benchmark_text(bench, "conversion_rate")),
        ("Knowledge rate", _rate(row, "knowledge_rate", "eligible", min_cell) + mark, "",
         f"{_count(row.get('known_outcome'), min_cell)} with a known outcome", ""),
        ("Paid share", _rate(row, "paid_share", "paid_known", min_cell) + mark, "",
         f"{_count(row.get('paid_known'), min_cell)} with known pay status",
         benchmark_text(bench, "paid_share")),
        ("Median hourly pay",
         (charts.money(median, currency) if median is not None else export.fewer_than(min_cell)) + mark,
         "", f"mean {charts.money(mean, currency)}; {_count(row.get('hourly_pay_n'), min_cell)} paid records",
         benchmark_text(bench, "mean_hourly_pay", money=True).replace(":", " mean:", 1)
         if currency == "USD" else ""),
        ("Median length", (f"{weeks:.1f} weeks" if weeks is not None else export.fewer_than(min_cell)),
         "", f"{_count(row.get('duration_n'), min_cell)} with a known length",
         "summers: 10 to 12 weeks"),
        ("Full-time share", _rate(row, "full_time_share", "placements", min_cell) + mark, "",
         "35 or more hours a week", ""),
        ("Academic credit share", _rate(row, "academic_credit_share", "placements", min_cell) + mark,
         "", "", ""),
    ]
    names = ("Figure", "Value", "95% interval", "Based on", "National benchmark")
    shown = pl.DataFrame({name: [r[i] for r in rows] for i, name in enumerate(names)})
    notes = []
    if row.get("perturbed"):
        notes.append(f"{PERTURBED_MARK} Perturbed: these figures include interns outside your own "
                     f"scope, so every count may be off by up to {disclosure.NOISE_BOUND} and rates are "
                     "rounded to 0.1 point.")
    if row.get("blocked"):
        notes.append("Offers and conversion are not shown for this selection: it picks a group that "
                     "the comparison of its peers hides, and its figures would reveal the hidden one.")
    basis = row.get("eligibility_basis")
    if basis in ("completed", "mixed"):
        notes.append("Whether interns were in their final year is not recorded for all of this "
                     "selection; there every completed internship counts as eligible (NACE counts only "
                     "graduating interns).")
    return Block("Key figures", export.Table(shown=shown, kinds=dict.fromkeys(names, "text"))), notes


def _present(frame: pl.DataFrame, columns: Sequence[Column], min_cell: int) -> export.Table:
    return export.present(frame, columns, min_cell, null_is_small=True)


LISTED_HIDDEN: Final = 8  # more hidden rows than this are named in one line, not tabled


def _compact(frame: pl.DataFrame, label: str, what: str, unit: str, min_cell: int,
             flag: str = "suppressed") -> tuple[pl.DataFrame, str]:
    """A table whose rows are mostly hidden would be pages of "fewer than N": beyond a few, the
    hidden rows leave the table and are named in one sentence instead (their figures stay
    hidden either way; their names are shown on the pages too)."""
    if flag not in frame.columns or label not in frame.columns:
        return frame, ""
    hidden = frame.filter(pl.col(flag).fill_null(False))
    if hidden.height <= LISTED_HIDDEN:
        return frame, ""
    names = sorted((str(n) for n in hidden[label].to_list()), key=str.lower)
    return (frame.filter(~pl.col(flag).fill_null(False)),
            f"Not listed, each with fewer than {min_cell} {unit} (figures hidden, "
            f"\"{export.fewer_than(min_cell)}\"): {len(names)} {what}: {', '.join(names)}.")


def _hidden_note(frame: pl.DataFrame, what: str, unit: str, min_cell: int) -> str:
    hidden = charts.hidden_groups(frame)
    if not hidden:
        return ""
    verb = "is" if hidden == 1 else "are"
    return (f"{hidden} {what if hidden != 1 else what.rstrip('s')} with fewer than {min_cell} {unit} "
            f"{verb} not drawn, to protect privacy; tables show them as "
            f"\"{export.fewer_than(min_cell)}\".")


def _perturbed_note(*frames: pl.DataFrame) -> str:
    if any("perturbed" in f.columns and bool(f["perturbed"].fill_null(False).any()) for f in frames):
        return (f"{PERTURBED_MARK} Perturbed: these figures include interns outside your own scope; "
                f"counts may be off by up to {disclosure.NOISE_BOUND} and rates are rounded to 0.1 point.")
    return ""


RATE_COLUMNS: Final = [
    Column("n", "Eligible interns", "count"),
    Column("offers", "Offers", "count"),
    Column("accepted", "Accepted", "count"),
    Column("conversion_rate", "Conversion rate", "rate"),
    Column("conversion_rate", "95% interval", "interval"),
]
RANKING_COLUMNS: Final = [
    Column("rank", "Rank", "int"),
    Column("employer", "Employer"),
    Column("n", "Eligible interns", "count"),
    Column("conversion_rate", "Conversion rate", "rate"),
    Column("conversion_rate", "95% interval", "interval"),
    Column("shrunk_conversion", "Shrunken rate", "rate"),
    Column("verdict", "Funnel plot"),
    Column("median_hourly_pay", "Median hourly pay", "money"),
    Column("hourly_pay_currency", "Currency"),
    Column("median_weeks", "Median weeks", "weeks"),
]


def _verdicts(frame: pl.DataFrame, target: float | None) -> pl.DataFrame:
    """Where each employer sits in the funnel plot, in words (a label, not a metric)."""
    if frame.is_empty() or target is None:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("verdict"))
    above = pl.col("conversion_rate") > target
    return frame.with_columns(
        pl.when(pl.col("suppressed").fill_null(False)).then(pl.lit("hidden"))
        .when(pl.col("outside_998").fill_null(False) & above).then(pl.lit("above 99.8%"))
        .when(pl.col("outside_998").fill_null(False)).then(pl.lit("below 99.8%"))
        .when(pl.col("outside_95").fill_null(False) & above).then(pl.lit("above 95%"))
        .when(pl.col("outside_95").fill_null(False)).then(pl.lit("below 95%"))
        .otherwise(pl.lit("within")).alias("verdict"))


def _conversion(store: Store, who: Principal, flt: Filter, bench: pl.DataFrame, min_cell: int
                ) -> Section:
    section = Section("Conversion: funnel and trend")
    stages = metrics.funnel(store, who, flt, min_cell=min_cell)
    title = "Conversion funnel: completed internships to accepted offers"
    section.charts.append(Chart(title, charts.funnel(stages, title=title)))
    section.blocks.append(Block("Funnel stages", _present(stages, [
        Column("stage", "Stage"), Column("count", "Interns", "count"),
        Column("share_of_first", "Share of completed", "rate"),
        Column("share_of_previous", "Share of previous stage", "rate")], min_cell)))
    terms = metrics.conversion_by(store, who, "term", flt, min_cell=min_cell)
    lines = [charts.BenchmarkLine(float(r["value"]), benchmark_text(bench.filter(
        pl.col("metric") == r["metric"]), str(r["metric"])))
        for r in _newest(bench, ("conversion_rate", "conversion_target"))]
    title = "Conversion rate by term, with 95% intervals"
    section.charts.append(Chart(title, charts.rates_over_terms(terms, ("conversion_rate",), lines,
                                                               title=title)))
    section.blocks.append(Block("Conversion by term", _present(
        terms.sort("sort_key") if "sort_key" in terms.columns else terms,
        [Column("group", "Term"), *RATE_COLUMNS], min_cell)))
    frames = [stages, terms]
    if not flt.universities:  # a report on more than one university compares them
        universities = metrics.conversion_by(store, who, "university", flt, min_cell=min_cell)
        section.blocks.append(Block("Conversion by university", _present(
            universities, [Column("group", "University"), *RATE_COLUMNS], min_cell)))
        frames.append(universities)
    section.notes += [n for n in (_hidden_note(terms, "terms", "eligible interns", min_cell),
                                  _perturbed_note(*frames)) if n]
    return section


def _newest(bench: pl.DataFrame, names: Sequence[str]) -> list[dict[str, Any]]:
    if bench.is_empty():
        return []
    found = []
    for name in names:
        rows = bench.filter(pl.col("metric") == name).sort("year", descending=True, nulls_last=True)
        if not rows.is_empty():
            found.append(rows.row(0, named=True))
    return found


def _employers(store: Store, who: Principal, flt: Filter, min_cell: int) -> Section:
    section = Section("Employers compared: funnel plot and shrunken ranking")
    comparison, points, limits, target, basis_frame = metrics.employer_funnel(
        store, who, flt, min_cell=min_cell)
    basis = basis_frame.row(0, named=True)
    title = "Employers' conversion rate against cohort size, with 95% and 99.8% control limits"
    section.charts.append(Chart(title, charts.funnel_plot(points, limits, target, title=title), 540))
    section.paragraphs.append(
        "Each dot is an employer. Dashed lines are the 95% control limits and dotted lines the 99.8% "
        f"limits around the overall rate ({charts.pct(target)}); limits shown: {basis['limits_text']}. "
        "An employer outside them converts differently from the rest by more than chance explains.")
    ranked = _verdicts(comparison, target)
    columns = list(RANKING_COLUMNS)
    if not basis["ranked"] and not comparison.is_empty():
        section.paragraphs.append(f"No ranking: {basis['no_rank_reason']}.")
        columns = [c for c in columns if c.source != "rank"]
    elif "rank" in ranked.columns:
        ranked = ranked.sort("rank", nulls_last=True)
    ranked, unlisted = _compact(ranked, "employer", "employers", "eligible interns", min_cell)
    if unlisted:
        section.notes.append(unlisted)
    section.blocks.append(Block("Ranking, shrunken towards the overall rate",
                                _present(ranked, columns, min_cell),
                                "Rank 1 has the highest shrunken (empirical-Bayes) conversion. Funnel "
                                "plot: within the control limits, or above or below the 95% or "
                                "99.8% limit."))
    hidden = "" if unlisted else _hidden_note(comparison, "employers", "eligible interns", min_cell)
    section.notes += [n for n in (hidden, _perturbed_note(comparison)) if n]
    return section


def _university(store: Store, who: Principal, university: str, flt: Filter, min_cell: int) -> Section:
    section = Section(f"{university} against the network, by employer")
    view = metrics.university_view(store, who, university, flt.replace(universities=()),
                                   min_cell=min_cell)
    title = f"Conversion at each employer: {university} interns against the whole network"
    drawn = charts.shown(view, "conversion_university").height  # the figure's rows (at most 25)
    section.charts.append(Chart(title, charts.university_vs_network(view, university, title=title),
                                max(380, 130 + 30 * min(25, drawn))))
    # The network columns include other universities' interns: perturbed for all but admins.
    mark = f" {PERTURBED_MARK}" if _perturbed_note(view) else ""
    shown, unlisted = _compact(view, "employer", "employers", f"eligible {university} interns", min_cell)
    section.blocks.append(Block(f"{university} by employer", _present(shown, [
        Column("employer", "Employer"),
        Column("n_university", "Eligible (university)", "count"),
        Column("conversion_university", "Conversion (university)", "rate"),
        Column("conversion_university", "95% interval (university)", "interval"),
        Column("n_network", f"Eligible (network){mark}", "count", flag="network_suppressed"),
        Column("conversion_network", f"Conversion (network){mark}", "rate", flag="network_suppressed"),
        Column("conversion_network", f"95% interval (network){mark}", "interval",
               flag="network_suppressed"),
    ], min_cell), unlisted))
    hidden = "" if unlisted else _hidden_note(view, "employers", "eligible interns", min_cell)
    section.notes += [n for n in (hidden, _perturbed_note(view)) if n]
    return section


def _pay_and_durations(store: Store, who: Principal, flt: Filter, row: dict[str, Any],
                       bench: pl.DataFrame, min_cell: int) -> Section:
    section = Section("Pay and durations")
    currency = row.get("hourly_pay_currency")
    frames: list[pl.DataFrame] = []
    if currency is None:
        section.paragraphs.append("No pay figure can be shown for this selection (no paid placements "
                                  f"with a recorded pay, or fewer than {min_cell} paid students).")
    else:
        unit = f"{currency} per hour"
        by_role = metrics.pay_by(store, who, "role_family", flt, currency=str(currency), min_cell=min_cell)
        lines = [charts.BenchmarkLine(float(r["value"]), f"NACE {r['year']} mean: ${float(r['value']):.2f}")
                 for r in _newest(bench, ("mean_hourly_pay",))] if currency == "USD" else []
        title = f"Hourly-equivalent pay by role family ({unit}): median and middle half"
        section.charts.append(Chart(title, charts.ranges(
            by_role, median="median_hourly_pay", low="p25_hourly_pay", high="p75_hourly_pay",
            title=title, value_title=f"Hourly-equivalent pay ({unit})", unit=str(currency),
            benchmarks=lines)))
        section.blocks.append(Block(f"Pay by role family ({unit})", _present(by_role, [
            Column("group", "Role family"), Column("n", "Paid placements", "count"),
            Column("p25_hourly_pay", "25th percentile", "money"),
            Column("median_hourly_pay", "Median", "money"),
            Column("p75_hourly_pay", "75th percentile", "money"),
            Column("mean_hourly_pay", "Mean", "money")], min_cell)))
        frames.append(by_role)
        note = _hidden_note(by_role, "role families", "paid students", min_cell)
        if note:
            section.notes.append(note)
    weeks = metrics.duration_distribution(store, who, flt, min_cell=min_cell)
    title = "Internship length in weeks (number of placements)"
    section.charts.append(Chart(title, charts.histogram(weeks, title=title, x_title="Length (weeks, rounded)",
                                                        point="weeks", unit="weeks"), 400))
    seasons = metrics.duration_by(store, who, "term_season", flt, min_cell=min_cell)
    seasons = seasons.with_columns(seasons["group"].str.to_titlecase())
    section.blocks.append(Block("Length by season (weeks)", _present(seasons, [
        Column("group", "Season"), Column("n", "Placements with a known length", "count"),
        Column("p25_weeks", "25th percentile", "weeks"), Column("median_weeks", "Median", "weeks"),
        Column("p75_weeks", "75th percentile", "weeks")], min_cell)))
    section.notes += [n for n in (_hidden_note(seasons, "seasons", "placements", min_cell),
                                  _perturbed_note(weeks, seasons, *frames)) if n]
    return section


def _coverage(row: dict[str, Any], min_cell: int) -> Section:
    section = Section("Coverage and knowledge rate")
    eligible, known = row.get("eligible"), row.get("known_outcome")
    if eligible is not None:
        section.paragraphs.append(
            f"The rates rest on {eligible:,} eligible interns, {_count(known, min_cell)} of whom have a "
            f"known offer outcome (knowledge rate {charts.pct(_number(row, 'knowledge_rate'))}). Unknown "
            "outcomes count as eligible but neither offered nor accepted, so a low knowledge rate "
            "pulls the other rates down.")
    else:
        section.paragraphs.append(f"Fewer than {min_cell} eligible interns: no rates are shown.")
    coverage = _number(row, "eligibility_coverage")
    if coverage is not None and coverage < 1.0:
        section.paragraphs.append(
            f"Eligibility is known for {charts.pct(coverage)} of placements; the rest come from files "
            "without an internship status and are left out of offer and conversion rates (a gap in "
            "the data, not a privacy rule).")
    currency = row.get("hourly_pay_currency")
    section.paragraphs.append(
        (f"Pay rests on {_count(row.get('hourly_pay_n'), min_cell)} paid placements in {currency}"
         if currency else "No pay is summarised") +
        f"; lengths on {_count(row.get('duration_n'), min_cell)} placements with a known length.")
    return section


def _disclosure_notes(min_cell: int) -> Section:
    section = Section("Suppression and perturbation")
    section.paragraphs.append(
        f"Any figure describing fewer than {min_cell} students is suppressed and reads "
        f"\"{export.fewer_than(min_cell)}\", in this report exactly as on the dashboard's pages.")
    section.paragraphs += disclosure.describe()
    section.paragraphs.append(
        f"Figures marked {PERTURBED_MARK} are perturbed: they include placements outside your own scope "
        f"and carry the bounded noise (at most {disclosure.NOISE_BOUND} either way on any count).")
    return section


BASIS_TEXT: Final = {
    "final_year": "final-year interns (the uploads record the final year)",
    "completed": "completed internships (the uploads do not record the final year)",
    "mixed": "final-year interns, or completed internships in uploads without the final year",
    "unknown": "unknown (the uploads have no internship status)",
}


BENCHMARK_NAMES: Final = {
    "offer_rate": "Offer rate", "acceptance_rate": "Acceptance rate",
    "conversion_rate": "Conversion rate", "conversion_target": "Conversion rate employers aim for",
    "paid_share": "Share of interns paid", "mean_hourly_pay": "Mean hourly wage, bachelor's interns",
    "mean_hourly_pay_computer_science": "Mean hourly wage, computer science interns",
    "mean_hourly_pay_engineering": "Mean hourly wage, engineering interns",
}


def _methodology(row: dict[str, Any] | None, bench: pl.DataFrame, min_cell: int) -> list[Section]:
    definitions = Section("Methodology")
    definitions.paragraphs.append(
        "Definitions follow the National Association of Colleges and Employers (NACE); each one is "
        "the text the metrics code itself carries, so this report and the dashboard cannot differ.")
    shown = pl.DataFrame({"Term": [k.replace("_", " ").capitalize() for k in DEFINITIONS],
                          "Definition": list(DEFINITIONS.values())})
    definitions.blocks.append(Block("Definitions", export.Table(
        shown=shown, kinds={"Term": "text", "Definition": "text"})))
    basis = BASIS_TEXT.get(str((row or {}).get("eligibility_basis")), "not determined (no data)")
    definitions.paragraphs.append(f"Eligibility basis of this report: {basis}. Eligibility is decided "
                                  "per upload, at import, from the fields its file has.")
    definitions.paragraphs.append(
        "Funnel-plot limits: exact binomial limits (Spiegelhalter 2005) at 95% and 99.8% around the "
        "overall rate, interpolated between the binomial's whole-number quantiles: an employer with x "
        "of n converted is below the lower 95% limit exactly when the chance of x or fewer, at the "
        "overall rate, is under 2.5%. The shrunken ranking is an empirical-Bayes beta-binomial "
        "estimate (method of moments); when the between-employer variance is estimated at 0, no "
        "rank is given.")
    definitions.paragraphs.append(
        "Intervals are 95% Wilson score intervals: they stay within 0-100% and keep their coverage "
        f"for small cohorts. Suppression threshold of this report: {min_cell} students.")
    if not bench.is_empty():
        table = bench.with_columns(pl.col("metric").replace(BENCHMARK_NAMES)).with_columns(
            pl.when(pl.col("unit").fill_null("").str.contains("fraction|%"))
            .then((pl.col("value") * 100).round(1).cast(pl.String) + "%")
            .otherwise("$" + pl.col("value").round(2).cast(pl.String)).alias("shown"))
        definitions.blocks.append(Block("National benchmarks", export.present(table, [
            Column("metric", "Figure"), Column("shown", "Value"), Column("year", "Year", "int"),
            Column("source", "Source")], min_cell)))
    return [definitions]


# -- the builder ----------------------------------------------------------------------------------
def _reader(principal: Principal) -> str:
    """Whom the report was made for: name and email (or the email alone), role and scope."""
    who = f"{principal.name} <{principal.email}>" if principal.name not in ("", principal.email) \
        else principal.email
    return f"{who}, {principal.role}; scope: {principal.describe_scope()}"


def data_stamp(store: Store) -> tuple[int, str]:
    """(data version, date of the data: the newest upload still in place)."""
    newest = store.scalar("SELECT max(uploaded_at) FROM batches WHERE undone_at IS NULL")
    date = newest.strftime("%Y-%m-%d %H:%M UTC") if isinstance(newest, dt.datetime) else "no uploads"
    return store.data_version(), date


def build(store: Store, principal: Principal, subject: Subject = NETWORK, flt: Filter = ALL, *,
          min_cell: int = metrics.DEFAULT_MIN_CELL, now: dt.datetime | None = None,
          progress: Progress | None = None) -> Report:
    """The report's content for `principal`: every number from analytics.metrics (disclosure
    applied), every figure from analytics.charts."""
    step = progress or (lambda _text: None)
    step("Computing the figures")
    scoped = subject.narrow(flt)
    version, date = data_stamp(store)
    moment = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    bench = metrics.benchmarks()
    report = Report(
        title=f"Internship outcomes report: {subject.name or 'network'}",
        subject=subject.describe(principal), filter_text=scoped.describe(),
        data_version=version, data_date=date, generated_at=moment,
        generated_for=_reader(principal),
        min_cell=min_cell, status="ok")
    if not metrics.record_count(store, principal, scoped):
        report.status = "empty"
        report.status_text = ("No placements in this scope and filter: there is nothing to report. "
                              "Widen the filter, or ask an administrator about your scope.")
        report.methodology = _methodology(None, bench, min_cell)
        return report
    row: dict[str, Any] = metrics.overview(store, principal, scoped, min_cell=min_cell).row(0, named=True)
    if row.get("suppressed"):
        report.status = "too_few"
        report.status_text = (f"This selection covers fewer than {min_cell} students: too few to show "
                              "without risking identifying someone, so every figure is suppressed.")
        report.sections = [_disclosure_notes(min_cell)]
        report.methodology = _methodology(row, bench, min_cell)
        return report
    report.kpis, report.kpi_notes = _kpis(row, bench, min_cell)
    report.sections.append(_conversion(store, principal, scoped, bench, min_cell))
    if subject.kind == "university":
        report.sections.append(_university(store, principal, str(subject.name), flt, min_cell))
    if subject.kind != "employer":
        report.sections.append(_employers(store, principal, scoped, min_cell))
    report.sections.append(_pay_and_durations(store, principal, scoped, row, bench, min_cell))
    report.sections.append(_coverage(row, min_cell))
    report.sections.append(_disclosure_notes(min_cell))
    report.methodology = _methodology(row, bench, min_cell)
    return report
