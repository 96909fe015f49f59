"""The `cityops` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

from core.actors import CITY_STAFF_ROLES

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from core.settings import get_settings

    if args.with_fakes:
        # The demo talks to the fakes unless the operator pointed somewhere else.
        fakes = f"http://127.0.0.1:{args.fakes_port}"
        os.environ.setdefault("CITYOPS_WECHAT_BASE_URL", fakes)
        os.environ.setdefault("CITYOPS_APNS_BASE_URL", f"http://127.0.0.1:{args.fakes_port + 1}")
        os.environ.setdefault("CITYOPS_FCM_BASE_URL", f"http://127.0.0.1:{args.fakes_port + 2}")
        os.environ.setdefault(
            "CITYOPS_FCM_TOKEN_URL", f"http://127.0.0.1:{args.fakes_port + 2}/token"
        )
        for name, value in _demo_sms(args.fakes_port).items():
            os.environ.setdefault(name, value)
        from fakes.push_vendors import vendor_env

        for key, value in vendor_env(args.fakes_port).items():
            os.environ.setdefault(key, value)
    settings = get_settings()
    with _leave_on_stop_signals(), _fakes_process(args.fakes_port if args.with_fakes else None):
        uvicorn.run(
            "api.asgi:app",
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers or settings.workers,
            # The app reads X-Forwarded-For itself, from CITYOPS_TRUSTED_PROXIES only:
            # uvicorn's own handling would trust any local peer.
            proxy_headers=False,
            log_level="warning",
            # Without it uvicorn waits for ever for a response still streaming.
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        )


@contextlib.contextmanager
def _leave_on_stop_signals() -> Iterator[None]:
    """uvicorn handles SIGTERM and SIGINT while it serves; once it has stopped gracefully it
    raises the signal again with the handler it found, by default the one that kills the
    process on the spot (status -15, no finally blocks: the fakes process would be left
    running). Here that handler ends the command with status 0 through the finally blocks,
    as does a stop signal that comes before uvicorn took over."""

    def leave(signum: int, frame: object) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)  # one stop is enough: finish leaving
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, leave) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _fakes_process(port: int | None) -> Iterator[None]:
    """The loopback fakes in a process of their own while the server runs."""
    if port is None:
        yield
        return
    fakes = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "fakes", "--port", str(port)]
    )
    try:
        yield
    finally:
        fakes.terminate()
        try:
            fakes.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fakes.kill()
            fakes.wait()


def _demo_sms(fakes_port: int) -> dict[str, str]:
    """Sign-in codes and notification texts go to the Alibaba Cloud SMS fake (see them at
    GET :{port+3}/__fake__/received) through the real sender, with the fake's demo account,
    unless the operator chose a sender."""
    from fakes.aliyun_sms import DEMO_TEMPLATES
    from fakes.sms_control import SmsAccount

    if os.environ.get("CITYOPS_SMS_SENDER", "aliyun") != "aliyun":
        return {}
    account = SmsAccount()
    login, update, urgent = DEMO_TEMPLATES
    return {
        "CITYOPS_SMS_SENDER": "aliyun",
        "CITYOPS_SMS_ENDPOINT": f"http://127.0.0.1:{fakes_port + 3}",
        "CITYOPS_SMS_ACCESS_KEY_ID": account.key_id,
        "CITYOPS_SMS_ACCESS_KEY_SECRET": account.secret,
        "CITYOPS_SMS_SIGN_NAME": account.sign_name,
        "CITYOPS_SMS_TEMPLATE_LOGIN_CODE": login,
        "CITYOPS_SMS_TEMPLATE_CASE_UPDATE": update,
        "CITYOPS_SMS_TEMPLATE_URGENT_CASE": urgent,
    }


async def _with_db(coro_factory):
    from core import db
    from core.settings import get_settings

    await db.open_pool(get_settings())
    try:
        return await coro_factory()
    finally:
        await db.close_pool()


def _migrate(_: argparse.Namespace) -> None:
    from core.schema import migrate

    print(asyncio.run(_with_db(migrate)))


def _create_staff(args: argparse.Namespace) -> None:
    from piccolo.apps.user.tables import BaseUser

    from accounts.passwords import hash_new_password
    from accounts.service import create_staff
    from core.db import transaction
    from core.settings import get_settings

    BaseUser._pbkdf2_iteration_count = get_settings().password_iterations
    password = args.password or os.environ.get("CITYOPS_NEW_STAFF_PASSWORD") or getpass.getpass()

    async def create():
        password_hash = await hash_new_password(password)
        async with transaction():
            return await create_staff(
                username=args.username,
                password_hash=password_hash,
                role=args.role,
                display_name=args.name or args.username,
            )

    staff = asyncio.run(_with_db(create))
    print(f"created staff #{staff.id} {args.username} ({args.role})")


def _demo(_: argparse.Namespace) -> None:
    from api.demo import load_demo

    print(asyncio.run(_with_db(load_demo)))


def _worker(_: argparse.Namespace) -> None:
    from core import periodic
    from core.settings import get_settings

    async def run_until_stopped() -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, periodic.stop_soon)
        scheduler = periodic.start_default()
        await scheduler.stop_requested.wait()
        await periodic.stop(scheduler, budget=get_settings().shutdown_timeout_seconds)

    asyncio.run(_with_db(run_until_stopped))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="cityops", description="City operation and service platform"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument(
        "--with-fakes",
        action="store_true",
        help="also start the loopback fakes of WeChat, the push services and the SMS vendors",
    )
    serve.add_argument("--fakes-port", type=int, default=8010)
    serve.set_defaults(func=_serve)

    commands.add_parser("migrate", help="create or upgrade the schema").set_defaults(func=_migrate)

    staff = commands.add_parser("create-staff", help="create a staff account")
    staff.add_argument("--username", required=True)
    # Merchants need a shop: admins make them through POST /api/admin/staff.
    staff.add_argument("--role", required=True, choices=list(CITY_STAFF_ROLES))
    staff.add_argument("--name")
    staff.add_argument("--password", help="prompted for when omitted")
    staff.set_defaults(func=_create_staff)

    commands.add_parser("demo", help="load demo data (idempotent)").set_defaults(func=_demo)
    commands.add_parser("worker", help="run periodic tasks (SLA checks...)").set_defaults(
        func=_worker
    )

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
