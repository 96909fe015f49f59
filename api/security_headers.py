"""Headers every response carries against content sniffing, framing and injected content.

HTML pages get a Content-Security-Policy for what each family of pages really loads; a page
that sends its own policy (the workbench's) keeps it. API responses get the policy OWASP
recommends for JSON (nothing may load, nothing may frame it), so a response opened in a
browser can run nothing."""

from __future__ import annotations

NOSNIFF = (b"x-content-type-options", b"nosniff")
NO_FRAMES = (b"x-frame-options", b"DENY")
REFERRER = (b"referrer-policy", b"strict-origin-when-cross-origin")

_API = b"default-src 'none'; frame-ancestors 'none'"
# Server-rendered pages (/q signposts, the dashboard): one inline <style>, no script at all.
_PAGES = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# piccolo-admin's single-page app: its own bundle; Vue sets style attributes.
_ADMIN_APP = (
    b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    b"form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)
# Litestar's OpenAPI viewers load their bundles from jsDelivr and start with inline scripts.
_SCHEMA = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src data: https://cdn.jsdelivr.net https://fonts.gstatic.com; "
    b"img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _policy(path: str, html: bool) -> bytes:
    if not html:
        return _API
    if path.startswith("/schema"):
        return _SCHEMA
    if path.startswith("/admin") and not path.startswith("/admin/dashboard"):
        return _ADMIN_APP
    return _PAGES


def with_security_headers(path: str, headers: list) -> list:
    """``headers`` of a response start, with ours added where the response set none."""
    html = False
    has_policy = False
    for name, value in headers:
        if name == b"content-type":
            html = value.startswith(b"text/html")
        elif name == b"content-security-policy":
            has_policy = True
    added = [NOSNIFF, NO_FRAMES, REFERRER]
    if not has_policy:
        added.append((b"content-security-policy", _policy(path, html)))
    return [*headers, *added]
