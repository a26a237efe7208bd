from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ckm.api"
    label = "api"
