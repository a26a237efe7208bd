from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ckm.core"
    label = "core"
    verbose_name = "Core"
