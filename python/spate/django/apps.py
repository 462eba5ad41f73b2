"""The Django app of spate: add "spate.django" to INSTALLED_APPS."""

from django.apps import AppConfig


class SpateConfig(AppConfig):
    name = "spate.django"
    label = "spate"
    verbose_name = "Spate streams"
    default_auto_field = "django.db.models.BigAutoField"
