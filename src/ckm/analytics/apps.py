from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ckm.analytics"
    label = "analytics"
