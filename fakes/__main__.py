"""`python -m fakes --port 8010`: serve the loopback fakes for the demo and the benchmarks:
WeChat on --port, APNs (HTTP/2 cleartext) on --port + 1, FCM v1 and Google OAuth on
--port + 2, Alibaba Cloud SMS on --port + 3 and Tencent Cloud SMS on --port + 4 (demo
accounts: fakes.sms_control.SmsAccount), and the Android vendors from --port + 10: Huawei
Push Kit (+ HarmonyOS v3) +10, Honor +11, Xiaomi +12, OPPO +13, vivo +14, JPush +15
(``fakes.push_vendors``). ``--serve apns`` (or fcm, wechat, aliyun-sms, tencent-sms,
huawei, ...) serves only those, so that benchmarks can give each fake its own process.
SIGTERM or SIGINT stops every server thread, then the process exits with status 0."""

import argparse
import signal

from fakes.aliyun_sms import create_aliyun_sms_fake
from fakes.apns import create_apns_fake
from fakes.fcm import FcmState, create_fcm_fake
from fakes.h2server import BackgroundH2Server
from fakes.push_vendors import FACTORIES, OFFSETS
from fakes.server import BackgroundServer
from fakes.tencent_sms import create_tencent_sms_fake
from fakes.wechat import create_wechat_fake

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8010)
parser.add_argument("--wechat-secret", default="")
parser.add_argument("--fcm-project", default="cityops-demo")
parser.add_argument(
    "--serve", default=",".join(["wechat", "apns", "fcm", "aliyun-sms", "tencent-sms", *OFFSETS])
)
args = parser.parse_args()
serve = set(args.serve.split(","))
stop_signals = {signal.SIGTERM, signal.SIGINT}
# Blocked before the server threads start, which inherit the mask: only sigwait() below
# takes them, so the main thread stops the servers instead of dying around them.
signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
servers = []
if "wechat" in serve:
    wechat = create_wechat_fake(secret=args.wechat_secret)
    servers.append(BackgroundServer(wechat, host=args.host, port=args.port).start())
if "apns" in serve:
    servers.append(
        BackgroundH2Server(create_apns_fake(), host=args.host, port=args.port + 1).start()
    )
if "fcm" in serve:
    fcm = create_fcm_fake(FcmState(project_id=args.fcm_project))
    servers.append(BackgroundServer(fcm, host=args.host, port=args.port + 2).start())
for name, offset, factory in (
    ("aliyun-sms", 3, create_aliyun_sms_fake),
    ("tencent-sms", 4, create_tencent_sms_fake),
    *((name, offset, FACTORIES[name]) for name, offset in OFFSETS.items()),
):
    if name in serve:
        servers.append(BackgroundServer(factory(), host=args.host, port=args.port + offset).start())
vendors = ", ".join(f"{name} :{args.port + offset}" for name, offset in OFFSETS.items())
print(
    f"fakes: wechat :{args.port}, apns (h2c) :{args.port + 1}, fcm :{args.port + 2}, "
    f"aliyun sms :{args.port + 3}, tencent sms :{args.port + 4}, {vendors}",
    flush=True,
)
try:
    signal.sigwait(stop_signals)
finally:
    for server in servers:
        server.stop()
