"""Take the documentation's screenshots from the real pages of a running CKM with the demo bank.

    .venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out docs/img]

Each shot logs in as a demo user (password ckm-<username>) and opens one page."""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

# (file name, username, path or callable, full page)
SHOTS: list[tuple[str, str, str, bool]] = [
    ("start-rm.png", "rm", "/", False),
    ("customers.png", "agent", "/customers/", False),
    ("profile.png", "agent", "first-customer", False),
    ("imports.png", "admin", "/imports/", False),
    ("audit.png", "admin", "/audit/", False),
    ("segments.png", "marketer", "/analytics/segments/", False),
    ("knowledge-search.png", "agent", "/knowledge/?q=my+card+was+stolen", False),
    ("knowledge-overview.png", "editor", "/knowledge/overview/", False),
    ("knowledge-usage.png", "editor", "/knowledge/usage/", False),
    ("cases.png", "agent", "/cases/", False),
    ("case.png", "agent", "first-case", False),
    ("topics.png", "pm", "/feedback/topics/", False),
    ("insights.png", "pm", "/feedback/insights/", False),
    ("gaps.png", "editor", "first-gap", False),
    ("campaigns.png", "marketer", "/campaigns/", False),
    ("campaign.png", "marketer", "first-campaign", False),
    ("my-lists.png", "rm", "/campaigns/my-lists/?all=1", False),
    ("portal.png", "", "/portal/?q=lost+card", False),
    ("performance.png", "manager", "/performance/", True),
    ("loops.png", "manager", "/performance/loops/", True),
]

# pages reached by clicking the first link of a list: (list URL, link selector)
FIRST: dict[str, tuple[str, str]] = {
    "first-case": ("/cases/", "table tbody tr:first-child a"),
    "first-gap": ("/feedback/gaps/?state=closed", "main a[href*='/feedback/gaps/']:not([href$='/gaps/'])"),
    "first-campaign": ("/campaigns/", "table tbody tr:last-child a"),
}


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"ckm-{username}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, username, path, full in SHOTS:
            if args.only and args.only not in name:
                continue
            context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="en-GB")
            page = context.new_page()
            if username:  # the portal is public
                login(page, args.base, username)
            if path == "first-customer":
                page.goto(f"{args.base}/customers/?mine=")
                page.click("table tbody tr:nth-child(3) a")
            elif path in FIRST:
                listing, selector = FIRST[path]
                page.goto(f"{args.base}{listing}")
                page.click(selector)
            else:
                page.goto(f"{args.base}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(args.out / name), full_page=full)
            print("wrote", args.out / name)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
