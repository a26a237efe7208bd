from django.urls import path

from ckm.knowledge.suggestions import views

app_name = "suggestions"

urlpatterns = [
    path("panel/", views.panel, name="panel"),
    path("use/", views.use, name="use"),
]
