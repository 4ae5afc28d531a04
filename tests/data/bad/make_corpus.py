"""Writes the bad-input corpus in this folder. The files are committed; rerun this only to change
them (`python tests/data/bad/make_corpus.py`). What each file must do on import is asserted in
tests/ingest/test_bad_corpus.py. Two multi-megabyte cases (an over-long line, an over-long first
line) are written by that test into a temporary folder instead, to keep the repository small.
"""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = "placement_id,employer,role,start_date,end_date,hours_per_week,pay_amount,pay_period\n"


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def raw(name: str, content: bytes) -> None:
    (HERE / name).write_bytes(content)


def rows(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


def make() -> None:
    # -- files that cannot be read at all -----------------------------------------------------
    raw("empty.csv", b"")
    raw("whitespace_only.csv", b"\n  \n\t\n")
    text("header_only.csv", HEADER)
    raw("binary.csv", bytes(range(256)) * 8)
    raw("pdf_renamed.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    raw("old_excel.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    text("wrapped_rows.csv", '"employer,role,hours_per_week"\n"Acme,Data Intern,40"\n'
                             '"Beta,QA Intern,20"\n"Gamma,IT Intern,35"\n')
    text("duplicate_headers.csv", "employer,role,Employer\nAcme,Data Intern,Acme Inc\n")
    text("no_header.csv", "Acme,2021-06-01,15.5\nBeta,2021-07-01,16\n")
    text("wrong_delimiter_count.csv",
         "employer,role,hours\n" + "".join(f"Acme,Intern,40,extra{i},more\n" for i in range(8))
         + "Beta,Intern,20\n")
    raw("corrupt.parquet", b"PAR1" + b"\x00\x01garbage" * 20)
    raw("not_really.xlsx", b"PK\x03\x04" + b"\x00" * 60 + b"not a workbook")

    # -- structure broken on some lines (those lines are rejected, the rest load) ---------------
    text("ragged_rows.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,40,20,hour",
        "P2,Beta,QA Intern,2024-06-01",
        "P3,Gamma,IT Intern,2024-06-01,2024-08-23,40,18,hour,surplus,cells",
        "P4,Delta,Dev Intern,2024-06-03,2024-08-30,40,22,hour",
    ))
    text("broken_quote.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,40,20,hour",
        'P2,"Beta" Labs,QA Intern,2024-06-01,2024-08-23,40,20,hour',
        "P3,Gamma,IT Intern,2024-06-01,2024-08-23,40,18,hour",
    ))
    text("unterminated_quote.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,40,20,hour",
        "P2,Beta,QA Intern,2024-06-01,2024-08-23,40,20,hour",
        'P3,"Gamma,IT Intern,2024-06-01,2024-08-23,40,18,hour',
        "P4,Delta,Dev Intern,2024-06-03,2024-08-30,40,22,hour",
    ))
    text("nul_bytes.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,40,20,hour",
        "P2,Be\x00ta,QA Intern,2024-06-01,2024-08-23,40,20,hour",
        "P3,Gamma,IT Intern,2024-06-01,2024-08-23,40,18,hour",
    ))
    text("very_long_field.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,40,20,hour",
        "P2," + "Beta " * 120 + ",QA Intern,2024-06-01,2024-08-23,40,20,hour",
    ))
    text("empty_header_name.csv", "employer,,role\nAcme,note one,Data Intern\nBeta,,QA Intern\n")
    text("blank_lines.csv", HEADER + "\nP1,Acme,Data Intern,2024-06-01,2024-08-23,40,20,hour\n"
         "\n,,,,,,,\n\nP2,Beta,QA Intern,2024-06-01,2024-08-23,40,20,hour\n\n")
    text("title_rows.csv", "Internship placements export\nGenerated 2024-09-01 by the careers office\n"
         + rows("P1,Acme,Data Intern,2024-06-01,2024-08-23,40,20,hour",
                "P2,Beta,QA Intern,2024-06-01,2024-05-01,40,20,hour"))

    # -- delimiters and encodings --------------------------------------------------------------
    text("semicolon.csv", "employer;role;pay_amount\nAcme;Data Intern;20,5\nBeta, Inc;QA Intern;18\n")
    text("tab.tsv", "employer\trole\thours_per_week\nAcme\tData Intern\t40\nBeta\tQA Intern\t20\n")
    text("pipe.csv", "employer|role|hours_per_week\nAcme|Data Intern|40\nBeta|QA Intern|20\n")
    raw("utf8_bom.csv", codecs.BOM_UTF8 + "employer,city\nZürich Labs,Zürich\n".encode())
    raw("utf16le_bom.csv", codecs.BOM_UTF16_LE + "employer,city\nSociété Générale,Paris\n"
        "Café Müller,München\n".encode("utf-16-le"))
    raw("utf16be_bom.csv",
        codecs.BOM_UTF16_BE + "employer,city\nSociété Générale,Paris\n".encode("utf-16-be"))
    raw("utf16le_no_bom.csv", "employer,city\nNaïve Systems,Montréal\n".encode("utf-16-le"))
    text("cp1252.csv", "employer,role,pay_amount\nSociété Générale,Analyst – Data,\"€1,200 /month\"\n"
                       "Müller “Tech”,QA Intern,900 /month\n", encoding="cp1252")
    raw("latin1_undefined_bytes.csv", b"employer,role\nAcme \x81 Corp,Data Intern\nBeta \xe9,QA Intern\n")
    text("crlf.csv", "employer,role\r\nAcme,Data Intern\r\nBeta,QA Intern\r\n")

    # -- values ---------------------------------------------------------------------------------
    text("type_errors.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,forty,20,hour",
        "P2,Beta,QA Intern,next week,2024-08-23,40,20,hour",
        "P3,Gamma,IT Intern,2024-06-01,2024-08-23,40,lots,hour",
        "P4,Delta,Dev Intern,2024-06-01,2024-08-23,40,20,fortnight",
        "P5,Epsilon,Ops Intern,2024-06-01,2024-08-23,40,20,hour",
    ))
    text("impossible_dates.csv", rows(
        "P1,Acme,Data Intern,2021-02-30,,40,20,hour",
        "P2,Beta,QA Intern,31/04/2021,,40,20,hour",
        "P3,Gamma,IT Intern,2021-13-01,,40,20,hour",
        "P4,Delta,Dev Intern,1850-06-01,,40,20,hour",
        "P5,Epsilon,Ops Intern,29 Feb'24,,40,20,hour",
    ))
    text("negative_pay.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,40,-20,hour",
        "P2,Beta,QA Intern,2024-06-01,2024-08-23,40,$-15.50,hour",
        "P3,Gamma,IT Intern,2024-06-01,2024-08-23,40,20,hour",
    ))
    text("end_before_start.csv", rows(
        "P1,Acme,Data Intern,2024-08-23,2024-06-01,40,20,hour",
        "P2,Beta,QA Intern,2024-06-01,2024-06-01,40,20,hour",
    ))
    text("hours_out_of_range.csv", rows(
        "P1,Acme,Data Intern,2024-06-01,2024-08-23,90,20,hour",
        "P2,Beta,QA Intern,2024-06-01,2024-08-23,-1,20,hour",
        "P3,Gamma,IT Intern,2024-06-01,2024-08-23,80,20,hour",
        "P4,Delta,Dev Intern,2024-06-01,2024-08-23,0,20,hour",
    ))
    text("duration_out_of_range.csv",
         "employer,duration_weeks\nAcme,200\nBeta,3 years\nGamma,2 years\nDelta,104\n")
    text("accepted_without_offer.csv",
         "employer,offer_extended,offer_accepted\nAcme,no,yes\nBeta,,yes\nGamma,yes,no\nDelta,no,no\n")
    text("bad_enums.csv",
         "employer,degree_level,work_mode,status,role_family\n"
         "Acme,PhDx,remote,completed,software engineering\n"
         "Beta,Bachelor's,sometimes,completed,data\n"
         "Gamma,MS,WFH,paused,QA\n"
         "Delta,B.Tech,On-site,ongoing,networking\n"
         "Epsilon,master,hybrid,completed,astrology\n")
    text("formula_injection.csv",
         'employer,role\n"=HYPERLINK(""http://evil.example"",""click"")",Data Intern\n'
         "+SUM(A1:A9),QA Intern\n@cmd,IT Intern\n-2+3,Dev Intern\nPlain Co,Ops Intern\n")
    text("html_script.csv",
         "employer,role\n<script>alert(1)</script>,Data Intern\n<b>Bold Co</b>,QA Intern\n"
         "R&D <Labs> Ltd,IT Intern\nAT&T,Dev Intern\n3 < 4 Analytics,Ops Intern\n")
    text("sql_like.csv",
         "employer,role\n\"Robert'); DROP TABLE placements;--\",Data Intern\n1 OR 1=1,QA Intern\n"
         "'; DELETE FROM batches; --,IT Intern\n")
    text("sql_like_header.csv", 'employer,"role""; DROP TABLE placements; --"\nAcme,Data Intern\n')
    text("messy_money.csv",
         "employer,pay_amount\nA,$15.00\nB,\"$45,000\"\nC,\"₹ 5,000-10,000 /month\"\nD,15000 /Month\n"
         "E,4000 Lump-Sum\nF,\"₹ 30,000 /month +  Incentives\"\nG,Unpaid\nH,Performance Based\n"
         "I,Not provided\nJ,£12.50 per hour\nK,€900 a week\nL,\"$60,000 - $70,000 per year\"\n"
         "M,45k\nN,0\nO,free pizza\n")
    text("messy_durations.csv",
         "employer,duration_weeks\nA,3 Months\nB,6Months\nC,2 Weeks\nD,1 Week\nE,16 weeks\n"
         "F,90 days\nG,1 year\nH,Not Provided\nI,a while\nJ,10\n")
    text("messy_dates.csv",
         "employer,start_date\nA,2021-06-05\nB,5/18/2021\nC,7 Jun'18\nD, 15 Jun' 21 \nE,202310\n"
         "F,Immediately\nG,Not specified\nH,\"June 7, 2018\"\nI, 5 Jun - 4 Jul' 21 \nJ,yesterday\n")
    text("day_first_dates.csv", "employer,start_date\nA,18/05/2021\nB,05/06/2021\nC,31/12/2020\n")
    text("messy_booleans.csv",
         "employer,paid,offer_extended,offer_accepted,final_year\n"
         "A,yes,placed,accepted,Y\nB,no,not placed,,n\nC,TRUE,1,0,x\nD,false,0,declined,FALSE\n"
         "E,maybe,yes,no,yes\n")
    text("whitespace_padding.csv",
         "  employer  ,\trole\t, city \n  Acme Corp  ,\t Data Intern \t,  Work From Home  \n"
         "\u00a0Beta\u00a0, QA Intern , Pune \n")
    text("employer_variants.csv",
         "employer,role\nAcme Corp,A\n  acme corp  ,B\nACME  CORP,C\nAcme\u00a0Corp,D\nBeta LLC,E\n")
    text("terms.csv",
         "employer,term_season,term_year\nA,Summer 2025,\nB,202310,\nC,FA23,2023\nD,spring,2024\n"
         "E,monsoon,2024\nF,Fall,1850\n")
    text("duplicate_ids.csv",
         "placement_id,employer\nP1,Acme\nP2,Beta\nP1,Acme again\nP3,Gamma\nP2,Beta\n")
    text("no_employer_column.csv", "role,city\nData Intern,Pune\nQA Intern,Delhi\n")

    # -- Excel and Parquet -------------------------------------------------------------------------
    import polars as pl
    import xlsxwriter

    book = xlsxwriter.Workbook(str(HERE / "excel_title_rows.xlsx"))
    sheet = book.add_worksheet("Placements")
    sheet.write(0, 0, "Internship placements 2024")
    sheet.write(1, 0, "Source: careers office")
    sheet.write_row(3, 0, ["Company", "Job Title", "Start Date", "Hourly pay", "Paid"])
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    data = [("Acme", "Data Intern", dt.datetime(2024, 6, 3), 21.5, True),
            ("Beta", "QA Intern", dt.datetime(2024, 6, 10), 19, True),
            ("", "IT Intern", dt.datetime(2024, 6, 17), 18, True),
            ("Delta", "Dev Intern", dt.datetime(2024, 6, 24), -5, True)]
    for i, (employer, role, start, pay, paid) in enumerate(data, start=4):
        sheet.write(i, 0, employer)
        sheet.write(i, 1, role)
        sheet.write_datetime(i, 2, start, date)
        sheet.write_number(i, 3, pay)
        sheet.write_boolean(i, 4, paid)
    book.close()

    book = xlsxwriter.Workbook(str(HERE / "excel_header_only.xlsx"))
    book.add_worksheet("Empty").write_row(0, 0, ["employer", "role"])
    book.close()

    pl.DataFrame({
        "employer": ["Acme", "Beta", None],
        "start_date": [dt.date(2024, 6, 3), dt.date(2024, 6, 10), dt.date(2024, 6, 17)],
        "hours_per_week": [40.0, 20.0, 40.0],
        "paid": [True, False, True],
        "term_year": [2024, 2024, 2024],
    }).write_parquet(HERE / "typed.parquet")

    # A canonical file whose typed columns turn messy after the first thousand rows (the part
    # the reader samples), so those lines take the text path.
    lines = ["placement_id,employer,hours_per_week,start_date,paid"]
    for i in range(1, 1201):
        hours_text, start_text, paid_text = "40", "2024-06-03", "true"
        if i == 1100:
            hours_text = "40 hrs"
        if i == 1150:
            start_text = "3 Jun'24"
        if i == 1180:
            hours_text = "abc"
        if i == 1190:
            paid_text = "yes"
        lines.append(f"P{i:05d},Employer {i % 7},{hours_text},{start_text},{paid_text}")
    text("late_messy_values.csv", "\n".join(lines) + "\n")


if __name__ == "__main__":
    make()
    print(f"wrote {len([p for p in HERE.iterdir() if p.suffix != '.py'])} files to {HERE}")
