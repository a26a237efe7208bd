"""What each role may do, in one place.

A role grants Django permissions ("app_label.codename"); the RoleBackend adds them to every user of
the role, on top of any permissions an administrator grants in the admin site. To change a role's
grants without code, set CKM_ROLE_PERMISSIONS in settings (role -> list of permissions).
Record-level access (which customers a role sees) is CKM_CUSTOMER_SCOPE in settings.
"""

from __future__ import annotations

from django.conf import settings

from ckm.core.models import Role

_SERVICE = [
    "customers.view_customer",
    "customers.change_customer",
    "customers.view_contactpoint",
    "customers.add_contactpoint",
    "customers.change_contactpoint",
    "customers.view_product",
    "customers.view_holding",
    "customers.view_transaction",
    "customers.view_personalfact",
    "customers.add_personalfact",
    "customers.view_consent",
    "customers.change_consent",
    "customers.confirm_customer",
    "interactions.view_interaction",
    "interactions.add_interaction",
]

_KNOWLEDGE_READ = [
    "analytics.view_score",
    "analytics.view_customervalue",
]
_ANALYTICS_ALL = [
    *_KNOWLEDGE_READ,
    "analytics.view_prospects",
    "analytics.view_alert",
    "analytics.change_alert",
    "analytics.view_alertrule",
    "analytics.add_alertrule",
    "analytics.change_alertrule",
    "analytics.delete_alertrule",
    "analytics.view_segment",
    "analytics.add_segment",
    "analytics.change_segment",
    "analytics.delete_segment",
    "analytics.view_modelversion",
    "analytics.train_modelversion",
    "analytics.promote_modelversion",
    "analytics.change_value_settings",
]

# knowledge: everyone reads articles (and sees the portal as customers do); agents also vote
# and link articles as answers; knowledge editors write, approve and publish
_KB_VIEW = ["knowledge.view_article", "knowledge.view_category", "knowledge.use_portal"]
_KB_AGENT = [*_KB_VIEW, "knowledge.give_feedback"]
_KB_EDIT = [
    *_KB_AGENT,
    "knowledge.add_article",
    "knowledge.change_article",
    "knowledge.delete_article",
    "knowledge.publish_article",
    "knowledge.view_articleversion",
    "knowledge.add_category",
    "knowledge.change_category",
    "knowledge.view_articletemplate",
    "knowledge.add_articletemplate",
    "knowledge.change_articletemplate",
    "knowledge.view_searchquery",
    "knowledge.view_articlefeedback",
    "knowledge.view_articleevidence",
    "knowledge.view_suggestionmodel",
]

_CAMPAIGNS_WORK = [
    "campaigns.view_campaign",
    "campaigns.view_campaignmember",
    "campaigns.change_campaignmember",
]
_CAMPAIGNS_RUN = [
    *_CAMPAIGNS_WORK,
    "campaigns.add_campaign",
    "campaigns.change_campaign",
    "campaigns.launch_campaign",
    "campaigns.export_campaign",
    "campaigns.retrain_from_responses",
]

# feedback: agents read topics; editors handle knowledge gaps; product managers own insights
# (and contact customers who agreed to product development contact); managers read all
_FEEDBACK_TOPICS = ["feedback.view_topic", "feedback.view_topicalert"]
_FEEDBACK_TOPICS_WORK = [
    *_FEEDBACK_TOPICS,
    "feedback.change_topic",
    "feedback.change_topicalert",
    "feedback.refresh_topics",
]
_FEEDBACK_GAPS = ["feedback.view_knowledgegap", "feedback.change_knowledgegap"]
_FEEDBACK_INSIGHTS = [
    "feedback.view_insight",
    "feedback.add_insight",
    "feedback.change_insight",
    "feedback.delete_insight",
    "feedback.view_insightcontact",
    "feedback.change_insightcontact",
]
_FEEDBACK_READ_ALL = [
    *_FEEDBACK_TOPICS,
    "feedback.view_insight",
    "feedback.view_insightcontact",
    "feedback.view_knowledgegap",
]

# service: agents and RMs work cases (of customers they may see, unknown contacts, their queues);
# managers see every case, set up queues and SLAs and train the classifier; PMs and editors read
_CASES_READ = [
    "service.view_case",
    "service.view_all_cases",
    "service.view_casemessage",
    "service.view_classifiermodel",
]
_CASES_WORK = [
    "service.view_case",
    "service.add_case",
    "service.change_case",
    "service.view_casemessage",
    "service.view_queue",
    "service.view_replytemplate",
    "service.view_classifiermodel",
    "service.view_slapolicy",
    "service.view_businesscalendar",
]
_CASES_MANAGE = [
    *_CASES_WORK,
    "service.view_all_cases",
    "service.add_queue",
    "service.change_queue",
    "service.view_slapolicy",
    "service.add_slapolicy",
    "service.change_slapolicy",
    "service.view_businesscalendar",
    "service.change_businesscalendar",
    "service.add_replytemplate",
    "service.change_replytemplate",
    "service.train_classifiermodel",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # agents also call the lists of customers without a relationship manager (a campaign's pool)
    Role.AGENT: [
        *_SERVICE,
        *_KNOWLEDGE_READ,
        *_KB_AGENT,
        *_FEEDBACK_TOPICS,
        *_CASES_WORK,
        *_CAMPAIGNS_WORK,
    ],
    Role.RELATIONSHIP_MANAGER: [
        *_KB_VIEW,
        *_SERVICE,
        "customers.change_personalfact",
        "customers.delete_personalfact",
        "customers.view_customer_history",
        "customers.view_label",
        "customers.view_duplicatepair",
        "customers.merge_customer",
        *_KNOWLEDGE_READ,
        "analytics.view_prospects",
        "analytics.view_alert",
        "analytics.change_alert",
        "analytics.view_segment",
        *_CAMPAIGNS_WORK,
        *_CASES_WORK,
    ],
    Role.MARKETER: [
        *_KB_VIEW,
        "customers.view_customer",
        "customers.view_product",
        "customers.view_holding",
        "customers.view_transaction",
        "customers.view_consent",
        "customers.view_label",
        *_KNOWLEDGE_READ,
        "analytics.view_prospects",
        "analytics.view_segment",
        "analytics.add_segment",
        "analytics.change_segment",
        "analytics.delete_segment",
        "analytics.view_modelversion",
        "analytics.view_alert",
        *_CAMPAIGNS_RUN,
    ],
    Role.KNOWLEDGE_EDITOR: [
        *_KB_EDIT,
        "customers.view_product",
        *_FEEDBACK_TOPICS_WORK,
        *_FEEDBACK_GAPS,
        *_CASES_READ,
    ],
    Role.PRODUCT_MANAGER: [
        *_KB_VIEW,
        "customers.view_product",
        "customers.change_product",
        *_FEEDBACK_TOPICS_WORK,
        *_FEEDBACK_INSIGHTS,
        *_CASES_READ,
    ],
    Role.MANAGER: [
        *_KB_VIEW,
        *_SERVICE,
        "customers.change_personalfact",
        "customers.delete_personalfact",
        "customers.view_customer_history",
        "customers.reassign_customer",
        "customers.view_label",
        "customers.view_duplicatepair",
        "customers.merge_customer",
        "core.view_auditentry",
        "core.view_importrun",
        "core.view_team",
        "core.view_user",
        *_ANALYTICS_ALL,
        *_CAMPAIGNS_RUN,
        "campaigns.override_npv",
        *_FEEDBACK_READ_ALL,
        *_CASES_MANAGE,
        "performance.view_dashboard",
    ],
    # admin: every permission (see RoleBackend)
    Role.ADMIN: [],
}


def role_permissions(role: str) -> frozenset[str]:
    """The permissions a role grants (settings may override the defaults)."""
    overrides: dict[str, list[str]] = getattr(settings, "CKM_ROLE_PERMISSIONS", {})
    return frozenset(overrides.get(role, ROLE_PERMISSIONS.get(role, [])))


def roles_with(permission: str) -> list[str]:
    """The roles that grant a permission (the administrator's included)."""
    return [
        role for role in Role.values if role == Role.ADMIN or permission in role_permissions(role)
    ]
