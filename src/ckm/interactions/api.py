"""API of the contact history: list with filters, and log a contact (idempotent by external_id)."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ckm.core.apikit import In, Pages
from ckm.core.http import AuthedRequest
from ckm.interactions.models import Interaction
from ckm.interactions.selectors import InteractionFilters, interaction_list
from ckm.interactions.services import interaction_log

router = Router(tags=["interactions"])

ChannelName = Literal[
    "phone", "email", "letter", "web", "chat", "branch", "field", "sms", "social", "note"
]


class InteractionOut(Schema):
    id: int
    external_id: str
    customer_id: int
    occurred_at: dt.datetime
    channel: str
    direction: str
    office: str | None
    subject: str
    text: str
    outcome: str
    recorded_by: str | None

    @staticmethod
    def resolve_office(i: Interaction) -> str | None:
        return i.office.code if i.office_id and i.office else None

    @staticmethod
    def resolve_recorded_by(i: Interaction) -> str | None:
        return i.recorded_by.username if i.recorded_by_id and i.recorded_by else None


class InteractionFilterIn(In):
    customer_id: int | None = None
    channel: ChannelName | Literal[""] = ""
    office_id: int | None = None
    since: dt.datetime | None = None
    before: dt.datetime | None = None


class InteractionIn(In):
    customer_id: int
    channel: ChannelName
    direction: Literal["inbound", "outbound", "internal"] = "inbound"
    subject: str = Field("", max_length=255)
    text: str = Field("", max_length=100_000)
    outcome: str = Field("", max_length=60)
    occurred_at: dt.datetime | None = None
    external_id: str = Field(
        "", max_length=64, description="Your id: sending it again returns the same record"
    )


@router.get("/interactions", response=list[InteractionOut], summary="Contact history, newest first")
@paginate(Pages)
def list_interactions(request: AuthedRequest, filters: Query[InteractionFilterIn]) -> Any:
    return interaction_list(user=request.user, filters=InteractionFilters(**filters.dict()))


@router.post(
    "/interactions", response={201: InteractionOut, 200: InteractionOut}, summary="Log a contact"
)
def log_interaction(request: AuthedRequest, payload: InteractionIn) -> Status[Interaction]:
    # a retry (the same external_id, trimmed as the service trims it) is answered 200 as such
    external_id = payload.external_id.strip()
    existed = bool(external_id) and Interaction.objects.filter(external_id=external_id).exists()
    interaction = interaction_log(actor=request.user, **payload.dict())
    return Status(200 if existed else 201, interaction)
