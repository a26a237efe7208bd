from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "ckm.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge"

    def ready(self) -> None:
        from ckm.core.imports.registry import register_loader
        from ckm.knowledge.loaders import ArticleLoader

        register_loader(ArticleLoader())
