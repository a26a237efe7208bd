from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ckm.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from ckm.core import signals  # noqa: F401  (connects the audit of sign-ins)
