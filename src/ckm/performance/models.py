"""The performance app keeps no data of its own: its dashboards read the other apps. This model
has no table; it carries the app's permissions so roles and the admin site can grant them."""

from __future__ import annotations

from django.db import models


class Dashboard(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can see the performance dashboards (service desk KPIs)"),
        ]

    def __str__(self) -> str:
        return "Performance dashboards"
