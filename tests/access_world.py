"""A small two-university network for the access tests, with canaries.

University A ("Alder University") and university B ("Birch University") share employers. B's
placements carry program names and cities that occur nowhere else (the canaries): if one of them,
or one of B's student pseudonyms, shows up in anything A's people are shown, scope leaked.
A's rows have their own markers, so a test can first prove that its search finds a value that
is there (the same search on A's output finds A's markers; on the admin's, B's).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analytics import access, schema
from analytics.access import Principal
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store

A: str = "Alder University"
B: str = "Birch University"
A_PROGRAMS = ("Alder Robotics Honours", "Alder Data Craft")
A_CITIES = ("Alderport",)
B_PROGRAMS = ("Birch Canary Programme Zeta", "Birch Quokka Informatics")
B_CITIES = ("Canaryville North", "Quokka Springs")
EMPLOYERS = ("Acme Robotics", "Beta Analytics", "Gamma Cloud")
VIEWER_A = "viewer.a@alder.edu"
ANALYST_A = "analyst.a@alder.edu"
VIEWER_B = "viewer.b@birch.edu"


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def placement(i: int, university: str, rng: random.Random, *, program: str, city: str,
              employer: str | None = None, student: str | None = None) -> dict[str, str]:
    """One canonical-layout row: a completed summer internship with a random outcome."""
    final = rng.random() < 0.8
    offered = rng.random() < 0.6
    accepted = offered and rng.random() < 0.7
    paid = rng.random() < 0.85
    row = dict.fromkeys(schema.INPUT_NAMES, "")
    row.update({
        "placement_id": f"{university[:1]}{i:05d}", "student_id": student or f"{university[:1]}S{i:05d}",
        "university": university, "program": program, "degree_level": rng.choice(("bachelor", "master")),
        "employer": employer or rng.choice(EMPLOYERS),
        "role_family": rng.choice(("software engineering", "data")),
        "city": city, "country": "US", "work_mode": rng.choice(("onsite", "remote", "hybrid")),
        "term_season": rng.choice(("summer", "fall")), "term_year": str(rng.choice((2023, 2024))),
        "duration_weeks": str(rng.choice((8, 10, 12, 14))), "hours_per_week": str(rng.choice((20, 40))),
        "paid": _bool(paid), "pay_amount": f"{rng.uniform(15, 35):.2f}" if paid else "",
        "pay_period": "hour" if paid else "", "currency": "USD" if paid else "",
        "academic_credit": _bool(rng.random() < 0.2), "structured_training": _bool(rng.random() < 0.5),
        "status": "completed", "final_year": _bool(final), "continuing_education": "false",
        "offer_extended": _bool(offered), "offer_accepted": _bool(accepted),
    })
    return row


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(schema.INPUT_NAMES))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def world_rows(per_university: int = 60, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(per_university):
        rows.append(placement(i, A, rng, program=A_PROGRAMS[i % 2], city=A_CITIES[0]))
        rows.append(placement(i, B, rng, program=B_PROGRAMS[i % 2], city=B_CITIES[i % 2]))
    return rows


def build_world(folder: Path, per_university: int = 60) -> Path:
    """A database file with both universities (loaded by the local admin as one batch) and
    three users: A's viewer, A's analyst and B's viewer."""
    path = folder / "world.duckdb"
    store = Store(path)
    try:
        load_canonical_csv(store, write_csv(folder / "world.csv", world_rows(per_university)))
        access.invite(store, VIEWER_A, "viewer", universities=[A])
        access.invite(store, ANALYST_A, "analyst", universities=[A])
        access.invite(store, VIEWER_B, "viewer", universities=[B])
    finally:
        store.close()
    return path


def user(store: Store, email: str) -> Principal:
    found = access.by_email(store, email)
    assert found is not None, email
    return found


def pseudonyms(store: Store, university: str) -> list[str]:
    """The stored (pseudonymised) student ids of a university's placements."""
    return [r[0] for r in store.rows(
        "SELECT DISTINCT student_id FROM placements WHERE university = ? AND student_id IS NOT NULL",
        [university])]


def canaries(store: Store, university: str = B) -> list[str]:
    """Everything of `university` that must never reach another university's people."""
    programs, cities = (B_PROGRAMS, B_CITIES) if university == B else (A_PROGRAMS, A_CITIES)
    return [*programs, *cities, *pseudonyms(store, university)]


def leaked(text: str | bytes, needles: Iterable[str]) -> list[str]:
    """The needles found in text (bytes are searched as UTF-8)."""
    haystack = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    return [n for n in needles if n in haystack]
