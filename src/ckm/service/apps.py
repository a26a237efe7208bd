from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "ckm.service"
    label = "service"
