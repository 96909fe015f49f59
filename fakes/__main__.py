"""`python -m fakes --port 8010`: serve the loopback fakes for the demo and the benchmarks:
WeChat on --port, APNs (HTTP/2 cleartext) on --port + 1, FCM v1 and Google OAuth on
--port + 2, and the Android vendors from --port + 10: Huawei Push Kit (+ HarmonyOS v3) +10,
Honor +11, Xiaomi +12, OPPO +13, vivo +14, JPush +15 (``fakes.push_vendors``).
``--serve apns`` (or fcm, wechat, huawei, ...) serves only those, so that benchmarks can
give each fake its own process."""

import argparse
import threading

import uvicorn

from fakes.apns import create_apns_fake
from fakes.fcm import FcmState, create_fcm_fake
from fakes.h2server import BackgroundH2Server
from fakes.push_vendors import FACTORIES, OFFSETS
from fakes.server import BackgroundServer
from fakes.wechat import create_wechat_fake

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8010)
parser.add_argument("--wechat-secret", default="")
parser.add_argument("--fcm-project", default="cityops-demo")
parser.add_argument("--serve", default=",".join(["wechat", "apns", "fcm", *OFFSETS]))
args = parser.parse_args()
serve = set(args.serve.split(","))
if "apns" in serve:
    BackgroundH2Server(create_apns_fake(), host=args.host, port=args.port + 1).start()
if "fcm" in serve:
    BackgroundServer(
        create_fcm_fake(FcmState(project_id=args.fcm_project)), host=args.host, port=args.port + 2
    ).start()
for name, offset in OFFSETS.items():
    if name in serve:
        BackgroundServer(FACTORIES[name](), host=args.host, port=args.port + offset).start()
vendors = ", ".join(f"{name} :{args.port + offset}" for name, offset in OFFSETS.items())
print(
    f"fakes: wechat :{args.port}, apns (h2c) :{args.port + 1}, fcm :{args.port + 2}, {vendors}",
    flush=True,
)
if "wechat" in serve:
    uvicorn.run(
        create_wechat_fake(secret=args.wechat_secret),
        host=args.host,
        port=args.port,
        log_level="warning",
    )
else:
    threading.Event().wait()
