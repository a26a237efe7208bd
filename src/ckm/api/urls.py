"""The REST API, assembled from each app's router. Docs at /api/docs, schema at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaError
from ninja.operation import PathView
from ninja.parser import Parser

from ckm.analytics.api import router as analytics_router
from ckm.api.auth import API_AUTH, docs_access
from ckm.api.errors import install_error_handlers
from ckm.campaigns.api import router as campaigns_router
from ckm.core.api import router as core_router
from ckm.customers.api import router as customers_router
from ckm.feedback.api import router as feedback_router
from ckm.interactions.api import router as interactions_router
from ckm.knowledge.api import router as knowledge_router
from ckm.performance.api import router as performance_router
from ckm.service.api import router as service_router


def _query_names(request: HttpRequest) -> set[str] | None:
    """The query parameters the operation answering this request declares, or None when it
    cannot be told (then nothing is refused). ninja's view is a closure over its PathView."""
    func = getattr(getattr(request, "resolver_match", None), "func", None)
    for cell in getattr(func, "__closure__", None) or ():
        path_view = cell.cell_contents
        if isinstance(path_view, PathView):
            operation = path_view._find_operation(request)
            if operation is None:
                return None
            return {
                name
                for model in operation.models
                if model.__ninja_param_source__ == "query"
                for name in getattr(model, "__ninja_flatten_map__", {}) or {}
            }
    return None


class ObjectParser(Parser):
    """Every request body is a JSON object: a bare string, number, list or null is refused
    (400, with the reason) instead of being read as an object with no fields."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object ({...})")
        return data


# every operation may answer these, always as {"detail": "...", "errors": {field: [reasons]}}
ERROR_RESPONSES = {
    "400": "A value a business rule refuses (field errors in `errors`)",
    "401": "No valid token or session",
    "403": "Your role or the record's owner does not allow it",
    "404": "No such record, or not one you may see",
    "409": "The change conflicts with the record's state or another record",
    "422": "The request does not match the schema (field errors in `errors`)",
}
BODY_NOT_JSON = "The body is not sent as application/json (a form, text)"
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "What went wrong, in a sentence"},
        "errors": {
            "type": "object",
            "title": "Reasons per field (`__all__`: the request as a whole)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "errors"],
}


class CkmAPI(NinjaAPI):
    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        """Every operation passes here once the caller is known, before it reads its
        parameters: a query parameter the operation does not know is refused (422), as a
        misspelt filter would otherwise be dropped and the whole list answered."""
        known = _query_names(request)
        unknown = sorted(set(request.GET.keys()) - known) if known is not None else []
        if unknown:
            raise SchemaError(
                [
                    {
                        "loc": ("query", name),
                        "msg": "Unknown query parameter: this operation does not take it.",
                        "type": "extra_forbidden",
                    }
                    for name in unknown
                ]
            )
        return super().create_temporal_response(request)

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The schema with the error answers every operation may give, in their one shape."""
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code, words in ERROR_RESPONSES.items():
                    responses.setdefault(code, {"description": words, "content": body})
                if "requestBody" in operation:
                    responses.setdefault("415", {"description": BODY_NOT_JSON, "content": body})
        return schema

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
    docs_decorator=docs_access,
    urls_namespace="api",
    parser=ObjectParser(),
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
