"""The customer data package import: all or nothing per file, every problem reported."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from ckm.core.models import AuditEntry, ImportIssue, ImportRun, Office, Team
from ckm.core.services import import_run, import_start
from ckm.core.tests.package_files import CUSTOMERS, write_package
from ckm.customers.models import AttributeDefinition, ContactPoint, Customer, Holding, Household
from ckm.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def run_import(path: Path, user: object = None) -> ImportRun:
    run = import_start(user=user, source=path, enqueue=False)
    return import_run(run_id=run.pk)


def files(run: ImportRun) -> dict[str, dict]:
    return {f["file"]: f for f in run.files}


def issues(run: ImportRun, file: str) -> list[tuple[int, str, str]]:
    return [
        (i.line, i.column, i.reason)
        for i in ImportIssue.objects.filter(run=run, file=file).order_by("line", "id")
    ]


def test_a_good_package_loads_every_file(tmp_path: Path) -> None:
    run = run_import(write_package(tmp_path / "p"))
    assert run.status == ImportRun.Status.SUCCEEDED, run.notes
    report = files(run)
    assert report["customers.csv"]["inserted"] == 3
    assert report["interactions.csv"]["inserted"] == 3
    anna = Customer.objects.get(external_id="C1")
    assert anna.display_name == "Anna Schmidt"
    assert anna.name_key == "anna schmidt" and anna.sort_key == "schmidt anna"
    assert anna.attributes == {"income": 52000.5}
    assert anna.team == Team.objects.get(name="North")
    assert anna.office == Office.objects.get(code="BER")
    assert anna.household == Customer.objects.get(external_id="C2").household
    assert Household.objects.count() == 1
    assert ContactPoint.objects.get(customer=anna, kind="phone").value_key == "491711234567"[::-1]
    assert Holding.objects.get(customer=anna, product__external_id="SAV").balance == Decimal(
        "30000.00"
    )
    assert Interaction.objects.filter(customer=anna).count() == 2
    assert AttributeDefinition.objects.get(name="income").type == "float"
    assert run.as_of.isoformat() == "2026-10-31"
    assert AuditEntry.objects.filter(action="import").count() == 4


def test_reimporting_the_same_ids_updates_and_never_duplicates(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "p")
    run_import(folder)
    changed = CUSTOMERS.replace("Anna,Schmidt", "Anna,Schmidt-Berg")
    write_package(folder, customers=changed)
    run = run_import(folder)
    report = files(run)
    assert report["customers.csv"]["updated"] == 3 and report["customers.csv"]["inserted"] == 0
    assert (
        report["interactions.csv"]["updated"] == 3 and report["interactions.csv"]["inserted"] == 0
    )
    assert report["holdings.csv"]["updated"] == 3
    assert Customer.objects.count() == 3
    assert Interaction.objects.count() == 3
    assert Customer.objects.get(external_id="C1").last_name == "Schmidt-Berg"


def test_every_imported_customer_is_in_the_audit_log_with_its_line(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "p")
    first = run_import(folder)
    created = AuditEntry.objects.filter(object_type="customers.customer", action="create")
    assert created.count() == 3
    anna = Customer.objects.get(external_id="C1")
    entry = created.get(customer_ref=anna.pk)
    assert entry.summary == f"import {first.pk}: customers.csv line 2"
    assert entry.changes["after"]["last_name"] == "Schmidt"
    assert entry.changes["after"]["email"] == "anna@example.com"
    # the file's own entry is written with its rows
    assert AuditEntry.objects.filter(
        action="import",
        object_type="core.importrun",
        object_id=str(first.pk),
        summary__startswith="customers.csv: loaded, 3 inserted",
    ).exists()
    write_package(folder, customers=CUSTOMERS.replace("Anna,Schmidt", "Anna,Schmidt-Berg"))
    second = run_import(folder)
    updated = AuditEntry.objects.filter(object_type="customers.customer", action="update")
    # only the changed row leaves an entry, with the change itself
    assert [(e.customer_ref, e.changes) for e in updated] == [
        (anna.pk, {"last_name": ["Schmidt", "Schmidt-Berg"]})
    ]
    assert updated.get().summary == f"import {second.pk}: customers.csv line 2"


def test_imported_cases_and_articles_are_audited_per_record(tmp_path: Path) -> None:
    cases = (
        "case_id,customer_id,channel,opened_at,subject,text,status\n"
        "K1,C1,letter,2026-10-02 09:00,Fee,Why this fee?,received\n"
    )
    articles = "article_id,title,body,status\nA1,Card fees,What a card costs.,published\n"
    folder = write_package(tmp_path / "p", cases=cases, articles=articles)
    run = run_import(folder)
    assert run.status == ImportRun.Status.SUCCEEDED, run.notes
    case_entry = AuditEntry.objects.get(object_type="service.case", action="create")
    assert case_entry.summary == f"import {run.pk}: cases.csv line 2"
    assert case_entry.customer_ref == Customer.objects.get(external_id="C1").pk
    article_entry = AuditEntry.objects.get(object_type="knowledge.article", action="create")
    assert article_entry.changes["after"]["status"] == "published"


def test_one_bad_row_writes_nothing_of_its_file_and_every_bad_row_is_reported(
    tmp_path: Path,
) -> None:
    bad = (
        "customer_id,kind,first_name,last_name,date_of_birth,email\n"
        "C1,person,Anna,Schmidt,1980-05-01,anna@example.com\n"
        "C2,person,Jürgen,Müller,24.12.1975,jm@example.com\n"
        ",person,No,Id,,\n"
        "C4,alien,X,Y,,\n"
        "C5,person,Eve,Evans,1990-01-01,not-an-email\n"
        "C1,person,Anna,Again,,\n"
    )
    run = run_import(write_package(tmp_path / "p", customers=bad, holdings=None, interactions=None))
    report = files(run)
    assert report["customers.csv"]["status"] == "rejected"
    assert report["products.csv"]["status"] == "loaded"
    assert run.status == ImportRun.Status.PARTIAL
    assert Customer.objects.count() == 0
    found = issues(run, "customers.csv")
    assert (3, "date_of_birth", "not a date in the form YYYY-MM-DD") in found
    assert (4, "customer_id", "required value is missing") in found
    assert any(line == 5 and col == "kind" for line, col, _ in found)
    assert (6, "email", "not an e-mail address") in found
    assert (7, "customer_id", "duplicate id: first used on line 2") in found
    assert report["customers.csv"]["rejected_rows"] == 5


def test_one_upload_shows_every_problem_of_a_row(tmp_path: Path) -> None:
    bad = (
        "customer_id,kind,first_name,last_name,date_of_birth,email,phone,country,owner\n"
        "C1,person,Anna,Schmidt,05/01/1980,not-an-email,12,Germany,nobody\n"
    )
    run = run_import(write_package(tmp_path / "p", customers=bad, holdings=None, interactions=None))
    columns = {column for line, column, _ in issues(run, "customers.csv") if line == 2}
    # a bad date does not hide the e-mail, phone, country and owner problems behind it
    assert columns == {"date_of_birth", "email", "phone", "country", "owner"}
    future = "customer_id,kind,first_name,last_name,date_of_birth\nC1,person,Ann,Lee,2031-01-01\n"
    run = run_import(
        write_package(tmp_path / "q", customers=future, holdings=None, interactions=None)
    )
    assert (2, "date_of_birth", "not a plausible date of birth") in issues(run, "customers.csv")


def test_unknown_references_are_reported_with_their_line(tmp_path: Path) -> None:
    holdings = (
        "customer_id,product_id,opened,balance\n"
        "C1,CUR,2020-01-01,10\n"
        "C9,CUR,2020-01-01,10\n"
        "C1,NOPE,2020-01-01,10\n"
        "C1,SAV,2020-01-01,12.345.6\n"
    )
    run = run_import(write_package(tmp_path / "p", holdings=holdings))
    found = issues(run, "holdings.csv")
    assert (3, "customer_id", "unknown customer id (not in customers.csv or the database)") in found
    assert (4, "product_id", "unknown product id (not in products.csv or the database)") in found
    assert any(line == 5 and col == "balance" for line, col, _ in found)
    assert Holding.objects.count() == 0
    assert files(run)["customers.csv"]["status"] == "loaded"


def test_a_wrong_encoding_is_reported_not_guessed(tmp_path: Path) -> None:
    latin1 = CUSTOMERS.encode("latin-1")
    run = run_import(
        write_package(tmp_path / "p", customers=latin1, holdings=None, interactions=None)
    )
    found = issues(run, "customers.csv")
    assert found and found[0][0] == 3  # the row with "Jürgen Müller"
    assert "not valid utf-8" in found[0][2]
    assert Customer.objects.count() == 0


def test_a_declared_encoding_is_honoured(tmp_path: Path) -> None:
    latin1 = CUSTOMERS.encode("latin-1")
    manifest = "name: x\nencoding: latin-1\ncolumns:\n  customers:\n    income: float\n"
    run = run_import(
        write_package(
            tmp_path / "p", customers=latin1, manifest=manifest, holdings=None, interactions=None
        )
    )
    assert files(run)["customers.csv"]["status"] == "loaded"
    assert Customer.objects.get(external_id="C2").last_name == "Müller"


def test_an_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    run = run_import(write_package(tmp_path / "p", customers="", holdings=None, interactions=None))
    found = issues(run, "customers.csv")
    assert found[0][0] == 1 and "the file is empty" in found[0][2]


def test_a_missing_required_column_stops_the_file(tmp_path: Path) -> None:
    run = run_import(
        write_package(
            tmp_path / "p",
            customers="customer_id,first_name\nC1,Anna\n",
            holdings=None,
            interactions=None,
        )
    )
    assert (1, "kind", "required column is missing from the header") in issues(run, "customers.csv")


def test_quoted_fields_spanning_lines_keep_line_numbers_right(tmp_path: Path) -> None:
    interactions = (
        "customer_id,occurred_at,channel,text\n"
        'C1,2026-10-01 10:00,phone,"first line\nsecond line"\n'
        "C1,yesterday,phone,bad date\n"
    )
    run = run_import(write_package(tmp_path / "p", interactions=interactions))
    assert issues(run, "interactions.csv") == [
        (4, "occurred_at", "not a date-time (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS])")
    ]


def test_rows_without_ids_are_keyed_by_content_so_reimport_is_idempotent(tmp_path: Path) -> None:
    same_twice = (
        "customer_id,occurred_at,channel,text\n"
        "C1,2026-10-01 10:00,phone,same\n"
        "C1,2026-10-01 10:00,phone,same\n"
    )
    folder = write_package(tmp_path / "p", interactions=same_twice)
    run_import(folder)
    run_import(folder)
    assert Interaction.objects.count() == 2  # two identical calls are two calls, once each


def test_undeclared_extra_columns_get_an_inferred_type(tmp_path: Path) -> None:
    customers = (
        "customer_id,kind,last_name,score,vip,joined,segment\n"
        "C1,person,A,12,yes,2020-01-01,gold\n"
        "C2,person,B,7,no,2021-02-03,silver\n"
    )
    run = run_import(
        write_package(
            tmp_path / "p",
            customers=customers,
            manifest="name: x\n",
            holdings=None,
            interactions=None,
        )
    )
    types = dict(AttributeDefinition.objects.values_list("name", "type"))
    assert types == {"score": "integer", "vip": "bool", "joined": "date", "segment": "category"}
    assert Customer.objects.get(external_id="C1").attributes == {
        "score": 12,
        "vip": True,
        "joined": "2020-01-01",
        "segment": "gold",
    }
    assert any("type inferred" in n for n in files(run)["customers.csv"]["notes"])


def test_a_zip_package_loads_like_a_folder(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "p")
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"nested/{path.name}")
        zf.writestr("../evil.csv", "x")
    run = run_import(archive)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Customer.objects.count() == 3


def test_a_folder_without_package_files_fails_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("hi")
    run = run_import(tmp_path / "empty")
    assert run.status == ImportRun.Status.FAILED
    assert "no package files found" in run.notes[0]


def test_a_broken_manifest_fails_the_run(tmp_path: Path) -> None:
    run = run_import(write_package(tmp_path / "p", manifest="name: [unclosed"))
    assert run.status == ImportRun.Status.FAILED
    assert "manifest.yaml cannot be read" in run.notes[0]
    assert Customer.objects.count() == 0


def test_an_unknown_owner_is_a_row_error(tmp_path: Path, rm: object) -> None:
    customers = "customer_id,kind,last_name,owner\nC1,person,A,rm\nC2,person,B,ghost\n"
    run = run_import(
        write_package(tmp_path / "p", customers=customers, holdings=None, interactions=None)
    )
    assert (3, "owner", "no user with the username 'ghost'") in issues(run, "customers.csv")


def test_a_large_file_with_one_bad_row_at_the_end_writes_nothing(tmp_path: Path) -> None:
    rows = ["customer_id,occurred_at,channel,text"]
    rows += [f"C1,2026-01-01 10:{i % 60:02d},phone,call {i}" for i in range(12_000)]
    rows.append("C1,2026-13-01,phone,bad month")
    run = run_import(write_package(tmp_path / "p", interactions="\n".join(rows) + "\n"))
    report = files(run)["interactions.csv"]
    assert report["status"] == "rejected" and report["rows"] == 12_001
    assert Interaction.objects.count() == 0
    assert issues(run, "interactions.csv")[0][0] == 12_002
