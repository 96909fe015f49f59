"""/admin/dashboard (一屏通览): today's key numbers and a map of open cases coloured by SLA
light, rendered on the server. The page belongs to the admin web UI, so it takes the
piccolo-admin session cookie (admin staff only) rather than a Bearer token."""

from __future__ import annotations

import datetime as dt
from html import escape

from litestar import Controller, Request, Response, get
from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from accounts.errors import AuthRequired
from cases import stats
from cases.scope import EVERYTHING
from core import clock

COLOURS = {"green": "#2e9d4b", "yellow": "#e0a800", "red": "#d3342b", "none": "#8a94a6"}
MAP_W, MAP_H = 640, 420


async def _admin_signed_in(request: Request) -> bool:
    token = request.cookies.get("id")
    if not token or len(token) > 200:
        return False
    user_id = await SessionsBase.get_user_id(token)
    if user_id is None:
        return False
    user = (
        await BaseUser.select(BaseUser.admin, BaseUser.active).where(BaseUser.id == user_id).first()
    )
    return bool(user and user["admin"] and user["active"])


def _today() -> tuple[dt.datetime, dt.datetime]:
    zone = clock.city_zone()
    local = clock.now().astimezone(zone)
    start = dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _map(points: list[stats.OpenPoint]) -> str:
    if not points:
        return (
            f'<svg id="map" width="{MAP_W}" height="{MAP_H}"><text x="20" y="40">暂无未结案件 '
            "No open cases</text></svg>"
        )
    lats, lons = [p.lat for p in points], [p.lon for p in points]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    span_lat, span_lon = max(north - south, 1e-4), max(east - west, 1e-4)
    dots = []
    for p in points:
        x = 20 + (p.lon - west) / span_lon * (MAP_W - 40)
        y = 20 + (north - p.lat) / span_lat * (MAP_H - 40)
        dots.append(
            f'<circle class="case {p.light}" cx="{x:.1f}" cy="{y:.1f}" r="6" '
            f'fill="{COLOURS[p.light]}"><title>{escape(p.number)}</title></circle>'
        )
    return (
        f'<svg id="map" width="{MAP_W}" height="{MAP_H}" viewBox="0 0 {MAP_W} {MAP_H}">'
        f'<rect width="100%" height="100%" fill="#f4f6fa"/>{"".join(dots)}</svg>'
    )


def _page(totals: stats.StatsRow | None, points: list[stats.OpenPoint]) -> str:
    t = totals
    tiles = [
        ("reported", "今日上报 Reported", t.reported if t else 0),
        ("accepted", "立案 Accepted", t.accepted if t else 0),
        ("dispatched", "派遣 Dispatched", t.dispatched if t else 0),
        ("closed", "结案 Closed", t.closed if t else 0),
        ("closure-rate", "结案率 Closure rate", _rate(t.closure_rate if t else None)),
        ("on-time-rate", "按期处置率 On time", _rate(t.on_time_rate if t else None)),
        ("open", "未结案件 Open now", len(points)),
        ("red", "超期 Overdue (red)", sum(1 for p in points if p.light == "red")),
    ]
    cells = "".join(
        f'<div class="tile" id="{key}"><div class="n">{escape(str(value))}</div>'
        f'<div class="l">{label}</div></div>'
        for key, label, value in tiles
    )
    legend = "".join(f'<span><i style="background:{c}"></i>{k}</span>' for k, c in COLOURS.items())
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>一屏通览 Dashboard</title><meta name="viewport" content="width=device-width">
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:0;background:#0b1f3a;color:#fff}}
h1{{font-size:20px;margin:0;padding:14px 20px;background:#0b6bcb}}
.tiles{{display:flex;flex-wrap:wrap;gap:10px;padding:16px}}
.tile{{background:#12335f;border-radius:8px;padding:12px 16px;min-width:120px}}
.n{{font-size:28px;font-weight:bold}}.l{{font-size:12px;opacity:.8}}
#map-box{{padding:0 16px 16px}} .legend span{{margin-right:14px}}
.legend i{{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}}
</style></head><body><h1>城市运行一屏通览 · Today</h1><div class="tiles">{cells}</div>
<div id="map-box"><div class="legend">{legend}</div>{_map(points)}</div></body></html>"""


class DashboardController(Controller):
    path = "/admin/dashboard"
    include_in_schema = False

    @get("/", media_type="text/html")
    async def dashboard(self, request: Request) -> Response:
        if not await _admin_signed_in(request):
            raise AuthRequired()
        since, until = _today()
        # The admin web UI is for admins alone, whose scope is the whole city.
        totals = stats.totals(
            await stats.case_stats(since=since, until=until, group_by="source", within=EVERYTHING)
        )
        points = await stats.open_case_points(within=EVERYTHING)
        return Response(_page(totals, points), media_type="text/html")
