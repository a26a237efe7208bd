from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "ckm.service"
    label = "service"
    verbose_name = "Service and complaints"

    def ready(self) -> None:
        from ckm.core.imports.registry import register_loader
        from ckm.service.loaders import LOADERS

        for loader in LOADERS:
            register_loader(loader)
