"""The anchor of bench/load.py: the workload's routes on a bare Litestar app (run it with
uvicorn --factory bench.load_anchor:create_bare_app), each answering with a body the real
app gave (BENCH_BARE_BODIES, captured in the warm-up) and echoing X-Request-ID as the app
does, so that both sides take the same requests and send the same bytes."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROUTES = {  # route -> label, anchor path
    "nearby": ("GET  /api/citizen/places/nearby", "/api/citizen/places/nearby"),
    "signpost": ("GET  /api/citizen/signposts/{code}", "/api/citizen/signposts/{code:str}"),
    "reports": ("GET  /api/citizen/reports", "/api/citizen/reports"),
    "inbox": ("GET  /api/citizen/notifications", "/api/citizen/notifications"),
    "upload": ("POST /api/citizen/media", "/api/citizen/media"),
    "create": ("POST /api/citizen/reports", "/api/citizen/reports"),
    "tasks": ("GET  /api/inspector/tasks", "/api/inspector/tasks"),
}


def create_bare_app():
    """The anchor: the workload's routes on a bare Litestar app, each answering with a
    body of the app's (BENCH_BARE_BODIES) and echoing X-Request-ID as the app does."""
    from typing import Annotated, Any

    from litestar import Litestar, Request, Response, get, post
    from litestar.enums import RequestEncodingType
    from litestar.params import Body

    from api.media import UploadForm  # the app's form: the same parsing

    bodies = json.loads(Path(os.environ["BENCH_BARE_BODIES"]).read_text())

    def answer(route: str, request: Request) -> Response:
        status, body = bodies[route]
        rid = request.headers.get("x-request-id", "")
        return Response(
            body.encode(),
            status_code=status,
            media_type="application/json",
            headers={"x-request-id": rid},
        )

    @get(ROUTES["nearby"][1])
    async def nearby(request: Request) -> Response:
        return answer("nearby", request)

    @get(ROUTES["signpost"][1])
    async def signpost(request: Request, code: str) -> Response:
        return answer("signpost", request)

    @get(ROUTES["reports"][1])
    async def reports(request: Request) -> Response:
        return answer("reports", request)

    @get(ROUTES["inbox"][1])
    async def inbox(request: Request) -> Response:
        return answer("inbox", request)

    @get(ROUTES["tasks"][1])
    async def tasks(request: Request) -> Response:
        return answer("tasks", request)

    @post(ROUTES["upload"][1], request_max_body_size=16 * 1024 * 1024)
    async def upload(
        request: Request,
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response:
        await data.file.read()
        return answer("upload", request)

    @post(ROUTES["create"][1])
    async def create(request: Request, data: dict[str, Any]) -> Response:
        return answer("create", request)

    # Annotations are strings here (postponed evaluation): name what they refer to.
    names = {"Annotated": Annotated, "Any": Any, "Body": Body, "Request": Request}
    names |= {"RequestEncodingType": RequestEncodingType, "Response": Response}
    return Litestar(
        route_handlers=[nearby, signpost, reports, inbox, tasks, upload, create],
        signature_namespace={**names, "UploadForm": UploadForm},
    )


def typical_bodies(captured: dict[str, list[tuple[int, bytes]]]) -> dict[str, list]:
    """Per route, the captured body of median size."""
    typical = {}
    for route in ROUTES:
        samples = sorted(captured.get(route, []), key=lambda pair: len(pair[1]))
        if not samples:
            raise SystemExit(f"the warm-up saw no answer of {route}: run it longer")
        status, body = samples[len(samples) // 2]
        typical[route] = [status, body.decode()]
    return typical
