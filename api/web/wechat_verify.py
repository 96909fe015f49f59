"""WeChat's domain check for 扫普通链接二维码打开小程序 (scan an ordinary link QR code to open
the mini-program).

A signpost sticker's QR code holds an ordinary link, ``{public_base_url}/q/{code}``. In the
mini-program console (开发管理 > 开发设置 > 扫普通链接二维码打开小程序) the city adds the rule
with the prefix ``{public_base_url}/q/`` and the page that handles it; WeChat's scanner then
opens that page with the whole link in ``options.q`` (URL-encoded), and any other camera
still opens the ``/q/{code}`` web page. Before it publishes the rule WeChat downloads a
verification file it names, ``https://<domain>/<name>.txt``, and expects the content it
shows: ``CITYOPS_WECHAT_VERIFY_FILE`` (the name, without ``.txt``) and
``CITYOPS_WECHAT_VERIFY_CONTENT`` make this app serve it at the root of the domain.
"""

from __future__ import annotations

from litestar import Response, get

from core.settings import Settings


def wechat_verify_routes(settings: Settings) -> list:
    name = settings.wechat_verify_file.removesuffix(".txt").strip("/")
    if not name or "/" in name:
        return []
    content = settings.wechat_verify_content

    @get(f"/{name}.txt", include_in_schema=False, sync_to_thread=False)
    def verify_file() -> Response[str]:
        return Response(content, media_type="text/plain; charset=utf-8")

    return [verify_file]
