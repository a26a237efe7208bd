from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "ckm.performance"
    label = "performance"
