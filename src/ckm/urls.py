"""The URL map: every app's pages under its own prefix, the API under /api/."""

from django.contrib import admin
from django.urls import include, path

from ckm.api.urls import api
from ckm.core.views import LoginView, LogoutView

admin.site.site_header = "CKM administration"
admin.site.site_title = "CKM admin"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("", include("ckm.core.urls")),
    path("", include("ckm.desk.urls")),
    path("customers/", include("ckm.customers.urls")),
    path("interactions/", include("ckm.interactions.urls")),
    path("cases/", include("ckm.service.urls")),
    path("analytics/", include("ckm.analytics.urls")),
    path("knowledge/suggestions/", include("ckm.knowledge.suggestions.urls")),
    path("knowledge/", include("ckm.knowledge.urls")),
    path("portal/", include("ckm.portal.urls")),
    path("campaigns/", include("ckm.campaigns.urls")),
    path("feedback/", include("ckm.feedback.urls")),
    path("performance/", include("ckm.performance.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
