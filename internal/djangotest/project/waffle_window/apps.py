from django.apps import AppConfig


class WaffleWindowAppConfig(AppConfig):
    name = "waffle_window"
    verbose_name = "Waffle Flag user windows"
