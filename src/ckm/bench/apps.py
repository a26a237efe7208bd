from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "ckm.bench"
    label = "bench"
