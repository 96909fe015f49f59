"""`python -m fakes --port 8010`: serve the loopback fakes for the demo and the benchmarks:
WeChat on --port, APNs (HTTP/2 cleartext) on --port + 1, FCM v1 and Google OAuth on
--port + 2. ``--serve apns`` (or fcm, wechat) serves only that one, so that benchmarks can
give each fake its own process. SIGTERM or SIGINT stops every server thread, then the
process exits with status 0."""

import argparse
import signal

from fakes.apns import create_apns_fake
from fakes.fcm import FcmState, create_fcm_fake
from fakes.h2server import BackgroundH2Server
from fakes.server import BackgroundServer
from fakes.wechat import create_wechat_fake

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8010)
parser.add_argument("--wechat-secret", default="")
parser.add_argument("--fcm-project", default="cityops-demo")
parser.add_argument("--serve", default="wechat,apns,fcm")
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
print(f"fakes: wechat :{args.port}, apns (h2c) :{args.port + 1}, fcm :{args.port + 2}", flush=True)
try:
    signal.sigwait(stop_signals)
finally:
    for server in servers:
        server.stop()
