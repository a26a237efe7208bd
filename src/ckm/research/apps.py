from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "ckm.research"
    label = "research"
