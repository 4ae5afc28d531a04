"""Header mapping: normalising, synonyms, spelling, values that do not fit, saved mappings."""

from __future__ import annotations

import pytest

from analytics.ingest.mapping import Mapping, MappingError, normalise, resolve, suggest, suggest_defaults


@pytest.mark.parametrize(("header", "expected"), [
    ("Start_Date", "start date"), ("  Company", "company"), ("InternshipName", "internship name"),
    ("\ufeffid", "id"), ("Hours/Week", "hours week"), ("pay-amount ($)", "pay amount"),
])
def test_normalise(header: str, expected: str) -> None:
    assert normalise(header) == expected


@pytest.mark.parametrize(("header", "field"), [
    ("Internship Organization", "employer"), (" Company", "employer"), ("company_name", "employer"),
    ("Hourly pay", "pay_amount"), ("schoool", "university"), ("Start date of internship", "start_date"),
    ("Location of internship", "city"), ("internship_title", "role"), ("Job Title", "role"),
    ("class_of", "term_year"), ("cont_edu", "continuing_education"), ("degree_t", "program"),
    ("PlacementID", "placement_id"), ("Weekly Hours", "hours_per_week"), ("Stipend", "pay_amount"),
])
def test_headers_people_write_map_to_the_field(header: str, field: str) -> None:
    assert suggest([header]) == {header: field}


def test_links_and_unrelated_columns_stay_unmapped() -> None:
    columns = ["Internship name", "Internship details page link", "Number of applicants", "hsc_b", "ssc_p"]
    assert suggest(columns) == {"Internship name": "role", "Internship details page link": None,
                                "Number of applicants": None, "hsc_b": None, "ssc_p": None}


def test_one_column_per_field_the_best_match_wins() -> None:
    assert suggest(["employer", "Employer Name"]) == {"employer": "employer", "Employer Name": None}
    assert suggest(["cont_edu", "cont_edu_field"]) == {"cont_edu": "continuing_education",
                                                       "cont_edu_field": None}


def test_values_decide_between_look_alike_fields() -> None:
    samples = [["1", "270000"], ["0", "0"], ["1", "250000"], ["0", "0"]]
    # A `status` of 1/0 is not an internship status; read as placed / not placed it is the offer.
    assert suggest(["status", "salary"], samples) == {"status": "offer_extended", "salary": "offer_salary"}
    texts = [["completed"], ["withdrawn"], ["in progress"]]
    assert suggest(["status"], texts) == {"status": "status"}


def test_an_exact_header_keeps_its_field_when_some_values_are_bad() -> None:
    samples = [["2021-02-30"], ["31/04/2021"], ["2024-02-29"]]
    assert suggest(["start_date"], samples) == {"start_date": "start_date"}


def test_pay_headers_suggest_their_period_and_currency() -> None:
    assert suggest_defaults({"Hourly pay": "pay_amount"}) == {"pay_period": "hour"}
    assert suggest_defaults({"Monthly stipend (INR)": "pay_amount"}) == {"pay_period": "month",
                                                                       "currency": "INR"}
    assert suggest_defaults({"Stipend": "pay_amount"}) == {}


def test_a_saved_mapping_wins_and_new_columns_are_suggested() -> None:
    saved = Mapping(columns={"Org Name": "employer", "Notes": None}, defaults={"currency": "INR"},
                    date_order="day_first")
    resolved = resolve(["org name", "Notes", "Stipend", "Extra"], saved=saved)
    assert resolved.columns == {"org name": "employer", "Notes": None, "Stipend": "pay_amount", "Extra": None}
    assert resolved.defaults == {"currency": "INR"} and resolved.date_order == "day_first"
    assert resolved.unmapped() == ["Notes", "Extra"]


def test_mapping_json_round_trip_and_errors() -> None:
    mapping = Mapping(columns={"A": "employer", "B": None}, defaults={"paid": "true"},
                      date_order="month_first")
    assert Mapping.from_json(mapping.to_json()) == mapping
    loose = Mapping.from_json('{"columns": {"A": "employer"}, "defaults": {"paid": true}}')
    assert loose.defaults == {"paid": "true"}
    for text, message in [
        ("[]", "a mapping is a JSON object"),
        ('{"columns": ["employer"]}', "'columns' must map column names"),
        ('{"columns": {"A": "employer", "B": "employer"}}', "both map to 'employer'"),
        ('{"columns": {}, "defaults": {"student_id": "x"}}', "ids cannot have a default"),
        ('{"columns": {}, "date_order": "sideways"}', "date_order must be one of"),
    ]:
        with pytest.raises(MappingError, match=message):
            Mapping.from_json(text)
