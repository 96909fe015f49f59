import os

from piccolo.conf.apps import AppConfig

from notify.tables import (
    InboxMessage,
    NotificationDelivery,
    NotificationJob,
    NotificationPreference,
    ProviderToken,
    WebhookSubscriber,
    WeChatSubscription,
    WeChatUrlLink,
)

APP_CONFIG = AppConfig(
    app_name="notify",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        NotificationJob,
        NotificationDelivery,
        InboxMessage,
        NotificationPreference,
        WeChatSubscription,
        WeChatUrlLink,
        ProviderToken,
        WebhookSubscriber,
    ],
)
