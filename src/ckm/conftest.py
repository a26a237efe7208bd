"""Fixtures shared by every app's tests: users per role, teams, customers, a logged-in client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ckm.core.models import Role, User
from ckm.core.tests.factories import OfficeFactory, TeamFactory, UserFactory
from ckm.customers.tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Each test starts with an empty cache (the portal throttle, the dashboards' figures): the
    process-local cache would otherwise carry one test's entries, keyed by reused ids, into
    the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team_north(db: Any) -> Any:
    return TeamFactory(name="North")


@pytest.fixture
def team_south(db: Any) -> Any:
    return TeamFactory(name="South")


@pytest.fixture
def office(db: Any) -> Any:
    return OfficeFactory(code="CC-BER", name="Contact centre Berlin", kind="contact_centre")


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: str = Role.AGENT, **kwargs: Any) -> User:
        return UserFactory(role=role, **kwargs)  # type: ignore[no-any-return]

    return make


@pytest.fixture
def agent(make_user: Callable[..., User], office: Any) -> User:
    return make_user(Role.AGENT, username="agent", office=office)


@pytest.fixture
def rm(make_user: Callable[..., User], team_north: Any) -> User:
    return make_user(Role.RELATIONSHIP_MANAGER, username="rm", team=team_north)


@pytest.fixture
def rm_south(make_user: Callable[..., User], team_south: Any) -> User:
    return make_user(Role.RELATIONSHIP_MANAGER, username="rm_south", team=team_south)


@pytest.fixture
def manager(make_user: Callable[..., User], team_north: Any) -> User:
    user = make_user(Role.MANAGER, username="manager", team=team_north)
    team_north.manager = user
    team_north.save()
    return user


@pytest.fixture
def marketer(make_user: Callable[..., User]) -> User:
    return make_user(Role.MARKETER, username="marketer")


@pytest.fixture
def editor(make_user: Callable[..., User]) -> User:
    return make_user(Role.KNOWLEDGE_EDITOR, username="editor")


@pytest.fixture
def product_manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRODUCT_MANAGER, username="pm")


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, username="admin", is_staff=True)


@pytest.fixture
def north_customer(rm: User, team_north: Any) -> Any:
    return CustomerFactory(first_name="Anna", last_name="Schmidt", owner=rm, team=team_north)


@pytest.fixture
def south_customer(rm_south: User, team_south: Any) -> Any:
    return CustomerFactory(first_name="Bernd", last_name="Südmann", owner=rm_south, team=team_south)


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def as_user(user: User) -> Client:
        client.force_login(user)
        return client

    return as_user


# --- browser tests (pytest -m browser): Playwright driving Debian's Chromium --------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium() -> Any:
    import os

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Any:
    """A fresh browser page; `page.base` is the live server's URL."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    browser_page = context.new_page()
    browser_page.set_default_timeout(10_000)
    browser_page.base = live_server.url
    yield browser_page
    context.close()


@pytest.fixture
def browser_login(page: Any) -> Callable[[str, str], Any]:
    """Log in through the login page as a user whose password is the factory's default."""

    def as_user(username: str, password: str = "pw-test-123") -> Any:
        page.goto(f"{page.base}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{page.base}/")
        return page

    return as_user
