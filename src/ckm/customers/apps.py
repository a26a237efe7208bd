from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ckm.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from ckm.core.imports.registry import register_loader
        from ckm.core.permissions import register_customer_scope
        from ckm.customers import loaders
        from ckm.customers.selectors import customer_refs_in_scope

        for loader in loaders.LOADERS:
            register_loader(loader)
        register_customer_scope(customer_refs_in_scope)
