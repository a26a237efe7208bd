from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "ckm.feedback"
    label = "feedback"

    def ready(self) -> None:
        from ckm.core.imports.registry import register_after_import
        from ckm.feedback.tasks import topics_after_import

        register_after_import(topics_after_import)
