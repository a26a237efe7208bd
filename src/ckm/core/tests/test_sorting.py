"""Sortable tables: the sort key checked against the list's columns, and the header link."""

from __future__ import annotations

from django.template import Context, Template
from django.test import RequestFactory

from ckm.core.sorting import Sorts

SORTS = Sorts(columns={"name": ("sort_key",), "score": ("score", "stratum")}, default="-score")


def test_a_known_key_is_kept_and_anything_else_falls_back_to_the_default() -> None:
    assert SORTS.choose("name") == "name" and SORTS.choose("-name") == "-name"
    for value in (None, "", "password", "--name", "name ", "-", "sort_key"):
        assert SORTS.choose(value) == "-score"


def terms(value: str) -> list[tuple[str, bool, bool]]:
    return [(t.expression.name, t.descending, bool(t.nulls_last)) for t in SORTS.order_by(value)]


def test_the_order_puts_missing_values_last_and_breaks_ties_by_key() -> None:
    assert terms("score") == [
        ("score", False, True),
        ("stratum", False, True),
        ("pk", False, False),
    ]
    assert terms("-score") == [("score", True, True), ("stratum", True, True), ("pk", False, False)]
    assert terms("bogus") == terms("-score")


def test_a_minus_field_runs_against_the_columns_direction() -> None:
    sorts = Sorts(columns={"status": ("status", "-updated_at")}, default="status")
    got = [(t.expression.name, t.descending) for t in sorts.order_by("status")][:2]
    assert got == [("status", False), ("updated_at", True)]
    got = [(t.expression.name, t.descending) for t in sorts.order_by("-status")][:2]
    assert got == [("status", True), ("updated_at", False)]


def render(query: str, current: str, **options: str) -> str:
    request = RequestFactory().get("/list/" + query)
    extra = " ".join(f'{k}="{v}"' for k, v in options.items())
    template = Template('{% load ckm %}{% sort_header "Score" "score" current ' + extra + " %}")
    return template.render(Context({"request": request, "current": current}))


def test_the_header_link_keeps_the_query_goes_to_page_one_and_marks_the_active_column() -> None:
    html = render("?status=open&page=3&sort=name", "name", first="desc", css="num")
    assert html.startswith(
        '<th scope="col" class="num"><a class="sort-link" href="?status=open&amp;sort=-score">'
    )
    assert "aria-sort" not in html
    html = render("?status=open&sort=-score", "-score")
    assert 'aria-sort="descending"' in html and "sort=score" in html and "▼" in html
    html = render("?sort=score", "score")
    assert 'aria-sort="ascending"' in html and 'href="?sort=-score"' in html and "▲" in html
    # what the address holds is encoded, never markup
    assert "<x>" not in render('?q=<x>&sort="><x>', "")


def test_fields_that_cannot_be_empty_are_ordered_without_nulls_last() -> None:
    from ckm.customers.models import Customer

    sorts = Sorts(
        columns={"status": ("status", "sort_key"), "owner": ("owner__username",)},
        default="status",
        model=Customer,
    )
    got = [(t.expression.name, t.descending, t.nulls_last) for t in sorts.order_by("-status")]
    # an index on (status, sort_key) serves this order: no "NULLS LAST" the index does not keep
    assert got == [("status", True, None), ("sort_key", True, None), ("pk", False, None)]
    assert [t.nulls_last for t in sorts.order_by("owner")] == [True, None]
