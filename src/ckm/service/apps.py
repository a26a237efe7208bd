from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "ckm.service"
    label = "service"
    verbose_name = "Service and complaints"

    def ready(self) -> None:
        from ckm.core.imports.registry import register_loader
        from ckm.knowledge.services.evidence import register_evidence_source
        from ckm.service.loaders import LOADERS
        from ckm.service.selectors import case_evidence_check

        for loader in LOADERS:
            register_loader(loader)
        # "this article answered it" may cite only a case the person may see
        register_evidence_source("case", case_evidence_check)
