from django.apps import AppConfig


class GroundworkConfig(AppConfig):
    name = "app"
    label = "groundwork"
    verbose_name = "Groundwork"
