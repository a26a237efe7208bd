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


def test_a_background_job_writes_in_the_name_of_who_asked_for_it(agent) -> None:
    from ckm.core.audit import audit_record
    from ckm.core.jobs import job_create, job_fail, job_finish, job_start

    job = job_create(kind="test", label="work", user=agent)
    job_start(job_id=job.pk)
    during = audit_record(actor=None, action="update", object_type="test.thing", summary="x")
    job_finish(job_id=job.pk)
    after = audit_record(actor=None, action="update", object_type="test.thing", summary="y")
    assert during.actor == agent and during.actor_label == f"{agent.username} (background job)"
    assert after.actor is None and after.actor_label == "system"
    # a scheduled job nobody asked for stays "system"; a failed one restores the context too
    job = job_create(kind="test", label="nightly")
    job_start(job_id=job.pk)
    assert audit_record(actor=None, action="update", object_type="t").actor_label == "system"
    job = job_create(kind="test", label="again", user=agent)
    job_start(job_id=job.pk)
    job_fail(job_id=job.pk, message="boom")
    assert audit_record(actor=None, action="update", object_type="t").actor_label == "system"
