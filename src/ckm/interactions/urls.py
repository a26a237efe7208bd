from django.urls import path

from ckm.interactions import views

app_name = "interactions"

urlpatterns = [
    path("log/<int:customer_id>/", views.log, name="log"),
]
