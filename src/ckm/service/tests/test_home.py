"""The agent's start page ("Your cases", the next target first) and a case's subject when the
sender gave none."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ckm.service.models import Case
from ckm.service.selectors import my_cases_due
from ckm.service.services import case_intake
from ckm.service.subjects import subject_from_text


def test_a_subject_skips_the_greeting() -> None:
    letter = "Dear customer service,\n\nmy card has not arrived after two weeks.\nRegards"
    assert subject_from_text(letter) == "my card has not arrived after two weeks."
    assert (
        subject_from_text("Good morning,\nWhy was I charged a fee?") == "Why was I charged a fee?"
    )
    # a sentence that merely starts like a greeting is kept
    assert subject_from_text("Hi, I want to close my account today please") == (
        "Hi, I want to close my account today please"
    )
    assert subject_from_text("Dear Sir or Madam,") == "Dear Sir or Madam,"  # nothing else
    assert subject_from_text("") == ""
    assert len(subject_from_text("x" * 500)) == 120


@pytest.mark.django_db
def test_your_cases_put_the_next_target_first(desk: dict[str, Any], agent: Any, login: Any) -> None:
    now = timezone.now()
    made = []
    for n, (first_due, answered, resolution_due) in enumerate(
        (
            (now + dt.timedelta(hours=30), None, now + dt.timedelta(days=9)),  # answer due later
            (now + dt.timedelta(hours=2), None, now + dt.timedelta(days=9)),  # answer due soon
            (now - dt.timedelta(days=3), now - dt.timedelta(days=3), now - dt.timedelta(hours=5)),
        )
    ):
        case = case_intake(
            channel="letter",
            subject="",
            body=f"Dear Sir or Madam,\nMy card {n} is blocked.",
            actor=agent,
        )
        Case.objects.filter(pk=case.pk).update(
            assignee=agent,
            first_response_due=first_due,
            first_response_at=answered,
            resolution_due=resolution_due,
        )
        made.append(case.pk)

    count, rows = my_cases_due(user=agent)
    assert count == 3
    assert [case.pk for case, _ in rows] == [made[2], made[1], made[0]]
    assert rows[0][1]["resolution"].level == "breach"

    html = login(agent).get("/").content.decode()
    assert "Your cases" in html and "My card 1 is blocked." in html


@pytest.mark.django_db
def test_managers_see_the_desk_now_on_their_start_page(
    desk: dict[str, Any], agent: Any, manager: Any, login: Any
) -> None:
    now = timezone.now()
    for n in range(3):
        case = case_intake(channel="letter", subject="", body=f"Card {n} blocked.", actor=agent)
        late = now - dt.timedelta(hours=1) if n == 0 else now + dt.timedelta(hours=5)
        Case.objects.filter(pk=case.pk).update(assignee=None, first_response_due=late)
    html = login(manager).get("/").content.decode()
    assert 'data-testid="desk-summary"' in html
    assert "/performance/" in html
    section = html.split('data-testid="desk-summary"')[1].split("</section>")[0]
    values = [v.split("<")[0] for v in section.split('kpi-value">')[1:]]
    assert values == ["3", "3", "1"]  # open, unassigned, late
    assert 'data-testid="desk-summary"' not in login(agent).get("/").content.decode()
