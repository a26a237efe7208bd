from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ckm.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from ckm.core.imports.registry import register_loader
        from ckm.customers import loaders

        for loader in loaders.LOADERS:
            register_loader(loader)
