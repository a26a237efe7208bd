from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "ckm.feedback"
    label = "feedback"
