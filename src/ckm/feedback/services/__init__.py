"""Writes of the feedback app (topics, alerts, insights, knowledge gaps). Import from here."""

from ckm.feedback.services.alerts import alert_update, alerts_detect
from ckm.feedback.services.discovery import (
    topic_rename,
    topics_refresh,
    topics_refresh_job,
    topics_refresh_start,
)
from ckm.feedback.services.gaps import (
    gap_dismiss,
    gap_draft_article,
    gap_link_article,
    gaps_close_published,
    gaps_detect,
)
from ckm.feedback.services.insights import (
    insight_contact_record,
    insight_contacts_refresh,
    insight_create,
    insight_from_case,
    insight_from_topic,
    insight_link,
    insight_status_set,
    insight_update,
    insight_volumes_refresh,
)

__all__ = [
    "alert_update",
    "alerts_detect",
    "gap_dismiss",
    "gap_draft_article",
    "gap_link_article",
    "gaps_close_published",
    "gaps_detect",
    "insight_contact_record",
    "insight_contacts_refresh",
    "insight_create",
    "insight_from_case",
    "insight_from_topic",
    "insight_link",
    "insight_status_set",
    "insight_update",
    "insight_volumes_refresh",
    "topic_rename",
    "topics_refresh",
    "topics_refresh_job",
    "topics_refresh_start",
]
