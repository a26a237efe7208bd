from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "ckm.campaigns"
    label = "campaigns"
