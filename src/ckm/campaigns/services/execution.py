"""Running a campaign: the NPV gate, launch (lists to relationship managers or a pool, every
contact on the customer's timeline), outcomes from the list, the API or an import, conversions
detected from new holdings and transactions, closing."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.campaigns.models import Campaign, CampaignMember
from ckm.campaigns.services.loop import label_write
from ckm.campaigns.services.planning import nobody_to_call
from ckm.core.audit import audit_record
from ckm.core.errors import ConflictError, DomainError, NotFound, ValidationError
from ckm.core.imports.engine import load_file
from ckm.core.imports.registry import LoadContext
from ckm.core.models import AuditEntry
from ckm.core.permissions import require_perm
from ckm.customers.models import Holding, Label, Transaction
from ckm.customers.selectors import customer_queryset
from ckm.customers.services import customer_event_record

CONTACTED_OUTCOMES = {
    CampaignMember.Outcome.REACHED,
    CampaignMember.Outcome.INTERESTED,
    CampaignMember.Outcome.CONVERTED,
    CampaignMember.Outcome.DECLINED,
}
RESPONDED_OUTCOMES = {CampaignMember.Outcome.INTERESTED, CampaignMember.Outcome.CONVERTED}


class GateError(ConflictError):
    """The campaign's expected NPV is negative and nobody with the right has overridden it."""


def _campaign_for_update(campaign_id: int) -> Campaign:
    campaign = (
        Campaign.objects.select_for_update()
        .select_related("product")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


@transaction.atomic
def campaign_approve(*, actor: Any, campaign_id: int) -> Campaign:
    """Fix the target list of a planned draft (a manager's sign-off before launch)."""
    require_perm(actor, "campaigns.launch_campaign")
    campaign = _campaign_for_update(campaign_id)
    if campaign.status != Campaign.Status.DRAFT:
        raise ConflictError("Only a draft campaign can be approved.")
    if campaign.planned_at is None:
        raise ConflictError("Build the target list first.")
    campaign.status = Campaign.Status.APPROVED
    campaign.approved_by = actor
    campaign.approved_at = timezone.now()
    campaign.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=campaign, summary="approved")
    return campaign


OVERRIDE_REASON_MIN = 12
"""The fewest characters of a reason to launch a campaign with a negative expected NPV."""


@transaction.atomic
def campaign_launch(*, actor: Any, campaign_id: int, override_reason: str = "") -> Campaign:
    """Launch a planned campaign. The gate: a negative expected NPV stops the launch unless a
    user with the override right records a reason. Target members are assigned to their
    customer's relationship manager (or the campaign's pool); sent channels count as contacted
    now; every contact goes on the customer's timeline."""
    require_perm(actor, "campaigns.launch_campaign")
    campaign = _campaign_for_update(campaign_id)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.APPROVED):
        raise ConflictError(f"The campaign is {campaign.get_status_display().lower()} already.")
    if campaign.planned_at is None:
        raise ConflictError("Build the target list first.")
    if campaign.ends_on < timezone.localdate():
        # contacts made now would fall outside the campaign's dates, and outside its results
        raise ConflictError(
            f"The campaign ended on {campaign.ends_on:%Y-%m-%d}: move its end date to today or "
            "later to launch it.",
            field="ends_on",
        )
    reason = override_reason.strip()
    if (campaign.expected_npv or 0) < 0:
        may_override = actor is None or actor.has_perm("campaigns.override_npv")
        if not reason and not may_override:
            raise GateError(
                f"Expected NPV is negative ({campaign.expected_npv:,.0f}): the campaign cannot "
                "launch without a manager's recorded override."
            )
        require_perm(actor, "campaigns.override_npv")
        if len(reason) < OVERRIDE_REASON_MIN:
            # the reason is the record of a decision to spend more than the list earns
            raise ValidationError(
                {"override_reason": "Say in a sentence why the campaign should run anyway."}
            )
        campaign.override_by = actor
        campaign.override_at = timezone.now()
        campaign.override_reason = reason[:500]
    now = timezone.now()
    sent = not campaign.uses_lists
    targets = list(
        CampaignMember.objects.filter(campaign=campaign, group=CampaignMember.Group.TARGET)
        .select_related("customer", "customer__owner")
        .order_by("id")
    )
    if not targets:
        raise ConflictError("The target list is empty.")
    if unworked := nobody_to_call(campaign, [m.customer_id for m in targets]):
        raise ValidationError({"pool": unworked})
    for member in targets:
        owner = member.customer.owner
        if owner is not None and owner.is_active:
            member.assigned_to = owner
        else:
            member.pool = campaign.pool
        if sent:
            member.contacted_at = now
    CampaignMember.objects.bulk_update(
        targets, ["assigned_to", "pool", "contacted_at"], batch_size=2000
    )
    verb = {
        Campaign.Channel.RM_CALL: "to call",
        Campaign.Channel.EMAIL: "e-mail",
        Campaign.Channel.LETTER: "letter",
        Campaign.Channel.PORTAL_BANNER: "portal banner",
    }[Campaign.Channel(campaign.channel)]
    for member in targets:
        customer_event_record(
            customer_id=member.customer_id,
            kind="campaign_contact" if sent else "campaign_assigned",
            summary=f"Campaign '{campaign.name}' ({campaign.product.name}): {verb}",
            actor=actor,
            occurred_at=now,
            source="campaigns",
            payload={"campaign": campaign.pk, "member": member.pk},
        )
    campaign.status = Campaign.Status.LAUNCHED
    campaign.launched_by = actor
    campaign.launched_at = now
    campaign.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=campaign,
        summary=(
            f"launched to {len(targets)} customers"
            + (f"; negative NPV overridden: {reason}" if campaign.override_reason else "")
        ),
    )
    return campaign


def _member_for_update(*, actor: Any, member_id: int) -> CampaignMember:
    member = (
        CampaignMember.objects.select_for_update()
        .select_related("campaign", "campaign__product")
        .filter(pk=member_id, customer__in=customer_queryset(user=actor))
        .first()
    )
    if member is None:
        raise NotFound("No such campaign member.")
    return member


@transaction.atomic
def member_outcome_record(
    *,
    actor: Any,
    member_id: int,
    outcome: str,
    source: str = CampaignMember.Source.UI,
    occurred_at: dt.datetime | None = None,
) -> CampaignMember:
    """Record what happened with a member (reached, not reached, interested, converted,
    declined): on the member, on the customer's timeline, and - converted or declined - as a
    training label for the product's propensity model."""
    require_perm(actor, "campaigns.change_campaignmember")
    if outcome not in CampaignMember.Outcome.values or not outcome:
        raise ValidationError(
            {"outcome": f"Choose one of {', '.join(CampaignMember.Outcome.values[1:])}."}
        )
    if source not in CampaignMember.Source.values:
        raise ValidationError({"source": "Unknown source."})
    member = _member_for_update(actor=actor, member_id=member_id)
    if occurred_at is not None:
        occurred_at = _plausible_moment(occurred_at, member.campaign)
    return _apply_outcome(member, outcome=outcome, source=source, actor=actor, at=occurred_at)


def _plausible_moment(at: dt.datetime, campaign: Campaign) -> dt.datetime:
    """When an outcome happened, as given: not in the future and not before the campaign started
    (as the responses import checks)."""
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "An outcome cannot be in the future."})
    if timezone.localtime(at).date() < campaign.first_day:
        raise ValidationError(
            {
                "occurred_at": "An outcome cannot be before the campaign started "
                f"({campaign.first_day.isoformat()})."
            }
        )
    return at


def _apply_outcome(
    member: CampaignMember,
    *,
    outcome: str,
    source: str,
    actor: Any,
    at: dt.datetime | None,
) -> CampaignMember:
    campaign = member.campaign
    if campaign.status not in (Campaign.Status.LAUNCHED, Campaign.Status.CLOSED):
        raise ConflictError("Outcomes are recorded once the campaign is launched.")
    if member.group == CampaignMember.Group.CONTROL and outcome != CampaignMember.Outcome.CONVERTED:
        raise ConflictError("Control-group customers are not contacted.")
    moment = at or timezone.now()
    before, before_source = member.outcome, member.source
    before_converted_at = member.converted_at
    member.outcome = outcome
    member.outcome_at = moment
    member.outcome_by = actor if actor is not None and actor.is_authenticated else None
    member.source = source
    member.responded = outcome in RESPONDED_OUTCOMES or member.responded
    if outcome == CampaignMember.Outcome.CONVERTED:
        member.converted = True
        if at is not None or member.converted_at is None:
            # a moment given corrects the day of a conversion recorded before
            # the local day: 00:30 in Berlin is still the day before in UTC
            member.converted_at = timezone.localdate(moment)
    elif (
        before == CampaignMember.Outcome.CONVERTED
        and before_source != CampaignMember.Source.DETECTED
    ):
        # a correction ("converted" was clicked by mistake); a detected holding is not undone
        member.converted = False
        member.converted_at = None
        member.responded = outcome in RESPONDED_OUTCOMES
    if (
        outcome in CONTACTED_OUTCOMES
        and member.contacted_at is None
        and member.group == CampaignMember.Group.TARGET
    ):
        member.contacted_at = moment
    member.save()
    if member.group == CampaignMember.Group.TARGET:
        customer_event_record(
            customer_id=member.customer_id,
            kind="campaign_outcome",
            summary=f"Campaign '{campaign.name}': {member.get_outcome_display().lower()}",
            actor=actor,
            occurred_at=moment,
            source="campaigns",
            payload={"campaign": campaign.pk, "member": member.pk, "outcome": outcome},
        )
        if outcome in (CampaignMember.Outcome.CONVERTED, CampaignMember.Outcome.DECLINED):
            label_write(member)
        if campaign.objective == Campaign.Objective.RETENTION and outcome in CONTACTED_OUTCOMES:
            _retention_alerts_contacted(member, actor=actor)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=member,
        customer_id=member.customer_id,
        before={"outcome": before, "converted_at": before_converted_at},
        after={"outcome": outcome, "source": source, "converted_at": member.converted_at},
    )
    return member


def _retention_alerts_contacted(member: CampaignMember, *, actor: Any) -> None:
    """A retention campaign's contact handles the customer's new early-warning alerts."""
    from ckm.analytics.models import Alert
    from ckm.analytics.services import alert_update

    if actor is None or not actor.has_perm("analytics.change_alert"):
        return
    for alert_id in Alert.objects.filter(
        customer_id=member.customer_id, status=Alert.Status.NEW
    ).values_list("pk", flat=True):
        alert_update(
            actor=actor,
            alert_id=alert_id,
            status=Alert.Status.CONTACTED,
            note=f"Campaign '{member.campaign.name}': {member.get_outcome_display().lower()}",
        )


@transaction.atomic
def member_outcome_by_customer(
    *,
    actor: Any,
    campaign_id: int,
    customer_external_id: str,
    outcome: str,
    source: str = CampaignMember.Source.API,
    occurred_at: dt.datetime | None = None,
) -> CampaignMember:
    """Record an outcome for the member who is this customer (the API and imports)."""
    require_perm(actor, "campaigns.change_campaignmember")
    member = (
        CampaignMember.objects.filter(
            campaign_id=campaign_id,
            customer__external_id=customer_external_id,
            customer__in=customer_queryset(user=actor),
        )
        .values_list("pk", flat=True)
        .first()
    )
    if member is None:
        raise NotFound("This customer is not a member of the campaign.")
    return member_outcome_record(
        actor=actor, member_id=member, outcome=outcome, source=source, occurred_at=occurred_at
    )


def responses_import(*, actor: Any, campaign_id: int, data: bytes) -> int:
    """A responses file of one campaign (customer_id, outcome[, occurred_at]) from its page,
    through the import engine and the package's campaign_responses.csv loader: all or nothing,
    every bad row reported as "line N, column: reason". Returns the outcomes recorded."""
    from ckm.campaigns.loaders import CampaignResponseLoader

    require_perm(actor, "campaigns.change_campaignmember")
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("No such campaign.")
    if campaign.status not in (Campaign.Status.LAUNCHED, Campaign.Status.CLOSED):
        raise ConflictError("Outcomes are recorded once the campaign is launched.")
    loader = CampaignResponseLoader()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / loader.filename
        path.write_bytes(data)
        ctx = LoadContext(
            run_id=0,
            user=actor,
            as_of=timezone.localdate(),
            manifest={"campaign_id": campaign.pk},
        )
        report = load_file(loader, path, ctx)
    if report.status != "loaded":
        raise ValidationError(
            {
                "file": [
                    f"line {i.line}, {i.column}: {i.reason}"
                    if i.column
                    else f"line {i.line}: {i.reason}"
                    for i in report.issues
                ]
            }
        )
    return report.updated


def conversions_detect(*, campaign_id: int, until: dt.date | None = None, actor: Any = None) -> int:
    """Mark members (target and control alike) who opened the campaign's product, or booked a
    transaction on it, after the campaign started: the conversion the control group measures.
    One audit entry names the members marked (actor None: after an import). Returns how many
    members were newly marked."""
    campaign = Campaign.objects.select_related("product").filter(pk=campaign_id).first()
    if campaign is None or campaign.launched_at is None:
        return 0
    start = campaign.first_day
    end = until or (campaign.ends_on + dt.timedelta(days=30))
    open_members = CampaignMember.objects.filter(campaign=campaign, converted=False)
    ids = list(open_members.values_list("customer_id", flat=True))
    if not ids:
        return 0
    first: dict[int, dt.date] = {}
    for start_at in range(0, len(ids), 5000):
        chunk = ids[start_at : start_at + 5000]
        for customer_id, opened in Holding.objects.filter(
            customer_id__in=chunk,
            product_id=campaign.product_id,
            opened__gte=start,
            opened__lte=end,
        ).values_list("customer_id", "opened"):
            if customer_id not in first or opened < first[customer_id]:
                first[customer_id] = opened
        for customer_id, booked in Transaction.objects.filter(
            customer_id__in=chunk,
            product_id=campaign.product_id,
            booked_at__date__gte=start,
            booked_at__date__lte=end,
        ).values_list("customer_id", "booked_at"):
            # the local day, as the __date filter above reads it (not the UTC day)
            day = timezone.localdate(booked)
            if customer_id not in first or day < first[customer_id]:
                first[customer_id] = day
    if not first:
        return 0
    marked: list[int] = []
    with transaction.atomic():
        for member in open_members.filter(customer_id__in=list(first)).select_for_update():
            member.converted = True
            member.converted_at = first[member.customer_id]
            if member.group == CampaignMember.Group.TARGET and member.outcome in (
                "",
                CampaignMember.Outcome.REACHED,
                CampaignMember.Outcome.NOT_REACHED,
                CampaignMember.Outcome.INTERESTED,
            ):
                member.outcome = CampaignMember.Outcome.CONVERTED
                member.outcome_at = timezone.now()
                member.source = CampaignMember.Source.DETECTED
                member.responded = True
            member.save()
            if member.group == CampaignMember.Group.TARGET:
                label_write(member)
            marked.append(member.pk)
        audit_record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=campaign,
            summary=f"{len(marked)} conversion(s) detected in holdings and transactions",
            after={"converted_members": marked},
        )
    return len(marked)


RESPONSE_LABELS = {"responded": CampaignMember.Outcome.INTERESTED, "converted": "converted"}


def labels_match(*, campaign_id: int) -> int:
    """Outcomes from labels.csv: a `responded` or `converted` label dated within the campaign
    (up to 30 days after its end) of a target member who has no outcome yet becomes that
    member's outcome (a negative value: declined). Returns how many members were updated."""
    campaign = Campaign.objects.select_related("product").filter(pk=campaign_id).first()
    if campaign is None or campaign.launched_at is None:
        return 0
    start = campaign.first_day
    open_members = {
        m.customer_id: m
        for m in CampaignMember.objects.filter(
            campaign=campaign, group=CampaignMember.Group.TARGET, outcome=""
        ).select_related("campaign", "campaign__product")
    }
    if not open_members:
        return 0
    labels = (
        Label.objects.filter(
            name__in=list(RESPONSE_LABELS),
            as_of__gte=start,
            as_of__lte=campaign.ends_on + dt.timedelta(days=30),
            customer_id__in=list(open_members),
        )
        .order_by("as_of")
        .values_list("customer_id", "name", "value", "value_number", "as_of")
    )
    updated = 0
    for customer_id, name, value, number, as_of in labels:
        member = open_members.pop(customer_id, None)
        if member is None:
            continue
        positive = (number or 0) >= 0.5 if number is not None else value.lower() in POSITIVE
        outcome = RESPONSE_LABELS[name] if positive else CampaignMember.Outcome.DECLINED
        with transaction.atomic():
            _apply_outcome(
                member,
                outcome=outcome,
                source=CampaignMember.Source.IMPORT,
                actor=None,
                at=timezone.make_aware(dt.datetime.combine(as_of, dt.time(12))),
            )
        updated += 1
    return updated


POSITIVE = {"1", "1.0", "yes", "true", "y", "t", "responded", "converted"}


def conversions_detect_all(*, run_id: int | None = None) -> int:
    """After an import: conversions in new holdings and transactions, and responses in new
    labels, for every launched campaign."""
    total = 0
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.LAUNCHED).values_list(
        "pk", flat=True
    ):
        total += conversions_detect(campaign_id=campaign_id)
        total += labels_match(campaign_id=campaign_id)
    return total


@transaction.atomic
def campaign_close(*, actor: Any, campaign_id: int) -> Campaign:
    """Close a launched campaign: detect conversions a last time, and record every contacted
    target member who did not convert as a negative training label."""
    require_perm(actor, "campaigns.launch_campaign")
    campaign = _campaign_for_update(campaign_id)
    if campaign.status != Campaign.Status.LAUNCHED:
        raise ConflictError("Only a launched campaign can be closed.")
    conversions_detect(campaign_id=campaign.pk)
    for member in CampaignMember.objects.filter(
        campaign=campaign,
        group=CampaignMember.Group.TARGET,
        converted=False,
        label_at__isnull=True,
    ).select_related("campaign", "campaign__product"):
        if member.outcome or member.contacted_at is not None:
            label_write(member)
    campaign.status = Campaign.Status.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=campaign, summary="closed")
    return campaign


def channel_error(campaign: Campaign) -> None:
    """Lists are exported only for the sent channels."""
    if campaign.channel not in (Campaign.Channel.EMAIL, Campaign.Channel.LETTER):
        raise DomainError("Only e-mail and letter campaigns export a mailing list.")
