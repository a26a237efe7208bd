from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "ckm.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from ckm.campaigns.loaders import CampaignResponseLoader
        from ckm.campaigns.tasks import campaigns_after_import
        from ckm.core.imports.registry import register_after_import, register_loader

        register_loader(CampaignResponseLoader())
        register_after_import(campaigns_after_import)
