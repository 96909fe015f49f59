"""`python -m fakes --port 8010`: serve the loopback fakes for the demo."""

import argparse

import uvicorn

from fakes.wechat import create_wechat_fake

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8010)
args = parser.parse_args()
uvicorn.run(create_wechat_fake(), host=args.host, port=args.port, log_level="warning")
