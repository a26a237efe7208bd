"""The main navigation: which pages each user sees, by permission. Items whose URL does not exist
(an app not built yet) are left out, so apps add their entries here without breaking others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str | None
    section: str
    icon: str = ""
    # dotted path of a function(user) -> int shown as a badge (e.g. new alerts); imported when
    # drawn, so core does not import the app that provides it
    count: str = ""


NAV: list[NavItem] = [
    NavItem("Start", "desk:home", None, "Work", "home"),
    NavItem("Customers", "desk:customer_list", "customers.view_customer", "Work", "users"),
    NavItem(
        "Duplicates",
        "customers:duplicates",
        "customers.view_duplicatepair",
        "Work",
        "users",
        count="ckm.customers.selectors.duplicate_count_open",
    ),
    NavItem(
        "Cases",
        "service:case_list",
        "service.view_case",
        "Work",
        "inbox",
        count="ckm.service.selectors.my_open_case_count",
    ),
    NavItem(
        "My target lists", "campaigns:my_lists", "campaigns.view_campaignmember", "Work", "target"
    ),
    NavItem("Knowledge", "knowledge:search", "knowledge.view_article", "Knowledge", "book"),
    NavItem(
        "Editors' overview", "knowledge:overview", "knowledge.change_article", "Knowledge", "edit"
    ),
    NavItem(
        "Topics & trends",
        "feedback:topics",
        "feedback.view_topic",
        "Knowledge",
        "trend",
        count="ckm.feedback.selectors.alert_count_new",
    ),
    NavItem("Product insights", "feedback:insights", "feedback.view_insight", "Knowledge", "bulb"),
    NavItem("Knowledge gaps", "feedback:gaps", "feedback.change_knowledgegap", "Knowledge", "edit"),
    NavItem("Segments", "analytics:segments", "analytics.view_segment", "Analysis", "pie"),
    NavItem("Models", "analytics:models", "analytics.view_modelversion", "Analysis", "chip"),
    NavItem(
        "Retention alerts",
        "analytics:alerts",
        "analytics.view_alert",
        "Analysis",
        "bell",
        count="ckm.analytics.selectors.alert_count_new",
    ),
    NavItem(
        "Best prospects", "analytics:prospects", "analytics.view_prospects", "Analysis", "star"
    ),
    NavItem("Campaigns", "campaigns:list", "campaigns.view_campaign", "Analysis", "megaphone"),
    NavItem("Leads", "sales:leads", "sales.view_lead", "Analysis", "funnel"),
    NavItem("Surveys", "research:surveys", "research.view_survey", "Analysis", "chat"),
    NavItem(
        "Performance", "performance:dashboard", "performance.view_dashboard", "Management", "chart"
    ),
    NavItem("Service settings", "service:settings", "service.change_queue", "Management", "cog"),
    NavItem("Imports", "core:import_list", "core.view_importrun", "Administration", "upload"),
    NavItem("Audit log", "core:audit_list", "core.view_auditentry", "Administration", "shield"),
    NavItem("Admin site", "admin:index", "core.change_user", "Administration", "cog"),
]


def navigation_for(user: Any, current_path: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Sections of navigation items the user may open, with the current one marked: the item
    whose URL is the longest prefix of the path (/cases/settings/ is not also /cases/)."""
    sections: dict[str, list[dict[str, Any]]] = {}
    entries: list[dict[str, Any]] = []
    for item in NAV:
        if item.perm and not user.has_perm(item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        count = import_string(item.count)(user) if item.count else 0
        entry = {
            "label": item.label,
            "url": url,
            "active": False,
            "icon": item.icon,
            "count": count,
        }
        entries.append(entry)
        sections.setdefault(item.section, []).append(entry)
    matching = [
        e
        for e in entries
        if (current_path == e["url"] if e["url"] == "/" else current_path.startswith(e["url"]))
    ]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    return list(sections.items())
