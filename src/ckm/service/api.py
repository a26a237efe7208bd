"""API of the service app: cases from any channel (letters, chat transcripts, other systems),
the case list with filters and paging, the workflow, classification and its correction, linking
an unknown contact, replies, satisfaction, and the classifier registry. Thin: schemas validate,
services write, selectors read."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ckm.core.apikit import In, JobOut, Pages, job_answer
from ckm.core.errors import ValidationError
from ckm.core.http import AuthedRequest
from ckm.core.models import Office
from ckm.customers.models import Customer, Product
from ckm.customers.selectors import customer_get
from ckm.service import selectors, services
from ckm.service.models import Case
from ckm.service.services.timers import timers
from ckm.service.settings_api import router as settings_router

router = Router(tags=["service"])
router.add_router("", settings_router)

Channel = Literal["phone", "email", "letter", "portal", "chat", "branch", "api", "import"]
Kind = Literal["request", "complaint", "idea"]
Priority = Literal["low", "normal", "high", "urgent"]
StatusName = Literal[
    "received", "acknowledged", "assigned", "in_progress", "resolved", "answered", "closed"
]


class TimerOut(Schema):
    due: dt.datetime | None
    done_at: dt.datetime | None
    level: str
    label: str
    seconds_left: float | None


class CaseSuggestionOut(Schema):
    product: str | None
    product_confidence: float | None
    category: str
    category_confidence: float | None
    model_version: str


class CaseOut(Schema):
    id: int
    reference: str
    kind: str
    channel: str
    status: str
    priority: str
    subject: str
    body: str
    customer_id: int | None
    customer: str | None
    contact: str
    sender_name: str
    sender_email: str
    sender_phone: str
    product: str | None
    category: str
    office: str | None
    queue: str | None
    assignee: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    reopened_count: int
    satisfaction_score: int | None
    external_id: str
    suggestion: CaseSuggestionOut
    timers: dict[str, TimerOut]

    @staticmethod
    def resolve_customer(c: Case) -> str | None:
        return c.customer.display_name if c.customer_id and c.customer else None

    @staticmethod
    def resolve_contact(c: Case) -> str:
        return c.contact_label

    @staticmethod
    def resolve_product(c: Case) -> str | None:
        return c.product.external_id if c.product_id and c.product else None

    @staticmethod
    def resolve_office(c: Case) -> str | None:
        return c.office.code if c.office_id and c.office else None

    @staticmethod
    def resolve_queue(c: Case) -> str | None:
        return c.queue.name if c.queue_id and c.queue else None

    @staticmethod
    def resolve_assignee(c: Case) -> str | None:
        return c.assignee.username if c.assignee_id and c.assignee else None

    @staticmethod
    def resolve_suggestion(c: Case) -> dict[str, Any]:
        return {
            "product": c.suggested_product.external_id
            if c.suggested_product_id and c.suggested_product
            else None,
            "product_confidence": c.suggested_product_confidence,
            "category": c.suggested_category,
            "category_confidence": c.suggested_category_confidence,
            "model_version": c.classifier_version,
        }

    @staticmethod
    def resolve_timers(c: Case) -> dict[str, Any]:
        return {
            name: {
                "due": t.due,
                "done_at": t.done_at,
                "level": t.level,
                "label": t.label,
                "seconds_left": t.seconds_left,
            }
            for name, t in timers(c).items()
        }


class MessageOut(Schema):
    id: int
    direction: str
    channel: str
    at: dt.datetime
    sender: str
    recipients: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str


class EventOut(Schema):
    at: dt.datetime
    kind: str
    summary: str
    from_status: str
    to_status: str
    actor: str | None

    @staticmethod
    def resolve_actor(e: Any) -> str | None:
        return e.actor.username if e.actor_id and e.actor else None


class CaseDetailOut(CaseOut):
    resolution: str
    messages: list[MessageOut]
    history: list[EventOut]

    @staticmethod
    def resolve_messages(c: Case) -> list[Any]:
        return list(selectors.case_messages(case=c))

    @staticmethod
    def resolve_history(c: Case) -> list[Any]:
        return list(selectors.case_events(case=c))


class CaseIn(In):
    channel: Literal["phone", "email", "letter", "portal", "chat", "branch", "api"] = "api"
    kind: Kind = "request"
    priority: Priority = "normal"
    subject: str = Field("", max_length=255)
    body: str = Field(..., min_length=1, max_length=100_000, description="Text or transcript")
    customer_id: int | None = Field(None, description="CKM id of the customer, if known")
    customer_external_id: str = Field("", max_length=64, description="The firm's customer id")
    sender_name: str = Field("", max_length=200)
    sender_email: str = Field("", max_length=254)
    sender_phone: str = Field("", max_length=40)
    product: str = Field("", max_length=64, description="Product id (products.csv)")
    office: str = Field("", max_length=32, description="Office code")
    external_id: str = Field("", max_length=100, description="Your id: repeats are idempotent")
    opened_at: dt.datetime | None = None


class CaseFilterIn(In):
    q: str = ""
    status: Literal[
        "",
        "open",
        "received",
        "acknowledged",
        "assigned",
        "in_progress",
        "resolved",
        "answered",
        "closed",
    ] = ""
    kind: Literal["", "request", "complaint", "idea"] = ""
    channel: Literal[
        "", "phone", "email", "letter", "portal", "chat", "branch", "api", "import"
    ] = ""
    queue_id: int | None = None
    assignee_id: int | None = None
    mine: bool = False
    customer_id: int | None = None
    product_id: int | None = None
    office_id: int | None = None
    category: str = ""
    unknown_contact: bool = False
    breached: bool = False
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None


def _detail(request: AuthedRequest, case_id: int) -> Case:
    return selectors.case_get(user=request.user, case_id=case_id)


@router.get("/cases", response=list[CaseOut], summary="Cases you may see, filtered, newest first")
@paginate(Pages, page_size=50)
def case_list(request: AuthedRequest, filters: Query[CaseFilterIn]) -> Any:
    return selectors.case_list(user=request.user, filters=selectors.CaseFilters(**filters.dict()))


@router.post(
    "/cases",
    response={201: CaseDetailOut, 200: CaseDetailOut},
    summary="Open a case (a letter, a chat transcript, a message from another system)",
)
def case_create(request: AuthedRequest, payload: CaseIn) -> Status[Case]:
    customer: Customer | None = None
    if payload.customer_id is not None:
        customer = customer_get(user=request.user, customer_id=payload.customer_id)
    product = None
    if payload.product:
        product = Product.objects.filter(external_id=payload.product).first()
        if product is None:
            raise ValidationError({"product": f"No product {payload.product!r}."})
    office = None
    if payload.office:
        office = Office.objects.filter(code=payload.office).first()
        if office is None:
            raise ValidationError({"office": f"No office {payload.office!r}."})
    # the same id as intake matches it with (trimmed), so a retry is answered 200 as such
    external_id = services.case_external_id(payload.external_id)
    existed = (
        bool(external_id)
        and Case.objects.filter(channel=payload.channel, external_id=external_id).exists()
    )
    case = services.case_intake(
        actor=request.user,
        channel=payload.channel,
        kind=payload.kind,
        priority=payload.priority,
        subject=payload.subject,
        body=payload.body,
        customer=customer,
        customer_external_id=payload.customer_external_id,
        sender_name=payload.sender_name,
        sender_email=payload.sender_email,
        sender_phone=payload.sender_phone,
        product=product,
        office=office,
        external_id=external_id,
        opened_at=payload.opened_at,
    )
    return Status(200 if existed else 201, _detail(request, case.pk))


@router.get("/cases/{int:case_id}", response=CaseDetailOut, summary="One case with its messages")
def case_get(request: AuthedRequest, case_id: int) -> Case:
    return _detail(request, case_id)


class TransitionIn(In):
    to_status: StatusName
    note: str = Field("", max_length=1000)
    resolution: str = Field("", max_length=10_000)
    answer: str = Field("", max_length=20_000)
    template_id: int | None = None


@router.post(
    "/cases/{int:case_id}/transition",
    response=CaseDetailOut,
    summary="Move a case along the workflow (409 when the step is not allowed)",
)
def case_transition(request: AuthedRequest, case_id: int, payload: TransitionIn) -> Any:
    services.case_transition(actor=request.user, case_id=case_id, **payload.dict())
    return _detail(request, case_id)


class ReopenIn(In):
    reason: str = Field("", max_length=500)


@router.post("/cases/{int:case_id}/reopen", response=CaseDetailOut, summary="Reopen a case")
def case_reopen(request: AuthedRequest, case_id: int, payload: ReopenIn) -> Any:
    services.case_reopen(actor=request.user, case_id=case_id, reason=payload.reason)
    return _detail(request, case_id)


@router.post(
    "/cases/{int:case_id}/classify",
    response=CaseDetailOut,
    summary="Ask the active classifier for product and issue (404 when none is trained)",
)
def case_classify(request: AuthedRequest, case_id: int) -> Any:
    services.case_classify(actor=request.user, case_id=case_id)
    return _detail(request, case_id)


class CorrectIn(In):
    product: str | None = Field(None, description="Product id")
    category: str | None = Field(None, max_length=120)
    kind: Kind | None = None
    priority: Priority | None = None


@router.post(
    "/cases/{int:case_id}/correct",
    response=CaseDetailOut,
    summary="Decide product, issue, kind or priority (corrections become training data)",
)
def case_correct(request: AuthedRequest, case_id: int, payload: CorrectIn) -> Any:
    product_id = None
    if payload.product is not None:
        product = Product.objects.filter(external_id=payload.product).first()
        if product is None:
            raise ValidationError({"product": f"No product {payload.product!r}."})
        product_id = product.pk
    services.case_correct(
        actor=request.user,
        case_id=case_id,
        product_id=product_id,
        category=payload.category,
        kind=payload.kind,
        priority=payload.priority,
    )
    return _detail(request, case_id)


class CaseCustomerLinkIn(In):
    customer_id: int


@router.post(
    "/cases/{int:case_id}/link",
    response=CaseDetailOut,
    summary="Link a case from an unknown contact to a customer",
)
def case_link(request: AuthedRequest, case_id: int, payload: CaseCustomerLinkIn) -> Any:
    services.case_link_customer(
        actor=request.user, case_id=case_id, customer_id=payload.customer_id
    )
    return _detail(request, case_id)


class ReplyIn(In):
    body: str = Field("", max_length=20_000)
    template_id: int | None = None
    internal: bool = False


@router.post(
    "/cases/{int:case_id}/reply", response=CaseDetailOut, summary="Reply or add an internal note"
)
def case_reply(request: AuthedRequest, case_id: int, payload: ReplyIn) -> Any:
    services.case_reply(actor=request.user, case_id=case_id, **payload.dict())
    return _detail(request, case_id)


class SatisfactionIn(In):
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


@router.post(
    "/cases/{int:case_id}/satisfaction",
    response=CaseDetailOut,
    summary="Record the customer's satisfaction after close",
)
def case_satisfaction(request: AuthedRequest, case_id: int, payload: SatisfactionIn) -> Any:
    services.case_satisfaction_record(
        actor=request.user, case_id=case_id, score=payload.score, comment=payload.comment
    )
    return _detail(request, case_id)


class ClassifierOut(Schema):
    id: int
    version: str
    status: str
    active: bool
    n_examples: int
    training_seconds: float
    metrics: dict[str, Any]
    created_at: dt.datetime
    message: str


@router.get(
    "/cases/classifier",
    response=list[ClassifierOut],
    summary="Classifier versions with their measured accuracy",
)
@paginate(Pages, page_size=25)
def classifier_list(request: AuthedRequest) -> Any:
    return selectors.classifier_versions(user=request.user)


@router.post(
    "/cases/classifier/train", response={202: JobOut}, summary="Retrain the case classifier now"
)
def classifier_train(request: AuthedRequest) -> Status[dict[str, Any]]:
    job = services.classifier_train_start(actor=request.user)
    job.refresh_from_db()
    return Status(202, job_answer(job))
