from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ckm.analytics"
    label = "analytics"

    def ready(self) -> None:
        from ckm.analytics.tasks import alerts_after_import
        from ckm.core.imports.registry import register_after_import

        register_after_import(alerts_after_import)
