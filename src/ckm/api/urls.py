"""The REST API, assembled from each app's router. Docs at /api/docs, schema at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI

from ckm.analytics.api import router as analytics_router
from ckm.api.auth import API_AUTH
from ckm.api.errors import install_error_handlers
from ckm.campaigns.api import router as campaigns_router
from ckm.core.api import router as core_router
from ckm.customers.api import router as customers_router
from ckm.feedback.api import router as feedback_router
from ckm.interactions.api import router as interactions_router
from ckm.knowledge.api import router as knowledge_router
from ckm.performance.api import router as performance_router
from ckm.service.api import router as service_router


class CkmAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        # the API authenticates every request itself (token or session); the site-wide login
        # redirect must not turn a 401 into an HTML login page
        for pattern in patterns:
            callback = getattr(pattern, "callback", None)
            if callback is not None:
                callback.login_required = False
        return patterns, app_name, namespace


api = CkmAPI(
    title="CKM API",
    version="1.0",
    description=(
        "The Customer Knowledge Manager's REST API. Authenticate with a personal token "
        "(`Authorization: Bearer ckm_...`, created on the API tokens page) or the browser session. "
        "Invalid input is answered with 4xx and field errors."
    ),
    auth=API_AUTH,
    docs_decorator=login_required,
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", customers_router)
api.add_router("/", interactions_router)
api.add_router("/", knowledge_router)
api.add_router("/", service_router)
api.add_router("/", analytics_router)
api.add_router("/", campaigns_router)
api.add_router("/", feedback_router)
api.add_router("/", performance_router)
