"""The topics list: the change shown and sorted without tiny counts shouting, and sorting by the
columns (in the database, from a whitelist)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.utils import timezone

from ckm.feedback.models import CaseTopic, Topic
from ckm.feedback.selectors import (
    CHANGE_MIN_CASES,
    TOPIC_SORT_DEFAULT,
    TopicFilters,
    monday,
    topic_list,
    topic_sort,
)
from ckm.feedback.tests.factories import CaseFactory


def _topic(label: str, *, weekly: dict[int, int], kind: str = "complaint") -> Topic:
    """A topic with `weekly[k]` cases opened k complete weeks ago (1: last week)."""
    topic = Topic.objects.create(label=label, centroid=np.zeros(4, np.float32).tobytes())
    this_week = monday(timezone.localdate())
    for weeks_ago, n in weekly.items():
        day = this_week - dt.timedelta(weeks=weeks_ago) + dt.timedelta(days=2)
        opened = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
        for _ in range(n):
            case = CaseFactory(opened_at=opened, kind=kind)
            CaseTopic.objects.create(case=case, topic=topic, vector=b"", text_hash="x")
    return topic


def _spread(total: int, weeks: range) -> dict[int, int]:
    """`total` cases spread over the given weeks ago."""
    out = dict.fromkeys(weeks, total // len(weeks))
    out[weeks[0]] += total - sum(out.values())
    return out


def test_a_change_on_a_handful_of_cases_is_shown_as_the_counts(
    login: Any, product_manager: Any
) -> None:
    tiny = _topic("tiny", weekly={6: 1, 2: 4})  # 1 → 4: "+300 %" would be noise
    big = _topic("big", weekly={**_spread(20, range(5, 9)), **_spread(30, range(1, 5))})
    rows = {r.topic.pk: r for r in topic_list(user=product_manager, filters=TopicFilters())}
    assert (rows[tiny.pk].previous, rows[tiny.pk].recent) == (1, 4)
    assert rows[tiny.pk].change is None and rows[tiny.pk].trend == ""
    assert rows[big.pk].change == 0.5 and rows[big.pk].trend == "up"
    html = login(product_manager).get("/feedback/topics/").content.decode()
    assert "1 → 4" in html and "+300 %" not in html
    assert "+50 %" in html
    assert f"fewer than {CHANGE_MIN_CASES} cases" in html  # the rule is explained


def test_the_previous_four_weeks_count_whole_even_in_an_eight_week_period(
    product_manager: Any,
) -> None:
    _topic("old", weekly={8: 3, 5: 2, 1: 1})
    (row,) = topic_list(user=product_manager, filters=TopicFilters(weeks=8))
    assert (row.previous, row.recent) == (5, 1)


def test_rising_first_puts_real_rises_above_tiny_percentages(product_manager: Any) -> None:
    tiny = _topic("tiny", weekly={6: 1, 2: 4})  # +300 % on one case
    big = _topic("big", weekly={**_spread(20, range(5, 9)), **_spread(30, range(1, 5))})  # +50 %
    new = _topic("new", weekly=_spread(25, range(1, 5)))  # 0 → 25
    flat = _topic("flat", weekly={**_spread(12, range(5, 9)), **_spread(12, range(1, 5))})
    rising = topic_list(user=product_manager, filters=TopicFilters(), sort="-change")
    assert [r.topic.pk for r in rising] == [new.pk, big.pk, tiny.pk, flat.pk]
    falling = topic_list(user=product_manager, filters=TopicFilters(), sort="change")
    assert [r.topic.pk for r in falling] == [flat.pk, tiny.pk, big.pk, new.pk]


def test_the_topics_sort_by_their_columns_and_an_unknown_sort_is_the_default(
    product_manager: Any,
) -> None:
    a = _topic("Apple Pay", weekly={1: 2, 6: 1})
    b = _topic("blocked card", weekly={1: 5})
    c = _topic("Closing fee", weekly={3: 1, 12: 9})

    def order(sort: str) -> list[str]:
        rows = topic_list(user=product_manager, filters=TopicFilters(), sort=sort)
        return [r.topic.label for r in rows]

    assert order("label") == [a.label, b.label, c.label]  # case does not matter
    assert order("-label") == [c.label, b.label, a.label]
    assert order("-cases") == [c.label, b.label, a.label]
    assert order("cases") == [a.label, b.label, c.label]
    assert order("-recent") == [b.label, a.label, c.label]
    for unknown in ("", "size", "--cases", "label; DROP TABLE", "-", "cases,label"):
        assert topic_sort(unknown) == TOPIC_SORT_DEFAULT
        assert order(unknown) == order(TOPIC_SORT_DEFAULT)


def test_the_topics_page_sorts_by_a_header_link_that_keeps_the_filters(
    login: Any, product_manager: Any, django_assert_max_num_queries: Any
) -> None:
    _topic("Apple Pay", weekly={1: 2})
    _topic("blocked card", weekly={1: 5})
    client = login(product_manager)
    client.get("/feedback/topics/")  # warm the session and permission caches
    with django_assert_max_num_queries(20):
        page = client.get("/feedback/topics/", {"kind": "complaint", "sort": "label"})
    html = page.content.decode()
    table = html[html.index("<tbody>") :]  # (the chart above has a legend of its own)
    assert table.index("Apple Pay") < table.index("blocked card")
    assert 'aria-sort="ascending"' in html and html.count("aria-sort") == 1
    # the active column reverses, the others sort in their natural direction; filters stay
    assert 'href="?kind=complaint&amp;sort=-label"' in html
    assert 'href="?kind=complaint&amp;sort=-cases"' in html
    assert '<input type="hidden" name="sort" value="label">' in html  # the filter form keeps it
    for unknown in ("nonsense", "-", "label%00"):
        response = client.get(f"/feedback/topics/?sort={unknown}")
        assert response.status_code == 200
        assert 'aria-sort="descending"' in response.content.decode()  # busiest first
    api = client.get("/api/feedback/topics", {"sort": "-recent"})
    assert [t["label"] for t in api.json()["items"]] == ["blocked card", "Apple Pay"]
