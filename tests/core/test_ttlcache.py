from core import settings as settings_module
from core.ttlcache import TtlCache


async def test_rows_are_reused_within_the_window_and_reloaded_after_clear(monkeypatch):
    monkeypatch.setenv("CITYOPS_CACHE_CHECK_SECONDS", "60")
    settings_module.reload_settings()
    loads = []

    async def load():
        loads.append(1)
        return len(loads)

    cache: TtlCache[int] = TtlCache()
    try:
        assert await cache.get("k", load) == 1
        assert await cache.get("k", load) == 1
        cache.clear()
        assert await cache.get("k", load) == 2
    finally:
        monkeypatch.undo()
        settings_module.reload_settings()


async def test_zero_window_always_reloads():
    calls = []

    async def load():
        calls.append(1)
        return len(calls)

    cache: TtlCache[int] = TtlCache()
    assert [await cache.get("k", load) for _ in range(3)] == [1, 2, 3]
