from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "ckm.desk"
    label = "desk"
