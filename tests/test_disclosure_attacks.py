"""Issue 11's eight attacks, tried as a curious user would, through the public metric functions.

Each test builds a small database whose hidden value is known by construction, runs the attack,
and asserts it recovers nothing. "On 7c8cc45" in each docstring says what the attack got from the
code of commit 7c8cc45 (before the disclosure gate), run in a throwaway worktree with the old
signatures (no principal argument; every principal then saw the whole network).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analytics import metrics
from analytics import store as store_module
from analytics.access import Principal
from analytics.filters import Filter
from analytics.store import Store
from tests.disclosure_support import (
    ADMIN,
    MIN_CELL,
    PUBLIC,
    VIEWER_U1,
    by_key,
    cohort,
    count_from,
    make_store,
    one,
    row,
    visible_figures,
)


def only(name: str) -> Filter:
    return Filter(employers=(name,))


# ================================================================================================
# Cases 1 and 2: a hidden employer's profile, and the university view's network column
# ================================================================================================
def hidden_pair_rows(tiny: tuple[int, int, int] = (3, 3, 3),
                     comp: tuple[int, int, int] = (12, 8, 6)) -> list[dict[str, Any]]:
    """Big One 40 eligible (20 accepted), Big Two 30 (12), Comp 12 (6), Tiny 3 (3 of 3).

    The comparison hides Tiny (3 < 10) and, as its complement, the smallest other row: Comp.
    Comp and Tiny are entirely at U1; the Big employers half at U1, half at U2, so a viewer of U1
    sees the same pattern in its own scope (Big One 20, Big Two 15, Comp 12, Tiny 3)."""
    return [
        *cohort(20, 12, 10, employer="Big One", university="U1"),
        *cohort(20, 12, 10, employer="Big One", university="U2"),
        *cohort(15, 8, 6, employer="Big Two", university="U1"),
        *cohort(15, 7, 6, employer="Big Two", university="U2"),
        *cohort(*comp, employer="Comp", university="U1"),
        *cohort(*tiny, employer="Tiny", university="U1"),
    ]


def conversion_pair(record: dict[str, Any], n: str, accepted: str, rate: str) -> tuple[float, float] | None:
    """(eligible, accepted) as a row shows them, directly or as rate x n."""
    size = count_from(record, n, None, None)
    got = count_from(record, accepted, rate, n)
    return None if size is None or got is None else (size, got)


def profile_avenues(store: Store, principal: Principal, name: str) -> dict[str, tuple[float, float]]:
    """Every view that might show one employer's (eligible, accepted) on its own."""
    found: dict[str, tuple[float, float]] = {}
    flt = only(name)
    pair = conversion_pair(one(metrics.overview(store, principal, flt, min_cell=MIN_CELL)),
                           "eligible", "accepted", "conversion_rate")
    if pair:
        found["overview profile"] = pair
    by_term = metrics.conversion_by(store, principal, "term", flt, min_cell=MIN_CELL)
    for record in by_term.iter_rows(named=True):
        pair = conversion_pair(record, "n", "accepted", "conversion_rate")
        if pair:
            found["conversion_by term, filtered to it"] = pair
    for record in metrics.employer_comparison(store, principal, flt, min_cell=MIN_CELL).iter_rows(named=True):
        pair = conversion_pair(record, "n", "accepted", "conversion_rate")
        if pair and record["employer"] == name:
            found["employer_comparison filtered to it"] = pair
    funnel = by_key(metrics.funnel(store, principal, flt, min_cell=MIN_CELL), "stage")
    if funnel["Eligible"]["count"] is not None and funnel["Accepted"]["count"] is not None:
        found["funnel profile"] = (funnel["Eligible"]["count"], funnel["Accepted"]["count"])
    summary = metrics.summary_table(store, principal, flt, by=("term",), min_cell=MIN_CELL)
    for record in summary.iter_rows(named=True):
        pair = conversion_pair(record, "eligible", "accepted", "conversion_rate")
        if pair:
            found["summary_table filtered to it"] = pair
    if principal.whole_network or "U1" in principal.universities:
        view = by_key(metrics.university_view(store, principal, "U1", min_cell=MIN_CELL), "employer")
        if name in view:
            pair = conversion_pair(view[name], "n_university", "", "conversion_university")
            if pair:
                found["university_view university column"] = pair
            pair = conversion_pair(view[name], "n_network", "", "conversion_network")
            if pair:
                found["university_view network column"] = pair
    return found


@pytest.mark.parametrize("principal", [ADMIN, VIEWER_U1, PUBLIC], ids=["admin", "viewer", "public"])
def test_case1_a_hidden_employers_profile_does_not_rebuild_the_other_hidden_one(
    hand_built, principal
) -> None:
    """Attack: the comparison hides Tiny and Comp; read Comp from any profile view, then
    overview - visible employers - Comp = Tiny.

    On 7c8cc45: recovered Tiny exactly, 3 eligible, 3 of 3 accepted, through the overview
    profile, conversion_by and summary_table filtered to Comp, the comparison filtered to Comp,
    the funnel profile and both columns of the university view (all principals: no scopes)."""
    store = hand_built(hidden_pair_rows())
    table = metrics.employer_comparison(store, principal, min_cell=MIN_CELL)
    hidden = table.filter(pl.col("suppressed"))["employer"].to_list()
    shown = table.filter(~pl.col("suppressed"))
    assert set(shown["employer"].to_list()) <= {"Big One", "Big Two"}
    if principal is not PUBLIC:
        # Exact cells: the comparison itself must hide exactly the pair (Tiny and its complement).
        assert sorted(hidden) == ["Comp", "Tiny"]
    total = one(metrics.overview(store, principal, min_cell=MIN_CELL))
    leaks = {}
    for name in hidden:
        for avenue, (n, accepted) in profile_avenues(store, principal, name).items():
            other: Any = "the other hidden employer, given the overview total"
            if total["eligible"] is not None and total["accepted"] is not None:
                other = (total["eligible"] - float(shown["n"].sum()) - n,
                         total["accepted"] - float(shown["accepted"].sum()) - accepted)
            leaks[f"{name} via {avenue}"] = other
    assert leaks == {}


@pytest.mark.parametrize("principal", [ADMIN, VIEWER_U1], ids=["admin", "viewer"])
def test_case2_university_view_network_column_hides_what_the_comparison_hid(hand_built, principal) -> None:
    """Attack: read Comp's network cell (n_network, conversion_network) from the university view.

    On 7c8cc45: the network column showed Comp at n = 12, 50% (Comp is entirely at U1, so the
    'other universities' rule did not fire), and overview - visible - Comp gave Tiny = 3 of 3."""
    store = hand_built(hidden_pair_rows())
    hidden = set(metrics.employer_comparison(store, principal, min_cell=MIN_CELL)
                 .filter(pl.col("suppressed"))["employer"].to_list())
    assert hidden == {"Comp", "Tiny"}
    view = by_key(metrics.university_view(store, principal, "U1", min_cell=MIN_CELL), "employer")
    shown = {name: visible_figures(view[name], ["n_network", "conversion_network",
                                                "conversion_network_low", "conversion_network_high"])
             for name in hidden if name in view}
    assert shown == {name: {} for name in shown}
    assert "Comp" in shown  # the view lists it (it has U1 interns), with its network figures hidden


# ================================================================================================
# Case 3: differencing across filters
# ================================================================================================
EPHEMERAL = 40  # employers (and programmes), each one trial of the attack


def differencing_rows() -> list[dict[str, Any]]:
    """Per trial NN, employer 'Ephem NN' in programme 'Prog NN': 2023 at U2 20 eligible (10
    accepted, all paid 20.00) and at U1 10 eligible (5 accepted, unpaid); 2024 at U2 4 eligible,
    3 accepted, one of them paid 30 + NN, the other three unpaid. The 2024 cell (4, 3) is hidden
    everywhere; the attack subtracts 2023 from 2023 + 2024. Two filler employers put 20 paid 2023
    interns each into every programme, so no programme's pay is one employer's (dominance)."""
    rows: list[dict[str, Any]] = []
    for i in range(EPHEMERAL):
        name, program = f"Ephem {i:02d}", f"Prog {i:02d}"
        rows += cohort(20, 12, 10, employer=name, program=program, university="U2", term_year=2023)
        rows += cohort(10, 5, 5, employer=name, program=program, university="U1", term_year=2023,
                       paid=False)
        rows += cohort(4, 3, 3, employer=name, program=program, university="U2", term_year=2024,
                       paid=False)
        rows[-1].update(paid=True, pay_amount=30.0 + i)
        for filler in ("Filler A", "Filler B"):
            rows += cohort(20, 10, 8, employer=filler, program=program, university="U2",
                           term_year=2023)
    return rows


BOTH_YEARS = Filter(term_years=(2023, 2024))
FIRST_YEAR = Filter(term_years=(2023,))


def test_case3_differencing_two_public_cells_rarely_recovers_the_hidden_one(hand_built) -> None:
    """Attack (public): conversion_by employer for 2023 + 2024 minus 2023 gives each employer's
    2024 cell; pay_by programme's mean x n, subtracted the same way, gives the one 2024 intern's
    pay.

    On 7c8cc45: every one of the 40 employers recovered exactly (4 eligible, 3 accepted, and the
    intern's pay to the cent)."""
    store = hand_built(differencing_rows())

    def conversion(flt: Filter) -> dict[str, dict[str, Any]]:
        return by_key(metrics.conversion_by(store, PUBLIC, "employer", flt, min_cell=MIN_CELL))

    def pay(flt: Filter) -> dict[str, dict[str, Any]]:
        return by_key(metrics.pay_by(store, PUBLIC, "program", flt, min_cell=MIN_CELL))

    both, first = conversion(BOTH_YEARS), conversion(FIRST_YEAR)
    pay_both, pay_first = pay(BOTH_YEARS), pay(FIRST_YEAR)
    exact_counts = exact_pay = 0
    for i in range(EPHEMERAL):
        name = f"Ephem {i:02d}"
        a, b = both[name], first[name]
        assert a["n"] is not None and b["n"] is not None  # large cells are released
        if (a["n"] - b["n"], a["accepted"] - b["accepted"]) == (4, 3):
            exact_counts += 1
        p, q = pay_both[f"Prog {i:02d}"], pay_first[f"Prog {i:02d}"]
        if None not in (p["n"], p["mean_hourly_pay"], q["n"], q["mean_hourly_pay"]):
            recovered = p["n"] * p["mean_hourly_pay"] - q["n"] * q["mean_hourly_pay"]
            exact_pay += abs(recovered - (30.0 + i)) < 0.5
    # Two independent noises from the table cancel for about a third of cells; both counts at
    # once for about a ninth. Half is far above either.
    assert exact_counts < EPHEMERAL / 2
    assert exact_pay < EPHEMERAL / 2


def test_case3_differencing_a_viewers_network_column_rarely_recovers_the_hidden_cell(hand_built) -> None:
    """Attack (viewer of U1): the university view's network column for 2023 + 2024 minus 2023
    gives each employer's network-wide 2024 cell (4 eligible, 3 accepted, all at U2).

    On 7c8cc45: recovered exactly for all 40 employers."""
    store = hand_built(differencing_rows())

    def network(flt: Filter) -> dict[str, dict[str, Any]]:
        return by_key(metrics.university_view(store, VIEWER_U1, "U1", flt, min_cell=MIN_CELL), "employer")

    both, first = network(BOTH_YEARS), network(FIRST_YEAR)
    exact = 0
    for i in range(EPHEMERAL):
        a, b = both[f"Ephem {i:02d}"], first[f"Ephem {i:02d}"]
        assert a["n_network"] is not None and b["n_network"] is not None
        accepted_a = count_from(a, None, "conversion_network", "n_network")
        accepted_b = count_from(b, None, "conversion_network", "n_network")
        assert accepted_a is not None and accepted_b is not None
        recovered = (a["n_network"] - b["n_network"], round(accepted_a - accepted_b))
        exact += recovered == (4, 3)
    assert exact < EPHEMERAL / 2


# ================================================================================================
# Case 4: shrunken rates and funnel statistics computed over hidden employers
# ================================================================================================
@pytest.mark.parametrize("principal", [ADMIN, VIEWER_U1], ids=["admin", "viewer"])
def test_case4_visible_rows_do_not_depend_on_how_the_hidden_pair_splits(hand_built, principal) -> None:
    """Attack: with two visible rows and the overview totals, the hidden pair's sum is known;
    shrunk_conversion of the visible rows (a prior estimated over every employer) then pins the
    split down. Two databases with the same visible employers and the same hidden sums but a
    different split must release identical visible figures, or the split leaks.

    On 7c8cc45: the visible rows' shrunk_conversion differed between the twins (and the CLI's
    full-precision JSON let a brute force over splits find the true one)."""
    twin_a = hand_built(hidden_pair_rows(tiny=(3, 3, 3), comp=(12, 8, 6)))
    twin_b = hand_built(hidden_pair_rows(tiny=(5, 2, 0), comp=(10, 9, 9)))

    def released(store: Store) -> tuple[Any, ...]:
        table = metrics.employer_comparison(store, principal, min_cell=MIN_CELL)
        points, limits, target = metrics.funnel_plot(store, principal, min_cell=MIN_CELL)
        return (table.filter(~pl.col("suppressed")).sort("employer").to_dicts(),
                points.sort("employer").to_dicts(), limits.to_dicts(), target,
                one(metrics.overview(store, principal, min_cell=MIN_CELL)),
                metrics.comparison_basis(store, principal, min_cell=MIN_CELL).to_dicts())

    a, b = released(twin_a), released(twin_b)
    assert [r["employer"] for r in a[0]] == ["Big One", "Big Two"]
    assert a[0] == b[0]  # the comparison's visible rows, every column
    assert a[1:] == b[1:]  # the funnel plot's points, limits, target; the overview; tau2


def test_case4_cli_json_of_the_comparison_does_not_depend_on_the_hidden_split(tmp_path: Path) -> None:
    """The same twins through `internships compare employers --json`, as the issue's attacker
    used it. On 7c8cc45: the two JSON outputs differed in the visible rows' shrunk rates."""
    from analytics.cli import main

    outputs = []
    for i, (tiny, comp) in enumerate((((3, 3, 3), (12, 8, 6)), ((5, 2, 0), (10, 9, 9)))):
        path = tmp_path / f"twin{i}.duckdb"
        make_store(path, hidden_pair_rows(tiny=tiny, comp=comp)).close()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["compare", "employers", "--db", str(path), "--json"]) == 0
        store_module.close_all()
        outputs.append(json.loads(out.getvalue()))
    assert outputs[0] == outputs[1]


def test_case4_shrunk_rates_are_released_rounded(hand_built) -> None:
    """Shrinkage results are released rounded (3 decimals), not as full-precision floats.
    On 7c8cc45: full precision (e.g. 0.4987341772151899)."""
    store = hand_built(hidden_pair_rows())
    table = metrics.employer_comparison(store, ADMIN, min_cell=MIN_CELL)
    values = [v for v in table["shrunk_conversion"].to_list() if v is not None]
    assert values
    assert all(v == round(v, 3) for v in values)


# ================================================================================================
# Case 5: numerators beside a hidden rate; small counts in hovers
# ================================================================================================
def numerator_rows() -> list[dict[str, Any]]:
    """Solo: 20 eligible, 3 offers, 2 accepted; 3 of them unpaid, 3 others part time.
    Big One: 40 eligible, 24 offers, 20 accepted, all paid and full time."""
    solo = cohort(20, 3, 2, employer="Solo", university="U2")
    for r in solo[14:17]:
        r["hours_per_week"] = 20.0
    for r in solo[17:]:
        r.update(paid=False, pay_amount=None)
    return [*cohort(40, 24, 20, employer="Big One"), *solo]


def offers_leaks(record: dict[str, Any], n: str = "n") -> dict[str, Any]:
    """What of the 3-offer cell a row still shows: the acceptance rate, or the offers count /
    offer rate that would rebuild accepted / offers beside the visible counts."""
    leaks = visible_figures(record, ["acceptance_rate", "acceptance_rate_low", "acceptance_rate_high",
                                     "offers", "offer_rate", "offer_rate_low", "offer_rate_high"])
    offers = count_from(record, "offers", "offer_rate", n)
    accepted = count_from(record, "accepted", "conversion_rate", n)
    if offers is not None and accepted is not None:
        leaks["accepted / offers"] = accepted / offers
    return leaks


@pytest.mark.parametrize("principal", [ADMIN, PUBLIC], ids=["admin", "public"])
def test_case5_offers_beside_a_hidden_acceptance_rate_are_hidden(hand_built, principal) -> None:
    """Attack: the acceptance rate (3 offers) reads 'fewer than 10', but offers 3 and accepted 2
    stand beside it, so accepted / offers = 67%.

    On 7c8cc45: overview, conversion_by, employer_comparison and summary_table all showed
    offers = 3 and accepted = 2 (and the offer rate 15%). A gate that hides Solo's offers but not
    another row's leaves them as the overview's total offers minus the other rows'."""
    store = hand_built(numerator_rows())
    views = {
        "overview": (one(metrics.overview(store, principal, only("Solo"), min_cell=MIN_CELL)), "eligible"),
        "conversion_by": (by_key(metrics.conversion_by(store, principal, "employer",
                                                       min_cell=MIN_CELL))["Solo"], "n"),
        "employer_comparison": (by_key(metrics.employer_comparison(store, principal, min_cell=MIN_CELL),
                                       "employer")["Solo"], "n"),
        "summary_table": (by_key(metrics.summary_table(store, principal, by=("employer",), min_cell=MIN_CELL),
                                 "employer")["Solo"], "eligible"),
    }
    leaks = {name: offers_leaks(record, n) for name, (record, n) in views.items()}
    # Solo's offers hidden but the total and the other rows' offers shown: total - others = 3.
    total_offers = one(metrics.overview(store, principal, min_cell=MIN_CELL))["offers"]
    tables = {
        "conversion_by": (metrics.conversion_by(store, principal, "employer", min_cell=MIN_CELL), "group"),
        "employer_comparison": (metrics.employer_comparison(store, principal, min_cell=MIN_CELL), "employer"),
        "summary_table": (metrics.summary_table(store, principal, by=("employer",), min_cell=MIN_CELL),
                          "employer"),
    }
    for name, (frame, key) in tables.items():
        others = [count_from(r, "offers", "offer_rate", "n" if name != "summary_table" else "eligible")
                  for r in frame.iter_rows(named=True) if r[key] != "Solo"]
        if total_offers is not None and None not in others:
            leaks[name]["total offers - other rows"] = total_offers - sum(o or 0.0 for o in others)
    assert leaks == {name: {} for name in views}
    # The cohort itself (20 students) is not hidden: the test is about its numerators.
    assert all(record[n] is not None for record, n in views.values())


def small_part_leaks(record: dict[str, Any], part: str, other: str, share: str,
                     share_is_of_part: bool) -> dict[str, Any]:
    """What a row shows of a small part (3 unpaid, 3 part-time): the count itself, n - other,
    or the share x n."""
    leaks = visible_figures(record, [part])
    n = record.get("n")
    if n is not None and record.get(other) is not None:
        leaks["n - " + other] = n - record[other]
    if n is not None and record.get(share) is not None:
        leaks[share + " x n"] = (record[share] if share_is_of_part else 1 - record[share]) * n
    return leaks


@pytest.mark.parametrize("principal", [ADMIN, PUBLIC], ids=["admin", "public"])
def test_case5_small_counts_in_hovers_cannot_be_read(hand_built, principal) -> None:
    """Attack: the paid-share and schedule charts' hovers carry n, paid / unpaid and full / part
    time: Solo's 3 unpaid and 3 part-time interns can be read off (or rebuilt from n and the
    other part, or from the share).

    On 7c8cc45: unpaid = 3 and part_time = 3 shown directly."""
    store = hand_built(numerator_rows())
    paid = one(metrics.paid_share_by_term(store, principal, only("Solo"), min_cell=MIN_CELL))
    mix = one(metrics.schedule_mix(store, principal, only("Solo"), by="term_season", min_cell=MIN_CELL))
    leaks = {
        "paid_share_by_term": small_part_leaks(paid, "unpaid", "paid", "paid_share", False),
        "schedule_mix": small_part_leaks(mix, "part_time", "full_time", "full_time_share", False),
    }
    assert leaks == {"paid_share_by_term": {}, "schedule_mix": {}}


def test_case5_overview_shares_do_not_rebuild_small_counts(hand_built) -> None:
    """The same 3 unpaid and 3 part-time interns through the overview's cards: a paid share of
    85% of 20 placements is 3 unpaid (the paid-share table hides that cell, so the card must too).

    On 7c8cc45: paid_share 0.85 with paid_known 20, full_time_share 0.85 with 20 placements."""
    store = hand_built(numerator_rows())
    card = one(metrics.overview(store, ADMIN, only("Solo"), min_cell=MIN_CELL))
    assert card["placements"] is not None  # the employer is large enough to have a profile
    assert visible_figures(card, ["paid_share", "full_time_share"]) == {}


# ================================================================================================
# Case 6: cells count placements, not students
# ================================================================================================
def repeat_rows() -> list[dict[str, Any]]:
    """Repeat: 4 students with three eligible internships each (spring, summer, fall 2024) --
    12 placements, 9 accepted (3 students accepted every offer) -- plus two large employers."""
    rows = [*cohort(40, 24, 20, employer="Big One", university="U1"),
            *cohort(30, 15, 12, employer="Big Two", university="U2")]
    for s in range(4):
        for season in ("spring", "summer", "fall"):
            rows.append(row(employer="Repeat", university="U1", term_season=season,
                            student_id=f"REPEAT-{s}", offer_extended=s < 3, offer_accepted=s < 3,
                            pay_amount=30.0 + s))
    return rows


def test_case6_four_students_are_a_small_cell_however_many_placements(hand_built) -> None:
    """Attack: read Repeat's row anywhere; 12 placements but 4 students.

    On 7c8cc45: '12 eligible, 75%' in conversion_by, employer_comparison, pay_vs_conversion,
    summary_table and both university-view columns; pay_by showed its 12 paid records' median and
    mean, duration_by its weeks. Only the overview (distinct students) was suppressed."""
    store = hand_built(repeat_rows())
    views = {
        "conversion_by": by_key(metrics.conversion_by(store, ADMIN, "employer", min_cell=MIN_CELL)),
        "employer_comparison": by_key(metrics.employer_comparison(store, ADMIN, min_cell=MIN_CELL),
                                      "employer"),
        "pay_vs_conversion": by_key(metrics.pay_vs_conversion(store, ADMIN, min_cell=MIN_CELL), "employer"),
        "summary_table": by_key(metrics.summary_table(store, ADMIN, by=("employer",), min_cell=MIN_CELL),
                                "employer"),
        "pay_by": by_key(metrics.pay_by(store, ADMIN, "employer", min_cell=MIN_CELL)),
        "duration_by": by_key(metrics.duration_by(store, ADMIN, "employer", min_cell=MIN_CELL)),
        "credit_share_by": by_key(metrics.credit_share_by(store, ADMIN, "employer", min_cell=MIN_CELL)),
        "schedule_mix": by_key(metrics.schedule_mix(store, ADMIN, by="employer", min_cell=MIN_CELL)),
        "university_view": by_key(metrics.university_view(store, ADMIN, "U1", min_cell=MIN_CELL), "employer"),
    }
    leaks = {name: visible_figures(rows["Repeat"]) for name, rows in views.items()}
    assert leaks == {name: {} for name in views}
    points, _, _ = metrics.funnel_plot(store, ADMIN, min_cell=MIN_CELL)
    assert "Repeat" not in points["employer"].to_list()
    assert one(metrics.overview(store, ADMIN, only("Repeat"), min_cell=MIN_CELL))["suppressed"] is True


# ================================================================================================
# Case 7: raw student ids stored (quarantine, downloads)
# ================================================================================================
RAW_PREFIX = "RAWSTU"


def messy_file(path: Path) -> list[str]:
    """A CSV of 12 placements with raw student ids, 3 of them unreadable (bad year, bad status,
    pay that is not a number). Returns the raw ids."""
    header = ["student_id", "employer", "university", "term_season", "term_year", "status",
              "final_year", "offer_extended", "offer_accepted", "paid", "pay_amount", "pay_period",
              "currency", "hours_per_week", "duration_weeks"]
    ids = [f"{RAW_PREFIX}{i:05d}X" for i in range(12)]
    lines = []
    for i, sid in enumerate(ids):
        line = [sid, "Acme Corp", "U1", "summer", "2024", "completed", "yes", "yes", "no", "yes",
                "20", "hour", "USD", "40", "10"]
        if i == 3:
            line[4] = "the year after next"
        if i == 6:
            line[5] = "graduated with honours"
        if i == 9:
            line[10] = "lots of money"
        lines.append(line)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(lines)
    return ids


def test_case7_no_raw_student_id_anywhere_after_importing_rejected_rows(tmp_path: Path) -> None:
    """Attack: import a file with rejected rows, then look for the raw ids in every text of every
    table, in the import report's rejected rows (the Upload page's table), the rejected-rows CSV
    download and `internships rejected`.

    On 7c8cc45: the quarantine's `raw` column, the report, the download and the CLI output all
    held the three rejected rows' raw student ids."""
    from analytics.cli import main
    from analytics.ingest.pipeline import import_file, quarantine_rows, rejected_csv

    source = tmp_path / "messy.csv"
    ids = messy_file(source)
    path = tmp_path / "raw.duckdb"
    store = Store(path)
    report = import_file(store, source, uploader="analyst@u.edu")
    assert report.rows_rejected == 3 and report.rows_loaded == 9
    assert report.batch_id is not None
    found: dict[str, int] = {}
    tables = store.rows("SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_type = 'BASE TABLE'")
    for schema_name, table in tables:
        columns = [c for (c,) in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ?", [schema_name, table])]
        for column in columns:
            hits = store.scalar(
                f'SELECT count(*) FROM "{schema_name}"."{table}" '
                f'WHERE CAST("{column}" AS VARCHAR) LIKE ?', [f"%{RAW_PREFIX}%"])
            if hits:
                found[f"{table}.{column}"] = int(hits)
    assert tables  # the search looked at the database
    texts = {
        "report.rejected": report.rejected.write_csv(),
        "rejected_csv download": rejected_csv(quarantine_rows(store, report.batch_id)).decode(),
    }
    store.close()
    store_module.close_all()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["rejected", str(report.batch_id), "--db", str(path)])
    texts["internships rejected"] = out.getvalue()
    for name, text in texts.items():
        hits = sum(sid in text for sid in ids)
        if hits:
            found[name] = hits
    assert found == {}


# ================================================================================================
# Case 8: pay statistics of fewer than 10 paid students; dominance; pay complements
# ================================================================================================
def pay_rows() -> list[dict[str, Any]]:
    """Big One 40 paid (18.00 to 25.80), Big Two 30 paid (21.00 to 26.80), Mid 12 paid (25.00),
    Few 20 eligible of whom 4 are paid (30, 32, 34, 36), FewRepeat 4 students x 3 paid placements
    (40 + student, 12 paid records)."""
    rows = [row(employer="Big One", pay_amount=18.0 + 0.2 * i) for i in range(40)]
    rows += [row(employer="Big Two", university="U2", pay_amount=21.0 + 0.2 * i) for i in range(30)]
    rows += [row(employer="Mid", pay_amount=25.0) for _ in range(12)]
    rows += [row(employer="Few", pay_amount=30.0 + 2 * i) for i in range(4)]
    rows += [row(employer="Few", paid=False) for _ in range(16)]
    for s in range(4):
        for season in ("spring", "summer", "fall"):
            rows.append(row(employer="FewRepeat", student_id=f"FEWREP-{s}", term_season=season,
                            pay_amount=40.0 + s))
    return rows


PAY_COLUMNS = ["median_hourly_pay", "mean_hourly_pay", "p25_hourly_pay", "p75_hourly_pay"]


def test_case8_pay_of_fewer_than_10_paid_students_is_hidden_everywhere(hand_built) -> None:
    """Attack: read Few's (4 paid students) or FewRepeat's (12 paid records of 4 students) pay.

    On 7c8cc45: pay_by hid Few but showed FewRepeat (12 records); employer_comparison,
    pay_vs_conversion and summary_table showed FewRepeat's median; the overview profile of
    FewRepeat was suppressed (4 students), Few's showed no median (4 records)."""
    store = hand_built(pay_rows())
    views = {
        "pay_by": by_key(metrics.pay_by(store, ADMIN, "employer", min_cell=MIN_CELL)),
        "employer_comparison": by_key(metrics.employer_comparison(store, ADMIN, min_cell=MIN_CELL),
                                      "employer"),
        "pay_vs_conversion": by_key(metrics.pay_vs_conversion(store, ADMIN, min_cell=MIN_CELL), "employer"),
        "summary_table": by_key(metrics.summary_table(store, ADMIN, by=("employer",), min_cell=MIN_CELL),
                                "employer"),
    }
    leaks = {}
    for view, rows in views.items():
        for name in ("Few", "FewRepeat"):
            shown = visible_figures(rows[name], PAY_COLUMNS)
            if shown:
                leaks[f"{view}: {name}"] = shown
    for name in ("Few", "FewRepeat"):
        shown = visible_figures(one(metrics.overview(store, ADMIN, only(name), min_cell=MIN_CELL)),
                                ["median_hourly_pay", "mean_hourly_pay"])
        if shown:
            leaks[f"overview: {name}"] = shown
    assert leaks == {}
    assert views["pay_by"]["Big One"]["median_hourly_pay"] is not None  # not everything hidden


def test_case8_a_pay_complement_is_not_shown_by_its_profile(hand_built) -> None:
    """Attack (admin): pay_by employer hides Few (4 paid) and, as its complement, Mid (12 paid).
    Mid's profile shows its mean pay and paid count; overall mean x n minus the visible employers
    minus Mid gives Few's four pays' sum, hence their mean (33.00).

    On 7c8cc45: recovered Few's mean pay exactly (33.00) -- and so does any gate that keeps a
    profile consistent with the conversion comparison only."""
    store = hand_built([r for r in pay_rows() if r["employer"] != "FewRepeat"])
    table = metrics.pay_by(store, ADMIN, "employer", min_cell=MIN_CELL)
    hidden = table.filter(pl.col("suppressed"))["group"].to_list()
    shown = table.filter(~pl.col("suppressed"))
    assert "Few" in hidden
    total = one(metrics.overview(store, ADMIN, min_cell=MIN_CELL))
    recovered = {}
    for name in hidden:
        if name == "Few":
            continue
        card = one(metrics.overview(store, ADMIN, only(name), min_cell=MIN_CELL))
        if None in (card["hourly_pay_n"], card["mean_hourly_pay"], total["hourly_pay_n"],
                    total["mean_hourly_pay"]):
            continue
        rest_n = total["hourly_pay_n"] - float(shown["n"].sum()) - card["hourly_pay_n"]
        rest_sum = (total["hourly_pay_n"] * total["mean_hourly_pay"]
                    - float((shown["n"] * shown["mean_hourly_pay"]).sum())
                    - card["hourly_pay_n"] * card["mean_hourly_pay"])
        if rest_n > 0:
            recovered[name] = rest_sum / rest_n
    assert recovered == {}


def dominance_rows() -> list[dict[str, Any]]:
    """U1: Big One 30 paid, Big Two 30, Big Three 20 (18 to 23, none over half). U2: Dom 20 paid
    at 40.00, Side A 6 at 20.00 and Side B 6 at 22.00 -- Dom is 20 of U2's 32 paid students and
    800 of its 1,052 dollars an hour. U3: Big Four and Big Five, 15 paid each."""
    rows = [row(employer="Big One", pay_amount=18.0 + 0.1 * i) for i in range(30)]
    rows += [row(employer="Big Two", pay_amount=20.0 + 0.1 * i) for i in range(30)]
    rows += [row(employer="Big Three", pay_amount=19.0 + 0.1 * i) for i in range(20)]
    rows += [row(employer="Dom", university="U2", pay_amount=40.0) for _ in range(20)]
    rows += [row(employer="Side A", university="U2", pay_amount=20.0) for _ in range(6)]
    rows += [row(employer="Side B", university="U2", pay_amount=22.0) for _ in range(6)]
    # U3: two employers of 15 paid each (neither over half).
    rows += [row(employer="Big Four", university="U3", pay_amount=21.0 + 0.1 * i) for i in range(15)]
    rows += [row(employer="Big Five", university="U3", pay_amount=23.0 + 0.1 * i) for i in range(15)]
    return rows


def test_case8_a_network_pay_figure_dominated_by_one_employer_is_hidden(hand_built) -> None:
    """Attack (public): U2's pay is mostly Dom's (20 of 32 paid students): its median is Dom's pay.

    On 7c8cc45: U2's median (40.00) and mean shown in pay_by university and in the U2 profile."""
    store = hand_built(dominance_rows())
    table = by_key(metrics.pay_by(store, PUBLIC, "university", min_cell=MIN_CELL))
    card = one(metrics.overview(store, PUBLIC, Filter(universities=("U2",)), min_cell=MIN_CELL))
    assert visible_figures(table["U2"], PAY_COLUMNS) == {}
    assert visible_figures(card, ["median_hourly_pay", "mean_hourly_pay"]) == {}
    # Not everything hidden: U1 or U3 (no dominant employer) is shown; the other may be U2's
    # complement.
    assert table["U1"]["median_hourly_pay"] is not None or table["U3"]["median_hourly_pay"] is not None


def test_a_tie_for_the_complement_hides_the_same_cell_whatever_order_the_rows_come_in() -> None:
    """Attack: open the same view twice. Sizes from an unordered GROUP BY arrive in any order; if
    the complement of the one small cell (Tiny, 3) were the first of the two tied 12s as they
    came, one run would hide Beta and show Gamma, the next the reverse, and total minus Beta,
    Gamma and Delta gives Tiny exactly."""
    import itertools

    from analytics import disclosure

    rows = [("Tiny", 3), ("Beta", 12), ("Gamma", 12), ("Delta", 20)]
    hidden_sets = set()
    for order in itertools.permutations(rows):
        frame = pl.DataFrame({"g": [r[0] for r in order], "students": [r[1] for r in order]})
        hidden_sets.add(frozenset(disclosure.hidden_after(frame, "g", "students", 10)))
    # Worked by hand: Tiny is primary; one hidden cell alone is recoverable, so the smallest
    # visible cell goes too, the tie broken by name: Beta.
    assert hidden_sets == {frozenset({"Tiny", "Beta"})}
