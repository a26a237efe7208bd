"""API of feedback: topics with their weekly volume, emerging alerts, product insights with
their consented contacts, knowledge gaps. Thin: schemas validate, services write, selectors
read."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ckm.core.apikit import In, JobOut, Pages, job_answer
from ckm.core.http import AuthedRequest
from ckm.feedback import selectors, services
from ckm.feedback.models import Insight, InsightContact, KnowledgeGap, TopicAlert
from ckm.feedback.selectors import TopicFilters

router = Router(tags=["feedback"])


class TopicOut(Schema):
    id: int
    label: str
    keywords: list[str]
    size: int
    status: str
    cases_in_period: int
    last_4_weeks: int
    previous_4_weeks: int
    new_alerts: int
    gap_state: str


class TopicFilterIn(In):
    weeks: int = Field(26, ge=1, le=104)
    product: int | None = None
    office: int | None = None
    kind: Literal["", "request", "complaint", "idea"] = ""
    q: str = Field("", max_length=100)
    sort: str = Field(
        selectors.TOPIC_SORT_DEFAULT,
        max_length=20,
        description=(
            "label, cases, recent or change; a leading minus for descending (-change: rising "
            "first). Anything else: busiest first."
        ),
    )

    def to_filters(self) -> TopicFilters:
        return TopicFilters(
            weeks=self.weeks,
            product_id=self.product,
            office_id=self.office,
            kind=self.kind,
            q=self.q,
        )


@router.get(
    "/feedback/topics", response=list[TopicOut], summary="Topics, busiest first (or as sort asks)"
)
@paginate(Pages)
def topic_list(request: AuthedRequest, filters: Query[TopicFilterIn]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.topic.pk,
            "label": r.topic.label,
            "keywords": r.topic.keywords,
            "size": r.topic.size,
            "status": r.topic.status,
            "cases_in_period": r.cases,
            "last_4_weeks": r.recent,
            "previous_4_weeks": r.previous,
            "new_alerts": r.new_alerts,
            "gap_state": r.gap_state,
        }
        for r in selectors.topic_list(
            user=request.user, filters=filters.to_filters(), sort=filters.sort
        )
    ]


class TopicWeekOut(Schema):
    week: dt.date
    product: str
    office: str
    count: int


class ExampleOut(Schema):
    id: int
    kind: str
    channel: str
    subject: str
    body: str
    opened_at: dt.datetime


class TopicDetailOut(Schema):
    id: int
    label: str
    keywords: list[str]
    size: int
    status: str
    weekly: list[TopicWeekOut]
    examples: list[ExampleOut]


@router.get(
    "/feedback/topics/{int:topic_id}",
    response=TopicDetailOut,
    summary="A topic: cases per week × product × office, and its most typical cases",
)
def topic_get(
    request: AuthedRequest, topic_id: int, filters: Query[TopicFilterIn]
) -> dict[str, Any]:
    detail = selectors.topic_detail(
        user=request.user, topic_id=topic_id, filters=filters.to_filters()
    )
    topic = detail.topic
    return {
        "id": topic.pk,
        "label": topic.label,
        "keywords": topic.keywords,
        "size": topic.size,
        "status": topic.status,
        "weekly": detail.weekly,
        "examples": detail.examples,
    }


class RefreshIn(In):
    full: bool = Field(False, description="Cluster every case again instead of assigning new ones")


@router.post(
    "/feedback/topics/refresh",
    response={202: JobOut},
    summary="Refresh topics in the background (progress at progress_url)",
)
def topics_refresh(request: AuthedRequest, payload: RefreshIn) -> Status[dict[str, Any]]:
    job = services.topics_refresh_start(actor=request.user, full=payload.full)
    return Status(202, job_answer(job))


class TopicAlertOut(Schema):
    id: int
    topic_id: int
    topic: str
    week: dt.date
    count: int
    baseline: float
    z_score: float
    p_value: float
    status: str

    @staticmethod
    def resolve_topic(a: TopicAlert) -> str:
        return a.topic.label


@router.get("/feedback/alerts", response=list[TopicAlertOut], summary="Emerging-topic alerts")
@paginate(Pages)
def alert_list(
    request: AuthedRequest, status: Literal["", "new", "acknowledged", "dismissed"] = "new"
) -> Any:
    return selectors.alert_list(user=request.user, status=status)


class AlertStatusIn(In):
    status: Literal["new", "acknowledged", "dismissed"]


@router.patch(
    "/feedback/alerts/{int:alert_id}", response=TopicAlertOut, summary="Acknowledge/dismiss"
)
def alert_update(request: AuthedRequest, alert_id: int, payload: AlertStatusIn) -> TopicAlert:
    return services.alert_update(actor=request.user, alert_id=alert_id, status=payload.status)


class InsightOut(Schema):
    id: int
    title: str
    description: str
    status: str
    volume: int
    owner: str | None
    products: list[int]
    topics: list[int]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(i: Insight) -> str | None:
        return i.owner.username if i.owner_id and i.owner else None

    @staticmethod
    def resolve_products(i: Insight) -> list[int]:
        return [p.pk for p in i.products.all()]

    @staticmethod
    def resolve_topics(i: Insight) -> list[int]:
        return [t.pk for t in i.topics.all()]


class InsightIn(In):
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)
    topic: int | None = Field(None, description="Create from this topic")
    case: int | None = Field(None, description="Create from this case")
    products: list[int] | None = None


@router.get("/feedback/insights", response=list[InsightOut], summary="The product insight board")
@paginate(Pages)
def insight_list(
    request: AuthedRequest,
    status: Literal["", "new", "under_review", "planned", "shipped", "declined"] = "",
    product: int | None = None,
) -> Any:
    return selectors.insight_list(user=request.user, status=status, product_id=product)


@router.post("/feedback/insights", response={201: InsightOut}, summary="Create an insight")
def insight_create(request: AuthedRequest, payload: InsightIn) -> Status[Insight]:
    if payload.topic is not None:
        insight = services.insight_from_topic(
            actor=request.user, topic_id=payload.topic, title=payload.title
        )
    elif payload.case is not None:
        insight = services.insight_from_case(
            actor=request.user, case_id=payload.case, title=payload.title
        )
    else:
        if not payload.title.strip():
            from django.core.exceptions import ValidationError

            raise ValidationError({"title": ["Give a title, a topic or a case."]})
        insight = services.insight_create(
            actor=request.user,
            title=payload.title,
            description=payload.description,
            product_ids=payload.products,
        )
    return Status(201, selectors.insight_get(user=request.user, insight_id=insight.pk))


@router.get("/feedback/insights/{int:insight_id}", response=InsightOut, summary="One insight")
def insight_get(request: AuthedRequest, insight_id: int) -> Insight:
    return selectors.insight_get(user=request.user, insight_id=insight_id)


class InsightStatusIn(In):
    status: Literal["new", "under_review", "planned", "shipped", "declined"]
    note: str = Field("", max_length=2000)


@router.post(
    "/feedback/insights/{int:insight_id}/status",
    response=InsightOut,
    summary="Move an insight (new → under review → planned → shipped, or declined)",
)
def insight_status(request: AuthedRequest, insight_id: int, payload: InsightStatusIn) -> Insight:
    services.insight_status_set(
        actor=request.user, insight_id=insight_id, status=payload.status, note=payload.note
    )
    return selectors.insight_get(user=request.user, insight_id=insight_id)


class InsightLinkIn(In):
    topics: list[int] = Field(default_factory=list)
    cases: list[int] = Field(default_factory=list)


@router.post(
    "/feedback/insights/{int:insight_id}/link",
    response=InsightOut,
    summary="Add topics or cases to an insight (volume and contacts follow)",
)
def insight_link(request: AuthedRequest, insight_id: int, payload: InsightLinkIn) -> Insight:
    services.insight_link(
        actor=request.user, insight_id=insight_id, topic_ids=payload.topics, case_ids=payload.cases
    )
    return selectors.insight_get(user=request.user, insight_id=insight_id)


class ContactOut(Schema):
    id: int
    customer_id: int
    customer: str
    consent_channels: list[str]
    cases: int
    contacted_at: dt.datetime | None
    channel: str
    outcome: str
    note: str

    @staticmethod
    def resolve_customer(c: InsightContact) -> str:
        return c.customer.display_name


@router.get(
    "/feedback/insights/{int:insight_id}/contacts",
    response=list[ContactOut],
    summary="Customers who raised the insight and agreed to product development contact",
)
@paginate(Pages)
def insight_contacts(request: AuthedRequest, insight_id: int) -> list[InsightContact]:
    insight = selectors.insight_get(user=request.user, insight_id=insight_id)
    return selectors.insight_contacts(user=request.user, insight=insight).contactable


class ContactIn(In):
    channel: Literal["email", "phone", "sms", "letter", "portal"]
    outcome: Literal["interested", "participated", "declined", "no_answer"]
    note: str = Field("", max_length=2000)


@router.post(
    "/feedback/contacts/{int:contact_id}",
    response=ContactOut,
    summary="Record a contact with a customer about an insight, and its outcome",
)
def contact_record(request: AuthedRequest, contact_id: int, payload: ContactIn) -> InsightContact:
    return services.insight_contact_record(
        actor=request.user,
        contact_id=contact_id,
        channel=payload.channel,
        outcome=payload.outcome,
        note=payload.note,
    )


class GapOut(Schema):
    id: int
    topic_id: int
    topic: str
    state: str
    cases: int
    best_confidence: float | None
    article_id: int | None
    article_url: str | None
    published_at: dt.datetime | None
    weekly_before: float | None
    weekly_after: float | None

    @staticmethod
    def resolve_topic(g: KnowledgeGap) -> str:
        return g.topic.label

    @staticmethod
    def resolve_article_url(g: KnowledgeGap) -> str | None:
        return g.article.get_absolute_url() if g.article_id and g.article else None


@router.get("/feedback/gaps", response=list[GapOut], summary="Knowledge gaps")
@paginate(Pages)
def gap_list(
    request: AuthedRequest,
    state: Literal["", "open", "drafted", "closed", "dismissed"] = "",
) -> Any:
    return selectors.gap_list(user=request.user, state=state)


@router.get("/feedback/gaps/{int:gap_id}", response=GapOut, summary="One knowledge gap")
def gap_get(request: AuthedRequest, gap_id: int) -> KnowledgeGap:
    return selectors.gap_get(user=request.user, gap_id=gap_id)


@router.post(
    "/feedback/gaps/{int:gap_id}/draft",
    response=GapOut,
    summary="Draft an article for the gap in the knowledge base",
)
def gap_draft(request: AuthedRequest, gap_id: int) -> KnowledgeGap:
    services.gap_draft_article(actor=request.user, gap_id=gap_id)
    return selectors.gap_get(user=request.user, gap_id=gap_id)
