from django.urls import path

from ckm.performance import views

app_name = "performance"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("loops/", views.loops, name="loops"),
]
