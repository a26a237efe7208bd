"""Reads of the feedback app: topics and their weekly volume (computed when read, grouped in the
database), alerts, insights with their contacts, knowledge gaps with before/after volume.

Every public selector takes the user and checks the permission to read what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import (
    Count,
    DateField,
    F,
    FloatField,
    IntegerField,
    OrderBy,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Greatest, Lower, TruncWeek
from django.utils import timezone

from ckm.core.errors import NotFound
from ckm.core.permissions import require_perm
from ckm.core.sorting import Sorts
from ckm.customers.models import Consent
from ckm.feedback.models import (
    CaseTopic,
    Insight,
    InsightContact,
    KnowledgeGap,
    Topic,
    TopicAlert,
    TopicRun,
)
from ckm.service.models import Case

DEFAULT_WEEKS = 26
GAP_ORDER = {"open": 0, "drafted": 1, "closed": 2, "dismissed": 3}


def monday(day: dt.date) -> dt.date:
    """The Monday of the ISO week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def local_date(value: Any) -> dt.date:
    """The local calendar date of a datetime (a date stays as it is)."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date()
    return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class TopicFilters:
    """What the topics page and API narrow to (empty: everything)."""

    weeks: int = DEFAULT_WEEKS
    product_id: int | None = None
    office_id: int | None = None
    kind: str = ""
    channel: str = ""
    q: str = ""

    def case_q(self, prefix: str = "case__") -> Q:
        q = Q()
        if self.product_id:
            q &= Q(**{f"{prefix}product_id": self.product_id})
        if self.office_id:
            q &= Q(**{f"{prefix}office_id": self.office_id})
        if self.kind:
            q &= Q(**{f"{prefix}kind": self.kind})
        if self.channel:
            q &= Q(**{f"{prefix}channel": self.channel})
        return q

    def since(self, today: dt.date | None = None) -> dt.date:
        today = today or timezone.localdate()
        return monday(today) - dt.timedelta(weeks=max(1, self.weeks) - 1)


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def weekly_counts(
    *,
    topic_ids: list[int] | None,
    since: dt.date,
    until: dt.date | None = None,
    filters: TopicFilters | None = None,
) -> dict[int, dict[dt.date, int]]:
    """Cases per topic and ISO week (Monday) opened from `since` up to (not including) `until`."""
    rows = CaseTopic.objects.filter(topic__isnull=False, case__opened_at__gte=_start(since))
    if until is not None:
        rows = rows.filter(case__opened_at__lt=_start(until))
    if topic_ids is not None:
        rows = rows.filter(topic_id__in=topic_ids)
    if filters is not None:
        rows = rows.filter(filters.case_q())
    grouped = (
        rows.annotate(week=TruncWeek("case__opened_at", output_field=DateField()))
        .values("topic_id", "week")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for row in grouped:
        week = local_date(row["week"])
        out[row["topic_id"]][week] = out[row["topic_id"]].get(week, 0) + row["n"]
    return out


def week_range(since: dt.date, until: dt.date) -> list[dt.date]:
    """Mondays from the week of `since` to the week of `until`, inclusive."""
    weeks, day = [], monday(since)
    while day <= until:
        weeks.append(day)
        day += dt.timedelta(weeks=1)
    return weeks


# --- topics -----------------------------------------------------------------------------------


CHANGE_MIN_CASES = 10
"""Fewest cases in the four weeks before for the change to be shown as a percentage. On a smaller
base a percentage is noise ("+300 %" for 1 → 4 cases): the list shows the two counts instead, and
the sort by change divides by at least this many cases, so a tiny topic never tops it on a
percentage alone."""
CHANGE_NOTABLE = 0.25
"""A change beyond this share (up or down) is marked on the topics list."""


@dataclass
class TopicRow:
    topic: Topic
    cases: int  # in the period and filters
    recent: int  # last 4 complete weeks
    previous: int  # the 4 weeks before
    series: list[int]
    new_alerts: int = 0
    gap_state: str = ""

    @property
    def comparable(self) -> bool:
        """Enough cases in the four weeks before for a percentage to mean something."""
        return self.previous >= CHANGE_MIN_CASES

    @property
    def change(self) -> float | None:
        """The relative change (0.5: up by half), or None when the base is too small."""
        if not self.comparable:
            return None
        return (self.recent - self.previous) / self.previous

    @property
    def rise(self) -> float:
        """What the sort by change orders by: the change against a base of at least
        CHANGE_MIN_CASES (the same as `change` whenever that is shown)."""
        return (self.recent - self.previous) / max(self.previous, CHANGE_MIN_CASES)

    @property
    def trend(self) -> str:
        """Whether the change is notable: "up", "down" or "" (a handful of cases never is)."""
        if max(self.recent, self.previous) < CHANGE_MIN_CASES:
            return ""
        if self.rise > CHANGE_NOTABLE:
            return "up"
        if self.rise < -CHANGE_NOTABLE:
            return "down"
        return ""


TOPIC_SORT_DEFAULT = "-cases"
# the columns the topics list sorts by; the order itself is _topic_order's (a label sorts by its
# lower case, the change by its rise, ties by the busiest): only the key is checked here
TOPIC_SORTS = Sorts(
    columns={key: (key,) for key in ("label", "cases", "recent", "change")},
    default=TOPIC_SORT_DEFAULT,
)


def topic_sort(value: str | None) -> str:
    """The sort asked for if it is one the topics list knows ("cases", "-change", …), else the
    default (busiest first)."""
    return TOPIC_SORTS.choose((value or "").strip())


def _topic_order(sort: str) -> list[OrderBy]:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    expression: Expression | F
    if key == "label":
        expression = Lower("label")
    elif key == "change":
        expression = Cast(F("recent") - F("previous"), FloatField()) / Greatest(
            F("previous"), Value(CHANGE_MIN_CASES)
        )
    else:
        expression = F(key)  # cases, recent: annotations of topic_list
    primary = OrderBy(expression, descending=descending)
    # ties: the busiest first, then by name (and id, so the order never wobbles)
    return [primary, F("cases").desc(), Lower("label").asc(), F("pk").asc()]


def latest_run(*, user: Any) -> TopicRun | None:
    """The latest topic run (discovery or assignment)."""
    require_perm(user, "feedback.view_topic")
    return TopicRun.objects.select_related("job").order_by("-started_at").first()


def topic_list(
    *, user: Any, filters: TopicFilters, sort: str = TOPIC_SORT_DEFAULT
) -> list[TopicRow]:
    """Active topics with their volume in the period (under the filters), busiest first or in
    the order `sort` asks for (see topic_sort); counted and ordered in the database."""
    require_perm(user, "feedback.view_topic")
    today = timezone.localdate()
    since = filters.since(today)
    this_week = monday(today)
    case_q = filters.case_q(prefix="assignments__case__")

    def opened(start: dt.date, end: dt.date | None = None) -> Q:
        q = Q(assignments__case__opened_at__gte=_start(start)) & case_q
        if end is not None:
            q &= Q(assignments__case__opened_at__lt=_start(end))
        return q

    topics = Topic.objects.filter(status=Topic.Status.ACTIVE).annotate(
        cases=Count("assignments", filter=opened(since)),
        # the last four complete weeks and the four before, whatever the period
        recent=Count("assignments", filter=opened(this_week - dt.timedelta(weeks=4), this_week)),
        previous=Count(
            "assignments",
            filter=opened(this_week - dt.timedelta(weeks=8), this_week - dt.timedelta(weeks=4)),
        ),
    )
    if filters.q:
        topics = topics.filter(label__icontains=filters.q)
    if filters.product_id or filters.office_id or filters.kind or filters.channel:
        topics = topics.filter(cases__gt=0)
    ordered = list(topics.order_by(*_topic_order(topic_sort(sort))))
    topic_ids = [t.pk for t in ordered]
    counts = weekly_counts(topic_ids=topic_ids, since=since, filters=filters)
    weeks = week_range(since, today)
    alerts = dict(
        current_alerts()
        .filter(topic_id__in=topic_ids)
        .values_list("topic_id")
        .annotate(n=Count("id"))
        .values_list("topic_id", "n")
    )
    gaps = dict(
        KnowledgeGap.objects.filter(topic_id__in=topic_ids)
        .exclude(state=KnowledgeGap.State.DISMISSED)
        .order_by("created_at")
        .values_list("topic_id", "state")
    )
    return [
        TopicRow(
            topic=topic,
            cases=topic.cases,  # type: ignore[attr-defined]
            recent=topic.recent,  # type: ignore[attr-defined]
            previous=topic.previous,  # type: ignore[attr-defined]
            series=[counts.get(topic.pk, {}).get(w, 0) for w in weeks],
            new_alerts=alerts.get(topic.pk, 0),
            gap_state=gaps.get(topic.pk, ""),
        )
        for topic in ordered
    ]


def topic_get(*, user: Any, topic_id: int) -> Topic:
    """One topic (active or retired), or NotFound."""
    require_perm(user, "feedback.view_topic")
    topic = Topic.objects.filter(pk=topic_id).first()
    if topic is None:
        raise NotFound("No such topic.")
    return topic


@dataclass
class TopicDetail:
    topic: Topic
    weeks: list[dt.date]
    weekly: list[dict[str, Any]]  # week, product, office, count
    by_product: list[tuple[str, int]]
    by_office: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]
    total: int
    examples: list[Case] = field(default_factory=list)
    recent: list[Case] = field(default_factory=list)


def topic_detail(*, user: Any, topic_id: int, filters: TopicFilters) -> TopicDetail:
    """A topic's volume per week × product × office in the period, and example cases."""
    topic = topic_get(user=user, topic_id=topic_id)
    today = timezone.localdate()
    since = filters.since(today)
    cases = Case.objects.filter(topic_assignment__topic=topic, opened_at__gte=_start(since)).filter(
        filters.case_q(prefix="")
    )
    grouped = (
        cases.annotate(week=TruncWeek("opened_at", output_field=DateField()))
        .values("week", "product__name", "office__name", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    weekly: list[dict[str, Any]] = []
    products: dict[str, int] = defaultdict(int)
    offices: dict[str, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    for row in grouped:
        product = row["product__name"] or "No product"
        office = row["office__name"] or "No office"
        weekly.append(
            {
                "week": local_date(row["week"]),
                "product": product,
                "office": office,
                "count": row["n"],
            }
        )
        products[product] += row["n"]
        offices[office] += row["n"]
        kinds[row["kind"]] += row["n"]
    # the most typical cases among those the filters keep (the topic's own examples span all
    # products, offices and years)
    examples = list(
        cases.select_related("product", "office").order_by(
            "-topic_assignment__similarity", "-opened_at"
        )[:5]
    )
    recent = list(
        cases.select_related("product", "office").order_by("-opened_at")[:10]  # newest first
    )
    return TopicDetail(
        topic=topic,
        weeks=week_range(since, today),
        weekly=weekly,
        by_product=sorted(products.items(), key=lambda kv: -kv[1]),
        by_office=sorted(offices.items(), key=lambda kv: -kv[1]),
        by_kind=sorted(kinds.items(), key=lambda kv: -kv[1]),
        total=sum(products.values()),
        examples=examples,
        recent=recent,
    )


def topic_choices(*, user: Any) -> QuerySet[Topic]:
    """Active topics by name (for pickers)."""
    require_perm(user, "feedback.view_topic")
    return Topic.objects.filter(status=Topic.Status.ACTIVE).order_by("label")


def case_examples(*, topic: Topic, limit: int = 5) -> list[Case]:
    """The topic's most central cases (what it is about), in that order."""
    ids = [int(i) for i in (topic.examples or [])][:limit]
    found = Case.objects.select_related("product", "office").in_bulk(ids)
    return [found[i] for i in ids if i in found]


# --- alerts -----------------------------------------------------------------------------------


def alert_list(*, user: Any, status: str = "new") -> QuerySet[TopicAlert]:
    """Emerging-topic alerts, newest week first (status "" for all)."""
    require_perm(user, "feedback.view_topicalert")
    alerts = TopicAlert.objects.select_related("topic", "handled_by")
    if status:
        alerts = alerts.filter(status=status)
    return alerts.order_by("-week", "-z_score")


ALERT_CURRENT_WEEKS = 4
"""An unhandled alert counts as a topic emerging now for this many weeks after its week."""


def current_alerts() -> QuerySet[TopicAlert]:
    """The unhandled alerts of the last ALERT_CURRENT_WEEKS weeks: the topics emerging now."""
    since = monday(timezone.localdate()) - dt.timedelta(weeks=ALERT_CURRENT_WEEKS)
    return TopicAlert.objects.filter(status=TopicAlert.Status.NEW, week__gte=since)


def alerts_current(*, user: Any) -> list[TopicAlert]:
    """The topics emerging now: per topic its latest new alert of the last ALERT_CURRENT_WEEKS
    weeks, newest first. Older unhandled alerts stay on the alerts page, but a burst that ended
    a month ago is no longer news for the start page and the badge."""
    require_perm(user, "feedback.view_topicalert")
    newest: dict[int, TopicAlert] = {}
    for alert in current_alerts().select_related("topic").order_by("-week", "-z_score"):
        newest.setdefault(alert.topic_id, alert)
    return list(newest.values())


def alert_count_new(user: Any) -> int:
    """Topics emerging now (the navigation badge)."""
    if not user.has_perm("feedback.view_topicalert"):
        return 0
    return current_alerts().values("topic_id").distinct().count()


# --- insights ---------------------------------------------------------------------------------


def insight_list(
    *, user: Any, status: str = "", product_id: int | None = None
) -> QuerySet[Insight]:
    """Insights on the board, most recently changed first."""
    require_perm(user, "feedback.view_insight")
    insights = Insight.objects.select_related("owner").prefetch_related("products", "topics")
    if status:
        insights = insights.filter(status=status)
    if product_id:
        insights = insights.filter(products__id=product_id)
    return insights.order_by("-updated_at")


def insight_board(
    *, user: Any, product_id: int | None = None
) -> list[tuple[str, str, list[Insight]]]:
    """The board: one column per status, with its insights."""
    insights = list(insight_list(user=user, product_id=product_id))
    return [
        (value, label, [i for i in insights if i.status == value])
        for value, label in Insight.Status.choices
    ]


def insight_get(*, user: Any, insight_id: int) -> Insight:
    """One insight, or NotFound."""
    require_perm(user, "feedback.view_insight")
    insight = (
        Insight.objects.select_related("owner", "created_by")
        .prefetch_related("products", "topics")
        .filter(pk=insight_id)
        .first()
    )
    if insight is None:
        raise NotFound("No such insight.")
    return insight


def insight_case_ids(insight: Insight) -> set[int]:
    """Cases behind an insight: its own and those of its topics."""
    ids = set(insight.cases.values_list("id", flat=True))
    topic_ids = list(insight.topics.values_list("id", flat=True))
    if topic_ids:
        ids |= set(
            CaseTopic.objects.filter(topic_id__in=topic_ids).values_list("case_id", flat=True)
        )
    return ids


def insight_examples(*, user: Any, insight: Insight, limit: int = 6) -> list[Case]:
    """Example cases of an insight: its own cases, then its topics' most central ones."""
    require_perm(user, "feedback.view_insight")
    own = list(insight.cases.select_related("product", "office").order_by("-opened_at")[:limit])
    for topic in insight.topics.all():
        if len(own) >= limit:
            break
        seen = {c.pk for c in own}
        own += [c for c in case_examples(topic=topic, limit=limit) if c.pk not in seen]
    return own[:limit]


@dataclass
class ContactList:
    contactable: list[InsightContact]
    not_consented: int


def insight_contacts(*, user: Any, insight: Insight) -> ContactList:
    """Who raised the insight and agreed to be contacted for product development.

    Customers without that consent are only counted: the product team sees no one who did not
    agree to it (the consent purpose "product_feedback" is the basis for showing them)."""
    require_perm(user, "feedback.view_insightcontact")
    contacts = InsightContact.objects.filter(insight=insight)
    # the consent as it is now: a withdrawal takes the customer off the list at once, before
    # the stored flag is refreshed
    granted = Consent.objects.filter(purpose=Consent.Purpose.PRODUCT_FEEDBACK, granted=True).values(
        "customer_id"
    )
    listed = contacts.filter(consented=True, customer_id__in=granted)
    contactable = list(
        listed.select_related("customer", "contacted_by").order_by(
            "-cases", "customer__last_name", "customer__name"
        )
    )
    return ContactList(contactable=contactable, not_consented=contacts.count() - len(contactable))


# --- knowledge gaps ---------------------------------------------------------------------------


def gap_list(*, user: Any, state: str = "") -> QuerySet[KnowledgeGap]:
    """Knowledge gaps: open first, then drafted and closed; biggest first."""
    require_perm(user, "feedback.view_knowledgegap")
    gaps = KnowledgeGap.objects.select_related("topic", "article", "drafted_by")
    if state:
        return gaps.filter(state=state).order_by("-cases")
    gaps = gaps.exclude(state=KnowledgeGap.State.DISMISSED)
    rank = DbCase(
        *[When(state=k, then=Value(v)) for k, v in GAP_ORDER.items()],
        output_field=IntegerField(),
    )
    return gaps.order_by(rank, "-cases")


def gap_get(*, user: Any, gap_id: int) -> KnowledgeGap:
    """One knowledge gap, or NotFound."""
    require_perm(user, "feedback.view_knowledgegap")
    gap = KnowledgeGap.objects.select_related("topic", "article", "drafted_by").filter(pk=gap_id)
    found = gap.first()
    if found is None:
        raise NotFound("No such knowledge gap.")
    return found


@dataclass
class BeforeAfter:
    weeks: list[dt.date]
    counts: list[int]
    published: dt.date | None
    weekly_before: float | None
    weekly_after: float | None

    @property
    def change(self) -> float | None:
        return relative_change(self.weekly_before, self.weekly_after)


def relative_change(before: float | None, after: float | None) -> float | None:
    """How much a weekly volume changed from before to after (-0.6: down by 60 %)."""
    if not before or after is None:
        return None
    return float((after - before) / before)


def topic_before_after(
    *, topic: Topic, published_at: dt.datetime | None, window_weeks: int = 12
) -> BeforeAfter:
    """The topic's weekly cases around a publication date: `window_weeks` full weeks before the
    week of publication and the full weeks after it (up to `window_weeks`)."""
    today = timezone.localdate()
    if published_at is None:
        since = monday(today) - dt.timedelta(weeks=window_weeks)
        counts = weekly_counts(topic_ids=[topic.pk], since=since).get(topic.pk, {})
        weeks = week_range(since, today)
        return BeforeAfter(weeks, [counts.get(w, 0) for w in weeks], None, None, None)
    published = monday(local_date(published_at))
    since = published - dt.timedelta(weeks=window_weeks)
    until = min(published + dt.timedelta(weeks=window_weeks + 1), monday(today))
    counts = weekly_counts(topic_ids=[topic.pk], since=since, until=until).get(topic.pk, {})
    weeks = week_range(since, until - dt.timedelta(days=1))
    before = [counts.get(w, 0) for w in weeks if w < published]
    after = [counts.get(w, 0) for w in weeks if w > published]
    return BeforeAfter(
        weeks=weeks,
        counts=[counts.get(w, 0) for w in weeks],
        published=local_date(published_at),
        weekly_before=sum(before) / len(before) if before else None,
        weekly_after=sum(after) / len(after) if after else None,
    )


def gap_candidate_articles(*, user: Any, gap: KnowledgeGap, limit: int = 3) -> list[Any]:
    """Articles the suggestions come closest with for the gap's most typical case (the editor
    may judge that one of them does answer it)."""
    require_perm(user, "feedback.view_knowledgegap")
    try:
        from ckm.knowledge.selectors import article_suggest
    except ImportError:  # pragma: no cover - the knowledge app is part of the product
        return []
    examples = case_examples(topic=gap.topic, limit=1)
    if not examples:
        return []
    text = f"{examples[0].subject}\n{examples[0].body}".strip()[:1000]
    result = article_suggest(text=text, user=user, limit=limit)
    return list(result.suggestions)
