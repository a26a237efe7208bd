from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ckm.portal"
    label = "portal"
