"""The Android vendor push fakes as the demo and the benchmarks start them: one loopback
port each, at fixed offsets from the fakes' base port (``--port``, 8010 by default), and
the settings that point the app at them."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Litestar

from fakes.honor import TOKEN_PATH as HONOR_TOKEN_PATH
from fakes.honor import create_honor_fake
from fakes.huawei import create_huawei_fake
from fakes.jpush import create_jpush_fake
from fakes.oppo import create_oppo_fake
from fakes.vivo import create_vivo_fake
from fakes.xiaomi import create_xiaomi_fake

# Port offsets from the base port; 0-2 are WeChat, APNs and FCM.
OFFSETS = {"huawei": 10, "honor": 11, "xiaomi": 12, "oppo": 13, "vivo": 14, "jpush": 15}
FACTORIES: dict[str, Callable[[], Litestar]] = {
    "huawei": create_huawei_fake,
    "honor": create_honor_fake,
    "xiaomi": create_xiaomi_fake,
    "oppo": create_oppo_fake,
    "vivo": create_vivo_fake,
    "jpush": create_jpush_fake,
}


def vendor_env(base_port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """CITYOPS_* settings that send every vendor's pushes to its fake."""
    url = {name: f"http://{host}:{base_port + offset}" for name, offset in OFFSETS.items()}
    return {
        "CITYOPS_HUAWEI_OAUTH_URL": f"{url['huawei']}/oauth2/v3/token",
        "CITYOPS_HUAWEI_PUSH_BASE_URL": url["huawei"],
        "CITYOPS_HONOR_AUTH_URL": f"{url['honor']}{HONOR_TOKEN_PATH}",
        "CITYOPS_HONOR_PUSH_BASE_URL": url["honor"],
        "CITYOPS_XIAOMI_BASE_URL": url["xiaomi"],
        "CITYOPS_OPPO_BASE_URL": url["oppo"],
        "CITYOPS_VIVO_BASE_URL": url["vivo"],
        "CITYOPS_JPUSH_BASE_URL": url["jpush"],
    }
