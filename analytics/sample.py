"""Deterministic generator of realistic IT internship placements.

Calibrated to the NACE figures in DESIGN.md: pooled conversion near 53%, offer rate near two
thirds, mean hourly pay of paid bachelor's interns near $22 (computer-science-like roles higher),
10 to 12 week full-time summers, part-time semester internships, some unpaid and some for credit.
Outcomes depend on the inputs (paid, trained, full-time interns and employer culture), so the
charts have something true to show.

Rows are made in fixed-size chunks, each from its own seeded stream, so the output for a given
(rows, seed) is identical however it is consumed and `write_csv` streams millions of rows in
bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from analytics import schema

DEFAULT_SEED: Final = 2025
CHUNK_ROWS: Final = 250_000
FIRST_YEAR, LAST_YEAR = 2019, 2025

UNIVERSITIES: Final = (
    ("Northfield State University", "Columbus", "OH", "US"),
    ("Lakeshore Institute of Technology", "Chicago", "IL", "US"),
    ("Pacific Coast University", "San Jose", "CA", "US"),
    ("Riverside Technical College", "Austin", "TX", "US"),
    ("Granite Valley University", "Denver", "CO", "US"),
    ("Atlantic Metropolitan University", "Boston", "MA", "US"),
    ("Southern Plains University", "Atlanta", "GA", "US"),
    ("Harbor City Community College", "Seattle", "WA", "US"),
)
UNIVERSITY_WEIGHTS: Final = (0.2, 0.17, 0.15, 0.13, 0.11, 0.1, 0.08, 0.06)

PROGRAMS: Final = (
    "Computer Science", "Information Systems", "Computer Engineering", "Data Science",
    "Cybersecurity", "Information Technology", "Business Analytics", "Electrical Engineering",
)

# role family, share, pay multiplier (computer-science-like roles pay more), example titles
ROLE_FAMILIES: Final = (
    ("software engineering", 0.34, 1.10, ("Software Engineering Intern", "Backend Developer Intern",
                                          "Frontend Developer Intern", "Mobile Developer Intern")),
    ("data & analytics", 0.17, 1.06, ("Data Analyst Intern", "Data Science Intern",
                                      "Business Intelligence Intern")),
    ("IT support & infrastructure", 0.12, 0.80, ("IT Support Intern", "Help Desk Intern",
                                                 "Systems Administration Intern")),
    ("cybersecurity", 0.09, 1.04, ("Security Analyst Intern", "SOC Intern")),
    ("networking", 0.06, 0.86, ("Network Engineering Intern", "Network Operations Intern")),
    ("QA & testing", 0.08, 0.88, ("QA Engineer Intern", "Test Automation Intern")),
    ("product & project management", 0.09, 0.95, ("Product Management Intern",
                                                  "Project Coordinator Intern")),
    ("other", 0.05, 0.78, ("Technology Intern", "Digital Operations Intern")),
)

INDUSTRIES: Final = (
    "Software", "Financial Services", "Healthcare", "Government", "Consulting", "Retail",
    "Manufacturing", "Telecommunications", "Education", "Energy",
)
NAME_A: Final = (
    "Apex", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Lumen", "Maple", "Nova", "Orbit", "Pioneer", "Quartz", "Redwood", "Summit",
    "Tidal",
)
NAME_B: Final = (
    "Systems", "Analytics", "Software", "Networks", "Health", "Financial", "Labs", "Digital",
    "Technologies", "Cloud",
)
EMPLOYER_CITIES: Final = (
    ("Columbus", "OH", "US", "USD"), ("Chicago", "IL", "US", "USD"), ("San Jose", "CA", "US", "USD"),
    ("Austin", "TX", "US", "USD"), ("Denver", "CO", "US", "USD"), ("Boston", "MA", "US", "USD"),
    ("Atlanta", "GA", "US", "USD"), ("Seattle", "WA", "US", "USD"), ("New York", "NY", "US", "USD"),
    ("Raleigh", "NC", "US", "USD"), ("Toronto", "ON", "CA", "CAD"), ("London", "England", "GB", "GBP"),
)
N_EMPLOYERS: Final = 72
N_SMALL_EMPLOYERS: Final = 10  # tiny cohorts, so suppression and wide intervals show up

SEASON_SHARES: Final = {"summer": 0.58, "fall": 0.17, "spring": 0.17, "winter": 0.08}
SEASON_START: Final = {"spring": (1, 15), "summer": (6, 1), "fall": (9, 1), "winter": (12, 1)}
DEGREES: Final = (("bachelor", 0.72), ("master", 0.17), ("associate", 0.06), ("doctoral", 0.05))
DEGREE_PAY: Final = {"bachelor": 1.0, "master": 1.16, "associate": 0.82, "doctoral": 1.38}
BASE_HOURLY_USD: Final = 20.75
CURRENCY_RATE: Final = {"USD": 1.0, "CAD": 1.30, "GBP": 0.72}  # local pay levels, not conversion


# -- the outcome fields beyond the first wave, calibrated to NACE (data/benchmarks.csv) ----------
# Nothing in the sample is dated after this day (the sample's "data date"): later hires are not
# yet hired, later separations not yet known.
SAMPLE_AS_OF: Final = np.datetime64("2026-11-30", "D")
# Returning interns (had interned at the employer before): offered about 90% of the time and
# accepting about 90%, against about 43.5% offered for first-time interns.
RETURNING_OFFER, RETURNING_ACCEPT, FIRST_TIME_OFFER = 0.90, 0.90, 0.435
# Offer and conversion rates by work mode, NACE 2025: in person 71.9% / 58.5%, hybrid 56.2% /
# 46%. No remote figure is published; remote interns are given the hybrid rates.
MODE_OFFER: Final = {"onsite": 0.719, "hybrid": 0.562, "remote": 0.562}
MODE_CONVERSION: Final = {"onsite": 0.585, "hybrid": 0.46, "remote": 0.46}
# Timeline (NACE 2023 recruiting benchmarks): about 25 days to an offer, about 11 to accept.
DAYS_TO_OFFER_MEDIAN, DAYS_TO_DECISION_MEDIAN = 25.0, 11.0
DEADLINE_DAYS: Final = (7, 10, 14, 14, 21, 21, 21, 28, 30, 30)  # 20% exploding (< 14 days)
RENEGE_SHARE: Final = 0.035
# Tenure of converted hires: Weibull with shape 0.59 and scale 5.8 years, about 70% still there
# after one year (NACE: 71.4% for own interns, 2019) and about 40% after five.
TENURE_SHAPE, TENURE_SCALE_YEARS = 0.59, 5.8
OUTCOME_SOURCES: Final = (("student_survey", 0.55), ("employer_report", 0.35),
                          ("third_party", 0.08), ("other", 0.02))
GENDERS: Final = (("male", 0.62), ("female", 0.33), ("non-binary", 0.02), (None, 0.03))
ETHNICITIES: Final = (("White", 0.42), ("Asian", 0.23), ("Hispanic or Latino", 0.14),
                      ("Black or African American", 0.09), ("Two or more races", 0.05),
                      ("American Indian or Alaska Native", 0.01), (None, 0.06))


@dataclass(frozen=True)
class Employers:
    names: np.ndarray
    industry: np.ndarray
    city: np.ndarray
    region: np.ndarray
    country: np.ndarray
    currency: np.ndarray
    weight: np.ndarray
    pay_effect: np.ndarray
    offer_effect: np.ndarray
    accept_effect: np.ndarray
    paid_prob: np.ndarray
    training_prob: np.ndarray


def _employers(seed: int) -> Employers:
    rng = np.random.default_rng([seed, 0xE])
    pairs = [(a, b) for a in NAME_A for b in NAME_B]
    picks = rng.choice(len(pairs), size=N_EMPLOYERS, replace=False)
    suffixes = np.array(["Inc.", "LLC", "Corp.", "Group", "Co."])
    names = np.array(
        [f"{pairs[i][0]} {pairs[i][1]} {suffixes[rng.integers(len(suffixes))]}" for i in picks]
    )
    n = N_EMPLOYERS
    city_idx = rng.choice(len(EMPLOYER_CITIES), size=n, p=_normalise([1.0] * 10 + [0.5, 0.4]))
    cities = [EMPLOYER_CITIES[i] for i in city_idx]
    weight = 1.0 / np.arange(1, n + 1) ** 0.9
    weight[-N_SMALL_EMPLOYERS:] = np.linspace(0.0001, 0.00035, N_SMALL_EMPLOYERS)
    weight /= weight.sum()
    return Employers(
        names=names,
        industry=rng.choice(np.array(INDUSTRIES), size=n),
        city=np.array([c[0] for c in cities]),
        region=np.array([c[1] for c in cities]),
        country=np.array([c[2] for c in cities]),
        currency=np.array([c[3] for c in cities]),
        weight=weight,
        pay_effect=np.exp(rng.normal(0, 0.12, n)),
        offer_effect=rng.normal(0, 0.55, n),
        accept_effect=rng.normal(0, 0.35, n),
        paid_prob=np.clip(rng.beta(9, 2, n), 0.35, 0.99),
        training_prob=np.clip(rng.beta(3, 2.5, n), 0.1, 0.95),
    )


def _normalise(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(weights, dtype=float)
    total: float = arr.sum()
    return arr / total


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


def _nullable(values: np.ndarray, missing: np.ndarray) -> pl.Series:
    return pl.Series(values).scatter(np.flatnonzero(missing), None)


def _per_student(students: np.ndarray, salt: int) -> np.ndarray:
    """A uniform number per student, the same in every chunk (a student's placements agree)."""
    mixed = (students.astype(np.uint64) * np.uint64(2654435761) + np.uint64(salt * 40503)) % np.uint64(2**32)
    mixed = (mixed ^ (mixed >> np.uint64(13))) * np.uint64(1274126177) % np.uint64(2**32)
    result: np.ndarray = mixed.astype(float) / 2.0**32
    return result


def _pick(labels: Sequence[tuple[str | None, float]], u: np.ndarray) -> np.ndarray:
    edges = np.cumsum(_normalise([w for _, w in labels]))
    index = np.minimum(np.searchsorted(edges, u, side="right"), len(labels) - 1)
    return np.array([label for label, _ in labels], dtype=object)[index]


def _by_outcome(rng: np.random.Generator, known: np.ndarray, offer: np.ndarray,
                accepted: np.ndarray, accepted_p: np.ndarray | float, declined_p: np.ndarray | float,
                refused_p: np.ndarray | float, prior: np.ndarray | float) -> np.ndarray:
    """True with the probability given for each row's outcome (Bayes' rule turns the targets
    per group into these, so the outcomes already drawn keep their values)."""
    p = np.where(~known, prior, np.where(accepted, accepted_p, np.where(offer, declined_p, refused_p)))
    result: np.ndarray = rng.random(len(known)) < np.clip(p, 0.0, 1.0)
    return result


def _outcomes(rng: np.random.Generator, employers: Employers, emp: np.ndarray,
              students: np.ndarray, offer: np.ndarray, accepted: np.ndarray, unknown: np.ndarray,
              end: np.ndarray, training: np.ndarray,
              final_year: np.ndarray) -> tuple[np.ndarray, dict[str, pl.Series]]:
    """The calibrated work mode, and the outcome fields beyond the first wave."""
    n = len(offer)
    known = ~unknown
    offer_k, accepted_k = offer & known, accepted & known
    p = float(offer_k.sum() / known.sum()) if known.any() else 0.67
    a = float(accepted_k.sum() / offer_k.sum()) if offer_k.any() else 0.79
    p, a = min(max(p, 0.45), 0.88), min(max(a, 0.2), 0.95)

    # Returning interns: the share that makes the offer rate p, then who they are by outcome.
    r = (p - FIRST_TIME_OFFER) / (RETURNING_OFFER - FIRST_TIME_OFFER)
    returning = _by_outcome(rng, known, offer, accepted,
                            r * RETURNING_OFFER * RETURNING_ACCEPT / (p * a),
                            r * RETURNING_OFFER * (1 - RETURNING_ACCEPT) / (p * (1 - a)),
                            r * (1 - RETURNING_OFFER) / (1 - p), r)

    # Work mode: shares that make the offer rate p, conversion rates scaled to make p * a.
    low = MODE_OFFER["hybrid"]
    onsite_share = min(max((p - low) / (MODE_OFFER["onsite"] - low), 0.05), 0.95)
    shares = {"onsite": onsite_share, "hybrid": (1 - onsite_share) * 0.62,
              "remote": (1 - onsite_share) * 0.38}
    scale = p * a / sum(shares[m] * MODE_CONVERSION[m] for m in shares)
    modes = list(shares)
    weights = {m: (shares[m] * scale * MODE_CONVERSION[m],
                   shares[m] * (MODE_OFFER[m] - scale * MODE_CONVERSION[m]),
                   shares[m] * (1 - MODE_OFFER[m]), shares[m]) for m in modes}
    column = np.where(~known, 3, np.where(accepted, 0, np.where(offer, 1, 2)))
    probs = np.array([[max(weights[m][k], 0.0) for m in modes] for k in range(4)])
    probs /= probs.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(probs[column], axis=1)
    work_mode = np.array(modes)[np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), 2)]

    # Timeline of the offers whose outcome is known: end -> offer -> deadline and decision.
    def days(median: float, sigma: float) -> np.ndarray:
        drawn: np.ndarray = np.round(median * np.exp(rng.normal(0, sigma, n)))
        return drawn

    has_end = ~np.isnat(end)
    dated = offer_k & has_end & (rng.random(n) < 0.85)
    offer_date = end + np.maximum(days(DAYS_TO_OFFER_MEDIAN, 0.55), 1).astype("timedelta64[D]")
    deadline_days = np.array(DEADLINE_DAYS)[rng.integers(0, len(DEADLINE_DAYS), n)]
    deadline = offer_date + deadline_days.astype("timedelta64[D]")
    decided_after = np.minimum(np.maximum(days(DAYS_TO_DECISION_MEDIAN, 0.5), 1), deadline_days)
    decision = offer_date + decided_after.astype("timedelta64[D]")
    dated &= decision <= SAMPLE_AS_OF
    has_deadline = dated & (rng.random(n) < 0.8)

    # Reneges, hires and separations (tenure longer with training and for returning interns).
    reneged = accepted_k & (rng.random(n) < RENEGE_SHARE)
    start_after = np.where(final_year, rng.integers(240, 330, n), rng.integers(600, 700, n))
    hire = np.where(has_end, end, SAMPLE_AS_OF) + start_after.astype("timedelta64[D]")
    hired = accepted_k & ~reneged & has_end & (hire <= SAMPLE_AS_OF) & (rng.random(n) < 0.88)
    scale_years = (TENURE_SCALE_YEARS * np.where(training, 1.25, 0.85) * np.where(returning, 1.15, 0.95)
                   * np.exp(employers.accept_effect[emp] * 0.4))
    tenure_days = np.round(365.25 * scale_years * rng.weibull(TENURE_SHAPE, n)).astype("int64")
    separation = hire + np.maximum(tenure_days, 1).astype("timedelta64[D]")
    separated = hired & (separation <= SAMPLE_AS_OF)

    # Evaluations: interns rate trained internships higher; supervisors rate those they offer.
    intern_score = 3.5 + 0.45 * training + 0.3 * offer + rng.normal(0, 0.9, n)
    supervisor_score = 3.2 + 0.9 * offer + 0.2 * training + rng.normal(0, 0.8, n)
    rated = known & (rng.random(n) < 0.7)
    supervised = known & (rng.random(n) < 0.6)
    source = _pick(OUTCOME_SOURCES, rng.random(n))
    first_gen = _per_student(students, 3) < 0.3

    def rating(score: np.ndarray, present: np.ndarray) -> pl.Series:
        return _nullable(np.clip(np.round(score), 1, 5).astype(np.int32), ~present)

    return work_mode, {
        "returning_intern": _nullable(returning, rng.random(n) < 0.1),
        "offer_date": _nullable(offer_date, ~dated),
        "offer_deadline": _nullable(deadline, ~has_deadline),
        "decision_date": _nullable(decision, ~dated),
        "reneged": _nullable(reneged, ~accepted_k),
        "hire_date": _nullable(hire, ~hired),
        "separation_date": _nullable(separation, ~separated),
        "signing_bonus": _nullable(np.round(rng.choice([2000.0, 3000.0, 5000.0, 7500.0], n)),
                                   ~(offer_k & (rng.random(n) < 0.35))),
        "outcome_source": pl.Series([v if k else None for v, k in zip(source, known, strict=True)],
                                    dtype=pl.String),
        "intern_rating": rating(intern_score, rated),
        "supervisor_rating": rating(supervisor_score, supervised),
        "gender": pl.Series(_pick(GENDERS, _per_student(students, 1)).tolist(), dtype=pl.String),
        "ethnicity": pl.Series(_pick(ETHNICITIES, _per_student(students, 2)).tolist(),
                               dtype=pl.String),
        "first_generation": _nullable(first_gen, _per_student(students, 4) < 0.1),
    }


def _chunk(employers: Employers, seed: int, index: int, start_row: int, rows: int) -> pl.DataFrame:
    rng = np.random.default_rng([seed, index])
    n = rows
    emp = rng.choice(len(employers.names), size=n, p=employers.weight)
    uni = rng.choice(len(UNIVERSITIES), size=n, p=_normalise(UNIVERSITY_WEIGHTS))

    seasons = np.array(list(SEASON_SHARES))
    season = rng.choice(seasons, size=n, p=_normalise(list(SEASON_SHARES.values())))
    # Programs grew over the years: later terms are more common.
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    year = rng.choice(years, size=n, p=_normalise(1.0 + 0.12 * (years - FIRST_YEAR)))

    degree = rng.choice(np.array([d for d, _ in DEGREES]), size=n, p=_normalise([w for _, w in DEGREES]))
    role_idx = rng.choice(len(ROLE_FAMILIES), size=n, p=_normalise([r[1] for r in ROLE_FAMILIES]))
    role_family = np.array([r[0] for r in ROLE_FAMILIES])[role_idx]
    role_mult = np.array([r[2] for r in ROLE_FAMILIES])[role_idx]
    title_pick = rng.integers(0, 4, n)
    titles = [ROLE_FAMILIES[i][3] for i in role_idx]
    role = np.array([t[k % len(t)] for t, k in zip(titles, title_pick, strict=True)])
    program = np.array(PROGRAMS)[rng.integers(0, len(PROGRAMS), n)]

    summer = season == "summer"
    semester = (season == "fall") | (season == "spring")
    # Schedule: summers full time; semesters mostly part time, some six-month co-ops.
    coop = semester & (rng.random(n) < 0.18)
    full_time = np.where(summer, rng.random(n) < 0.93, np.where(coop, True, rng.random(n) < 0.3))
    hours = np.where(full_time, rng.choice([35.0, 37.5, 40.0, 40.0, 40.0], size=n),
                     rng.choice([10.0, 15.0, 20.0, 20.0, 24.0], size=n))
    weeks = np.where(summer, np.clip(np.round(rng.normal(11, 1.2, n)), 8, 14),
                     np.where(coop, rng.choice([24.0, 26.0, 26.0, 28.0], size=n),
                              np.where(semester, np.clip(np.round(rng.normal(15.5, 1.5, n)), 10, 18),
                                       np.clip(np.round(rng.normal(6, 1.5, n)), 3, 10))))

    paid = rng.random(n) < employers.paid_prob[emp]
    credit = rng.random(n) < np.where(paid, 0.1, 0.5) + np.where(semester, 0.1, 0.0)
    training = rng.random(n) < employers.training_prob[emp]

    currency = employers.currency[emp]
    local = np.vectorize(CURRENCY_RATE.get)(currency)
    hourly = (BASE_HOURLY_USD * role_mult * np.vectorize(DEGREE_PAY.get)(degree)
              * employers.pay_effect[emp] * np.exp(rng.normal(0, 0.10, n))
              * (1.0 + 0.025 * (year - 2022)) * local)
    period = rng.choice(np.array(["hour", "week", "month", "year", "total"]), size=n,
                        p=[0.72, 0.05, 0.1, 0.03, 0.1])
    amount = np.select(
        [period == "hour", period == "week", period == "month", period == "year"],
        [hourly, hourly * hours, hourly * hours * 52 / 12, hourly * schema.HOURS_PER_YEAR],
        hourly * hours * weeks,
    )
    amount = np.where(period == "hour", np.round(amount, 2), np.round(amount, 0))

    status = np.where(year == LAST_YEAR,
                      rng.choice(np.array(["completed", "in_progress", "withdrawn"]), size=n,
                                 p=[0.7, 0.27, 0.03]),
                      rng.choice(np.array(["completed", "withdrawn"]), size=n, p=[0.96, 0.04]))
    final_year = rng.random(n) < np.where(degree == "bachelor", 0.55, 0.65)
    recent_grad = rng.random(n) < 0.07
    final_year |= recent_grad
    cont_edu = final_year & (rng.random(n) < 0.05)

    offer_logit = (-0.38 + 0.75 * paid + 0.55 * training + 0.35 * full_time
                   + employers.offer_effect[emp] + 0.12 * (degree == "master")
                   + rng.normal(0, 0.3, n))
    offer = rng.random(n) < _sigmoid(offer_logit)
    accept_logit = 0.95 + 0.25 * paid + 0.2 * training + employers.accept_effect[emp]
    accepted = offer & (rng.random(n) < _sigmoid(accept_logit))
    completed = status == "completed"
    unknown = ~completed | (rng.random(n) < 0.03)
    salary = np.round(hourly * schema.HOURS_PER_YEAR * rng.normal(1.55, 0.1, n), -2)

    month = np.vectorize(lambda s: SEASON_START[s][0])(season)
    day = np.vectorize(lambda s: SEASON_START[s][1])(season) + rng.integers(-7, 8, n)
    start = ((year - 1970).astype("datetime64[Y]") + (month - 1).astype("timedelta64[M]")).astype(
        "datetime64[D]") + (day - 1).astype("timedelta64[D]")
    end = start + (weeks * 7 - 3).astype("int64").astype("timedelta64[D]")

    # The first wave's work mode, still drawn so the draws after it (unpaid pay amounts) keep
    # their values; the calibrated work mode below replaces it.
    rng.choice(np.array(["onsite", "hybrid", "remote"]), size=n, p=[0.55, 0.3, 0.15])
    ids = np.arange(start_row, start_row + n)
    students = (ids * 0.78).astype(np.int64)  # about 1.3 internships per student
    # The outcome fields beyond the first wave come from a stream of their own, so every column
    # drawn above keeps its values; only the work mode is drawn there now (see _outcomes).
    work_mode, extra = _outcomes(np.random.default_rng([seed, index, 0x0C]), employers, emp,
                                 students, offer, accepted, unknown, end, training, final_year)
    remote = work_mode == "remote"

    return pl.DataFrame({
        "placement_id": [f"P{i:08d}" for i in ids],
        "student_id": [f"S{s:08d}" for s in students],
        "university": np.array([u[0] for u in UNIVERSITIES])[uni],
        "program": program,
        "degree_level": degree,
        "student_status": np.where(recent_grad, "recent_graduate", "student"),
        "final_year": final_year,
        "employer": employers.names[emp],
        "employer_industry": employers.industry[emp],
        "role": role,
        "role_family": role_family,
        "city": _nullable(employers.city[emp], remote),
        "region": _nullable(employers.region[emp], remote),
        "country": employers.country[emp],
        "work_mode": work_mode,
        "term_season": season,
        "term_year": year.astype(np.int32),
        "start_date": start,
        "end_date": _nullable(end, status == "in_progress"),
        "duration_weeks": weeks.astype(float),
        "hours_per_week": hours,
        "paid": paid,
        "pay_amount": np.where(paid, amount, np.where(rng.random(n) < 0.5, 0.0, np.nan)),
        "pay_amount_max": pl.Series([None] * n, dtype=pl.Float64),
        "pay_period": _nullable(period, ~paid),
        "currency": _nullable(currency, ~paid),
        "academic_credit": credit,
        "structured_training": training,
        "status": status,
        "offer_extended": _nullable(offer, unknown),
        "offer_accepted": _nullable(accepted, unknown),
        "continuing_education": cont_edu,
        "offer_salary": _nullable(salary, unknown | ~offer),
        **extra,
    }).with_columns(pl.col("pay_amount").fill_nan(None))


def generate(rows: int, seed: int = DEFAULT_SEED) -> Iterator[pl.DataFrame]:
    """Yield the placements in chunks of at most CHUNK_ROWS rows, in canonical column order."""
    if rows < 0:
        raise ValueError("rows must not be negative")
    employers = _employers(seed)
    for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
        frame = _chunk(employers, seed, index, start, min(CHUNK_ROWS, rows - start))
        yield frame.select(schema.INPUT_NAMES)


def sample_frame(rows: int, seed: int = DEFAULT_SEED) -> pl.DataFrame:
    return pl.concat(list(generate(rows, seed))) if rows else pl.DataFrame()


def write(rows: int, out: Path, seed: int = DEFAULT_SEED) -> int:
    """Stream the sample to CSV or Parquet (by extension) in bounded memory; return rows written."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"--out must end in .csv or .parquet, not {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    if suffix == ".csv":
        with out.open("wb") as handle:
            for i, frame in enumerate(generate(rows, seed)):
                frame.write_csv(handle, include_header=i == 0)
                written += frame.height
        return written
    import pyarrow.parquet as pq  # heavy; only the Parquet path needs it

    writer: pq.ParquetWriter | None = None
    try:
        for frame in generate(rows, seed):
            table = frame.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(str(out), table.schema)
            writer.write_table(table)
            written += frame.height
    finally:
        if writer is not None:
            writer.close()
    return written
