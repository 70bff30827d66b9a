from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "apps.deadlines"
    label = "deadlines"
