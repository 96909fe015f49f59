"""Staff get the same inbox and settings as citizens (new tasks, SLA reminders)."""

from api.citizen.notifications import NotificationController

__all__ = ["NotificationController"]
