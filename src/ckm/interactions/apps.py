from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "ckm.interactions"
    label = "interactions"
    verbose_name = "Interactions"

    def ready(self) -> None:
        from ckm.core.imports.registry import register_loader
        from ckm.interactions.loaders import InteractionLoader

        register_loader(InteractionLoader())
