from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ckm.demo"
    label = "demo"
