"""FCM HTTP v1 through firebase-admin's ``messaging.send_each_async``.

firebase-admin has no documented endpoint override for messaging: the service builds its URL
from the class constant ``_MessagingService.FCM_URL`` into the instance attribute ``_fcm_url``
when the app's messaging service is first created. We create one firebase app per provider
and point that instance's ``_fcm_url`` at ``fcm_base_url`` (Google by default, the loopback
fake in tests); OAuth goes to the service account's ``token_uri`` (``fcm_token_url``
overrides it). Its own retries (4 on 500/503) are turned off: the outbox does the retrying,
with backoff that survives restarts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
import warnings
from pathlib import Path

import firebase_admin
import httpx
from firebase_admin import _http_client, _retry, credentials, exceptions, messaging
from google.auth.transport.requests import Request as GoogleRequest

from core.private_files import read_private, write_private
from core.settings import Settings
from notify.providers import SENT, PushMessage, PushProvider, PushResult
from notify.providers.vendor import android_channel

log = logging.getLogger(__name__)
_apps = itertools.count(1)
_SLICE = 50


def fake_service_account(settings: Settings) -> dict:
    """A service account with a freshly generated RSA key, for the demo and tests (the
    loopback OAuth fake accepts any well-formed assertion)."""
    path = Path(settings.var_dir) / "secrets" / "fcm-service-account.json"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        account = {
            "type": "service_account",
            "project_id": settings.fcm_project_id or "cityops-demo",
            "private_key_id": uuid.uuid4().hex,
            "private_key": pem,
            "client_email": "cityops-push@cityops-demo.iam.gserviceaccount.com",
            "client_id": "100000000000000000000",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
        write_private(path, json.dumps(account).encode(), replace=False)
    return json.loads(read_private(path))


def _error_result(exc: Exception | None) -> PushResult:
    error = f"fcm {type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, messaging.UnregisteredError | messaging.SenderIdMismatchError):
        return PushResult("dead_token", error)
    if isinstance(exc, exceptions.InvalidArgumentError):
        # A malformed token or message: sending it again cannot help.
        return PushResult("failed", error)
    # 5xx, DEADLINE_EXCEEDED (timeouts), QUOTA_EXCEEDED, UNAVAILABLE, auth trouble, unknown.
    return PushResult("retry", error)


class FcmProvider(PushProvider):
    channel = "fcm"

    def __init__(
        self, *, account: dict, base_url: str, token_url: str, project_id: str, timeout: float
    ) -> None:
        if token_url:
            account = {**account, "token_uri": token_url}
        project_id = project_id or account["project_id"]
        self._credential = credentials.Certificate(account)
        self._app = firebase_admin.initialize_app(
            self._credential,
            options={"projectId": project_id, "httpTimeout": timeout},
            name=f"cityops-fcm-{next(_apps)}",
        )
        service = messaging._get_messaging_service(self._app)
        service._fcm_url = f"{base_url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        service._async_client = _http_client.HttpxAsyncClient(
            credential=self._credential.get_credential(),
            timeout=timeout,
            retry_config=_retry.HttpxRetry(max_retries=0),
        )
        self._service = service

    async def _ensure_token(self) -> None:
        # google-auth refreshes with blocking ``requests``; do it on a thread, not the loop.
        google_credential = self._credential.get_credential()
        if not google_credential.valid:
            await asyncio.to_thread(google_credential.refresh, GoogleRequest())

    async def send(self, messages: list[PushMessage]) -> list[PushResult]:
        try:
            await self._ensure_token()
        except Exception as exc:  # the token endpoint is down: the whole batch waits
            log.warning("fcm token refresh failed: %s", type(exc).__name__)
            return [PushResult("retry", f"fcm oauth: {type(exc).__name__}")] * len(messages)
        results: list[PushResult] = []
        # send_each_async sends its whole list at once; httpcore's pool gets slow past a few
        # dozen requests in flight on one client, so the batch goes in slices.
        for start in range(0, len(messages), _SLICE):
            chunk = messages[start : start + _SLICE]
            results += await self._send_slice(chunk)
        return results

    async def _send_slice(self, chunk: list[PushMessage]) -> list[PushResult]:
        try:
            batch = await messaging.send_each_async([_message(m) for m in chunk], app=self._app)
        except (exceptions.FirebaseError, httpx.HTTPError, ValueError) as exc:
            return [_error_result(exc)] * len(chunk)
        responses = list(batch.responses)
        # A connection closed while idle fails with a write or connect error: those requests
        # never reached FCM, so they are sent again at once (once).
        again = [
            i
            for i, r in enumerate(responses)
            if not r.success
            and isinstance(
                getattr(r.exception, "cause", None), httpx.WriteError | httpx.ConnectError
            )
        ]
        if again:
            try:
                second = await messaging.send_each_async(
                    [_message(chunk[i]) for i in again], app=self._app
                )
                for i, response in zip(again, second.responses, strict=True):
                    responses[i] = response
            except (exceptions.FirebaseError, httpx.HTTPError, ValueError):
                pass
        return [SENT if r.success else _error_result(r.exception) for r in responses]

    async def aclose(self) -> None:
        await self._service._async_client.aclose()
        # delete_app closes the service with asyncio.run(), which fails inside a running
        # loop; the client is closed above, so skip that.
        self._service.close = lambda: None
        firebase_admin.delete_app(self._app)


def _message(message: PushMessage) -> messaging.Message:
    # The apps register FCM registration tokens; firebase-admin 7 deprecates ``token`` in
    # favour of installation ids (``fid``), which the apps do not send yet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _build(message)


def _build(message: PushMessage) -> messaging.Message:
    return messaging.Message(
        token=message.target,
        notification=messaging.Notification(title=message.title, body=message.body),
        data={"link": message.link, "deliveryId": str(message.delivery_id), **message.data},
        android=messaging.AndroidConfig(
            priority="high" if message.urgent else "normal",
            collapse_key=message.thread or None,
            notification=messaging.AndroidNotification(
                channel_id=android_channel(message),
                tag=message.thread or None,
                notification_count=message.badge,
            ),
        ),
    )


def fcm_from_settings(settings: Settings) -> FcmProvider:
    if settings.fcm_credentials_file:
        account = json.loads(Path(settings.fcm_credentials_file).read_text())
    elif settings.env == "production":
        raise SystemExit("invalid configuration: CITYOPS_FCM_CREDENTIALS_FILE is required")
    else:
        account = fake_service_account(settings)
    return FcmProvider(
        account=account,
        base_url=settings.fcm_base_url,
        token_url=settings.fcm_token_url,
        project_id=settings.fcm_project_id,
        timeout=settings.notify_send_timeout_seconds,
    )
