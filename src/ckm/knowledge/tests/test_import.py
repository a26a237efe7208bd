"""articles.csv through the real import: Markdown and HTML bodies, categories, products, re-import."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ckm.core.models import ImportIssue, ImportRun
from ckm.core.services import import_run, import_start
from ckm.customers.tests.factories import ProductFactory
from ckm.knowledge.models import Article

pytestmark = pytest.mark.django_db


def write_package(folder: Path, rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.yaml").write_text("name: test\nas_of: 2026-10-31\n")
    (folder / "customers.csv").write_text("customer_id,kind,last_name\nC1,person,Muster\n")
    columns = sorted(
        {k for r in rows for k in r},
        key=lambda c: (
            ["article_id", "title", "body"].index(c) if c in ("article_id", "title", "body") else 9
        ),
    )
    with (folder / "articles.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def run(folder: Path, user) -> ImportRun:
    started = import_start(user=user, source=folder, enqueue=False)
    return import_run(run_id=started.pk)


def test_articles_csv_loads_markdown_and_html_sanitised(tmp_path, admin_user) -> None:
    ProductFactory(external_id="CARD", name="Debit card")
    folder = write_package(
        tmp_path / "p",
        [
            {
                "article_id": "KB-1",
                "title": "Lost card",
                "body": "Block it at once.\n\n## What to do\n\n1. Call us",
                "category": "Cards / Lost",
                "audience": "public",
                "products": "CARD",
            },
            {
                "article_id": "KB-2",
                "title": "Fees",
                "body": "<p>One <b>percent</b></p><script>alert(1)</script>",
                "category": "Cards",
                "audience": "internal",
                "products": "",
            },
        ],
    )
    result = run(folder, admin_user)
    assert result.status == ImportRun.Status.SUCCEEDED, list(
        ImportIssue.objects.values_list("reason", flat=True)
    )
    lost = Article.objects.get(external_id="KB-1")
    assert lost.summary == "Block it at once." and "<h2>What to do</h2>" in lost.body_html
    assert lost.category.path == "Cards / Lost" and lost.status == "draft"
    assert list(lost.products.values_list("external_id", flat=True)) == ["CARD"]
    fees = Article.objects.get(external_id="KB-2")
    assert fees.source_format == "html" and "<script" not in fees.body_html
    assert lost.versions.count() == 1


def test_reimport_updates_without_a_new_version_when_unchanged_and_keeps_status(
    tmp_path, admin_user
) -> None:
    rows = [
        {
            "article_id": "KB-1",
            "title": "Lost card",
            "body": "Block it.",
            "category": "Cards",
            "audience": "public",
        }
    ]
    run(write_package(tmp_path / "a", rows), admin_user)
    Article.objects.filter(external_id="KB-1").update(status="published")
    run(write_package(tmp_path / "b", rows), admin_user)
    article = Article.objects.get(external_id="KB-1")
    assert article.status == "published" and article.versions.count() == 1
    rows[0]["body"] = "Block it at once."
    run(write_package(tmp_path / "c", rows), admin_user)
    assert Article.objects.get(external_id="KB-1").versions.count() == 2


def test_unknown_product_is_reported_with_its_line(tmp_path, admin_user) -> None:
    folder = write_package(
        tmp_path / "p",
        [
            {"article_id": "KB-1", "title": "x", "body": "y", "products": "NOPE"},
        ],
    )
    result = run(folder, admin_user)
    issue = ImportIssue.objects.get(run=result)
    assert issue.line == 2 and issue.column == "products"


def test_a_past_review_date_of_historical_articles_still_loads(tmp_path, admin_user) -> None:
    # the editor and the API refuse a next review before today; an import brings history, where
    # an overdue review is a fact to show, not a typing mistake
    rows = [
        {"article_id": "KB-1", "title": "Lost card", "body": "Block it.", "review_at": "2019-03-01"}
    ]
    result = run(write_package(tmp_path / "p", rows), admin_user)
    assert result.status == ImportRun.Status.SUCCEEDED
    assert str(Article.objects.get(external_id="KB-1").review_at) == "2019-03-01"
