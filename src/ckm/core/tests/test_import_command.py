"""`ckm import`: the report on the terminal and an exit status scripts can trust."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ckm.core.tests.package_files import write_package
from ckm.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_a_good_package_reports_every_file(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("import", str(write_package(tmp_path / "p")), stdout=out, verbosity=0)
    report = out.getvalue()
    assert "customers.csv" in report and "loaded" in report
    assert Customer.objects.count() == 3


def test_a_rejected_file_fails_the_command_and_names_line_and_column(tmp_path: Path) -> None:
    bad = "customer_id,kind,first_name,last_name,date_of_birth\nC1,person,Anna,S,31.02.1980\n"
    out = io.StringIO()
    with pytest.raises(CommandError, match="rejected"):
        call_command(
            "import",
            str(write_package(tmp_path / "p", customers=bad, holdings=None, interactions=None)),
            stdout=out,
            verbosity=0,
        )
    assert "customers.csv:2 date_of_birth" in out.getvalue()
    assert Customer.objects.count() == 0
