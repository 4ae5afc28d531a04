"""Names, constants and definitions shared by every metric module."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final, Literal

from analytics import schema
from analytics.filters import Filter
from analytics.schema import DEFAULT_MIN_CELL as DEFAULT_MIN_CELL

CONVERSION_DIMENSIONS: Final = (
    "term", "term_year", "employer", "university", "role_family", "degree_level", "work_mode",
    "paid", "schedule", "academic_credit", "structured_training",
)
# Every function that groups accepts any of the schema's allow-listed dimensions.
GROUP_DIMENSIONS: Final = schema.DIMENSIONS
RATES: Final = ("offer_rate", "acceptance_rate", "conversion_rate")
# Groupings the retention tables offer (the list); identifiers only from here.
RETENTION_DIMENSIONS: Final = ("employer", "university", "role_family", "returning_intern",
                               "structured_training")
# Groupings the offer timeline offers.
TIMELINE_DIMENSIONS: Final = ("term", "term_year", "employer", "university", "role_family",
                              "work_mode", "returning_intern")
ALL_PLACEMENTS: Final = Filter()  # the default scope (a Filter is immutable, so sharing is safe)
Method = Literal["pooled", "employer_mean"]
METHODS: Final = ("pooled", "employer_mean")
MAX_RECORDS: Final = 10_000
UNKNOWN: Final = "unknown"
UNKNOWN_SORT: Final = 1_000_000_000
BENCHMARKS_CSV: Final = Path(__file__).resolve().parents[2] / "data" / "benchmarks.csv"

# Duration bands for duration_vs_conversion: [low, high) weeks.
WEEK_BANDS: Final[tuple[tuple[float, float, str], ...]] = (
    (0.0, 8.0, "under 8 weeks"),
    (8.0, 12.0, "8 to 12 weeks"),
    (12.0, 16.0, "12 to 16 weeks"),
    (16.0, 24.0, "16 to 24 weeks"),
    (24.0, math.inf, "24 weeks or more"),
)

DEFINITIONS: Final[dict[str, str]] = {
    "placements": "Internship placements in scope (one row of the data = one placement).",
    "students": "Distinct (pseudonymised) students among the placements in scope.",
    "eligible": (
        "Eligible interns (NACE): completed internships of interns in their final year (or recent "
        "graduates) who are not continuing their education. Interns still in school are not "
        "eligible. Decided per upload from the fields its file has: without the final year, every "
        "completed internship of that upload counts (and the page says so); without an internship "
        "status, eligibility is unknown (the page shows the coverage)."
    ),
    "offers": "Eligible interns who received a full-time (return) offer.",
    "accepted": "Eligible interns who accepted a full-time offer.",
    "offer_rate": "Offer rate = full-time offers / eligible interns.",
    "acceptance_rate": "Acceptance rate = accepted offers / offers.",
    "conversion_rate": "Conversion rate = accepted offers / eligible interns.",
    "knowledge_rate": (
        "Knowledge rate = eligible interns whose offer outcome is known / eligible interns. "
        "Unknown outcomes count as eligible but neither offered nor accepted, so a low "
        "knowledge rate pulls the other rates down."
    ),
    "pooled": (
        "Pooled rate: all eligible interns in the group added up, then divided (sum over sum); "
        "large employers weigh more."
    ),
    "employer_mean": (
        "Mean of employers' rates (how NACE publishes its survey): each employer's own rate, "
        "averaged with equal weight. Its interval is a Student-t interval across employers."
    ),
    "wilson_interval": (
        "95% Wilson score interval: the range of true rates compatible with the observed count; "
        "wide for small cohorts. Stays within 0-100%."
    ),
    "funnel_plot": (
        "Funnel plot: each employer's conversion rate against its number of eligible interns, with "
        "95% and 99.8% control limits around the overall rate: exact binomial limits (Spiegelhalter "
        "2005) by default, or widened by the between-employer variance (overdispersion). Points "
        "outside the 99.8% limits differ by more than chance would explain."
    ),
    "shrunk_conversion": (
        "Shrunken conversion: an empirical-Bayes (beta-binomial, method of moments) estimate that "
        "pulls each employer's rate towards the overall rate, more strongly the fewer eligible "
        "interns it has, so small cohorts do not top the ranking by luck."
    ),
    "paid_share": "Paid share = paid placements / placements whose paid status is known.",
    "hourly_pay": (
        "Hourly-equivalent pay: hourly pay as is; weekly / hours per week; monthly x 12 / 52 / "
        "hours per week; yearly / 2080; lump sum / (weeks x hours per week); 40 hours a week when "
        "unknown. With no period given, one is assumed only where the amount allows just one (5 to "
        "100: an hour; 15,000 to 250,000: a year), else there is no hourly figure (the pay note "
        "says why). Only aggregated within one currency; no exchange rate is invented."
    ),
    "median_hourly_pay": "Median hourly-equivalent pay of paid placements in the main currency.",
    "duration_weeks": "Internship length in weeks (from the dates or the stated duration).",
    "full_time_share": "Share of placements with 35 or more hours per week.",
    "academic_credit_share": "Share of placements taken for academic credit.",
    "structured_training_share": "Share of placements that included structured training or mentoring.",
    "retention": (
        "Retention: the share of converted interns (accepted, not reneged, with a hire date) still "
        "with the employer 1 and 5 years after the hire, by the Kaplan-Meier product-limit "
        "estimate: a hire with no separation recorded counts as followed up to the data date (the "
        "latest upload), not as a stayer. 95% interval: Greenwood's variance on the log-log scale. "
        "Shown only where at least the privacy threshold of hires is still followed."
    ),
    "hiring_timeline": (
        "Hiring timeline: days from the internship's end to the offer, from the offer to its "
        "deadline, and from the offer to the decision (medians and middle halves over offers with "
        "both dates). An exploding offer has a deadline under 14 days."
    ),
    "renege_rate": (
        "Renege rate = accepted offers later withdrawn before starting / accepted offers whose "
        "renege status is known, with a 95% Wilson interval."
    ),
    "knowledge_target": (
        "Knowledge-rate gate: NACE's first-destination standards ask for a known outcome for at "
        "least 65% of the eligible interns. Wherever a shown offer or conversion figure rests on "
        "less, the page says so; the Knowledge rate page shows it by source and by term."
    ),
    "returning_intern": (
        "Returning intern: had interned at the same employer before. Offer, acceptance and "
        "conversion are compared for returning and first-time interns, each with its n and 95% "
        "Wilson interval."
    ),
    "rating_mean": (
        "Mean rating: the mean of the 1-5 ratings given (one per placement), with a 95% Student-t "
        "interval. A rating's distribution is shown whole or not at all: every score given needs "
        "at least min_cell students, since beside the mean and its interval a smaller bar could "
        "be worked out from the others."
    ),
    "equity": (
        "Equity breakdowns (gender, ethnicity, first-generation status): each group against all "
        "eligible interns of the selection. On top of the usual rules a rate needs min_cell "
        "students on both of its sides (offered and not, hired and not), pay needs min_cell paid "
        "students (and no dominant employer in network figures), and these fields are never "
        "filters."
    ),
    "suppression": (
        "Privacy: any figure describing fewer than min_cell students (default 10) is hidden and "
        "shown as 'fewer than 10', with the numerators that would rebuild it; where a table shows "
        "a total, one more cell is hidden so the hidden one cannot be recovered by subtraction; a "
        "group hidden in a comparison stays hidden in every view."
    ),
    "perturbation": (
        "Figures that include placements outside your own scope (network benchmarks, the public "
        "view) are perturbed by the cell-key method: the same cell always shows the same value, "
        "counts move by at most 2, and rates are computed from the perturbed counts."
    ),
}


class MetricsError(ValueError):
    """A bad argument to a metric (unknown dimension, method, currency bin width...)."""
