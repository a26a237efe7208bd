from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "ckm.knowledge"
    label = "knowledge"
