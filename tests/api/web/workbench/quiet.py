"""Wait for a page to be still before axe looks at it: an htmx request in flight leaves its
button disabled (opacity .6) and its indicator fading, and axe measured the contrast of a
half-faded text (a flaky color-contrast finding)."""

QUIET = """() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')
    && document.getAnimations().every(a => a.playState !== 'running')"""


async def quiet(page) -> None:
    await page.wait_for_function(QUIET, timeout=15_000)
