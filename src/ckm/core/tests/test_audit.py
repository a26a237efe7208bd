"""The audit log keeps a standard action for every entry, whatever an app calls its event."""


def test_an_apps_own_event_name_keeps_a_standard_action_and_leads_the_summary(db) -> None:
    from ckm.core.audit import audit_record
    from ckm.core.models import AuditEntry

    entry = audit_record(
        actor=None,
        action="feedback.insight_status_changed_by_reviewer",
        object_type="feedback.insight",
        object_id=7,
        summary="planned",
    )
    entry.refresh_from_db()
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.summary == "feedback.insight_status_changed_by_reviewer: planned"
    created = audit_record(
        actor=None, action="feedback.insight_created", object_type="x", object_id=1
    )
    assert (
        created.action == AuditEntry.Action.CREATE and created.summary == "feedback.insight_created"
    )
