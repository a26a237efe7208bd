from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "ckm.sales"
    label = "sales"
