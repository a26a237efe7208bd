"""The service desk dashboard: what counts as open, late, at risk, within target and when, per
week, queue and agent; who may see it; the page and the API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from ckm.performance.selectors import desk_kpis
from ckm.performance.tests.desk_cases import NOW


@pytest.mark.django_db
def test_the_desk_counts_each_measure_once_and_only_decided_targets(
    cases: dict[str, Any], manager: Any
) -> None:
    kpis = desk_kpis(user=manager, weeks=4, now=NOW)
    desk = kpis.desk
    assert (desk.open, desk.unassigned, desk.late, desk.at_risk) == (3, 1, 1, 1)
    assert round(desk.oldest_open_days) == 2
    assert (desk.opened, desk.closed) == (4, 1)
    # a met, b missed, c met; e not yet due
    assert (desk.first_response_met, desk.first_response_decided) == (2, 3)
    assert desk.first_response_pct == 66.7
    # only c is decided (resolved after its deadline)
    assert (desk.resolution_met, desk.resolution_decided, desk.resolution_pct) == (0, 1, 0.0)
    assert desk.median_first_response_hours == 7.0  # a: 2 h, c: 12 h
    assert desk.median_resolution_days == 2.0
    assert (desk.satisfaction, desk.satisfaction_answers) == (4.0, 1)
    assert desk.reopened_pct == 100.0
    assert kpis.start.weekday() == 0 and timezone.localtime(kpis.start).hour == 0
    assert len(kpis.weekly) == 4
    assert sum(t.opened for _, t in kpis.weekly) == 4
    assert kpis.weekly[-1][1].closed == 1  # closed yesterday, this week


@pytest.mark.django_db
def test_queues_and_agents_get_their_own_cases(
    cases: dict[str, Any], manager: Any, agent: Any
) -> None:
    kpis = desk_kpis(user=manager, weeks=4, now=NOW)
    agents = {t.name: t for t in kpis.by_agent}
    name = agent.get_full_name()
    assert agents[name].open == 2 and agents[name].closed == 0
    assert agents["Ada Lind"].closed == 1 and agents["Ada Lind"].satisfaction == 4.0
    assert kpis.by_agent[0].name == name  # most open first
    queues = {t.name: t for t in kpis.by_queue}
    assert queues["Cards"].closed == 1 and queues["Cards"].open == 0
    assert sum(t.opened for t in kpis.by_queue) == 4

    only_cards = desk_kpis(user=manager, weeks=4, queue_id=cases["cards"].pk, now=NOW)
    assert (only_cards.desk.opened, only_cards.desk.open) == (1, 0)


@pytest.mark.django_db
def test_a_short_period_leaves_earlier_cases_out(cases: dict[str, Any], manager: Any) -> None:
    # one week: from Monday 8 June; c (opened the 7th) no longer counts as opened, its close does
    kpis = desk_kpis(user=manager, weeks=1, now=NOW)
    assert kpis.desk.opened == 3 and kpis.desk.closed == 1
    assert kpis.desk.open == 3  # the backlog does not depend on the period


@pytest.mark.django_db
def test_only_managers_see_the_dashboard(
    cases: dict[str, Any], agent: Any, manager: Any, login: Any
) -> None:
    assert login(agent).get("/performance/").status_code == 403
    assert login(agent).get("/api/performance/desk").status_code == 403
    page = login(manager).get("/performance/?weeks=4")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Service desk performance" in text
    assert agent.get_full_name() in text and "Ada Lind" in text and "Cards" in text
    assert 'data-testid="desk-now"' in text
    assert text.count("<svg") == 2  # volume and SLA attainment per week


@pytest.mark.django_db
def test_the_page_falls_back_to_the_defaults_on_bad_filters(
    cases: dict[str, Any], manager: Any, login: Any
) -> None:
    page = login(manager).get("/performance/?weeks=7&queue=999999")
    assert page.status_code == 200
    assert page.context["kpis"].weeks == 12
    assert page.context["kpis"].queue_id is None
    assert "Select a valid choice" in page.content.decode()


@pytest.mark.django_db
def test_the_api_gives_the_same_figures_and_field_errors(
    cases: dict[str, Any], manager: Any, agent: Any, login: Any
) -> None:
    client = login(manager)
    body = client.get("/api/performance/desk?weeks=52").json()
    assert body["weeks"] == 52 and len(body["weekly"]) == 52
    assert body["desk"]["opened"] >= 3 and body["desk"]["late"] >= 1
    assert {"first_response_pct", "satisfaction", "median_resolution_days"} <= set(body["desk"])
    names = {row["name"] for row in body["by_agent"]}
    assert {agent.get_full_name(), "Ada Lind"} <= names
    bad = client.get("/api/performance/desk?weeks=0")
    assert bad.status_code == 422
    assert "weeks" in str(bad.json())
    assert client.get("/api/performance/desk?queue=999999").status_code == 404


@pytest.mark.django_db
def test_the_page_and_api_keep_their_figures_until_asked_to_count_again(
    cases: dict[str, Any], manager: Any, agent: Any, login: Any
) -> None:
    client = login(manager)
    first = client.get("/performance/?weeks=4")
    assert first.context["kpis"].desk.opened == 4
    assert 'data-testid="counted-at"' in first.content.decode()
    assert client.get("/api/performance/desk?weeks=4").json()["desk"]["opened"] == 4
    _case_now(agent)
    # kept: the same figures, computed at the same moment
    again = client.get("/performance/?weeks=4")
    assert again.context["kpis"].desk.opened == 4
    assert again.context["kpis"].end == first.context["kpis"].end
    assert again.context["kpis"].desk.median_first_response_hours == 7.0  # medians survive
    # counted again on request, by the page's button and by the API
    assert client.get("/performance/?weeks=4&refresh=1").context["kpis"].desk.opened == 5
    api = client.get("/api/performance/desk?weeks=12&refresh=true").json()
    assert api["desk"]["opened"] == 5
    # each filter keeps its own figures, and the permission is checked before the cache
    assert client.get("/performance/?weeks=8").context["kpis"].desk.opened == 5
    assert login(agent).get("/performance/?weeks=4").status_code == 403


def _case_now(agent: Any) -> None:
    from ckm.service.services import case_intake

    case_intake(channel="letter", subject="", body="Where is my new card?", actor=agent)


@pytest.mark.django_db
@pytest.mark.parametrize("weeks", [4, 12])
def test_the_charts_label_each_week_by_its_monday_not_by_days(
    client: Any, cases: dict[str, Any], manager: Any, weeks: int
) -> None:
    client.force_login(manager)
    html = client.get(f"/performance/?weeks={weeks}").content.decode()
    assert html.count("<svg") == 2
    assert not re.search(r">(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d+<", html)  # no day-by-day ticks
    mondays = {w.strftime("%-d %b") for w, _ in desk_kpis(user=manager, weeks=weeks).weekly[:-1]}
    assert all(f">{label}<" in html for label in mondays)


@pytest.mark.django_db
def test_the_filters_show_the_period_and_queue_that_were_counted(
    cases: dict[str, Any], manager: Any, login: Any
) -> None:
    client = login(manager)
    # a bad queue does not throw away a good period, and the select shows what was counted
    page = client.get("/performance/?weeks=26&queue=999999")
    assert page.context["kpis"].weeks == 26
    assert '<option value="26" selected>' in page.content.decode()
    # a bad period: the default is counted and shown (not the select's first choice)
    page = client.get("/performance/?weeks=7")
    assert page.context["kpis"].weeks == 12
    text = page.content.decode()
    assert '<option value="12" selected>' in text and '<option value="4" selected>' not in text
    # a link with the queue only
    page = client.get(f"/performance/?queue={cases['cards'].pk}")
    assert '<option value="12" selected>' in page.content.decode()


@pytest.mark.django_db
def test_the_late_link_keeps_the_chosen_queue(
    cases: dict[str, Any], manager: Any, login: Any
) -> None:
    queue = cases["cards"]
    text = login(manager).get(f"/performance/?weeks=4&queue={queue.pk}").content.decode()
    assert f"?status=open&amp;breached=on&amp;queue={queue.pk}" in text
    text = login(manager).get("/performance/?weeks=4").content.decode()
    assert '?status=open&amp;breached=on"' in text
