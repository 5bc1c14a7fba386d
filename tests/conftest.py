"""Suite-wide fixtures and test ordering."""
import pytest
from hypothesis import HealthCheck, settings

# Property tests must never fail because the machine is busy: no per-example deadline and no health check about
# slow input generation, in every test file, unless a test asks for more with its own @settings.
settings.register_profile('fasthtml', deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          print_blob=True)
settings.load_profile('fasthtml')


@pytest.fixture(params=['sync', 'async'])
def kind(request) -> str:
    "Parametrize a test over sync (`def`) and async (`async def`) handlers (build them with variants.variant)."
    return request.param


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the real-browser tests (marked `e2e` by tests/e2e/conftest.py) after all others: the sync Playwright
    browser lives for the rest of the session and keeps an event loop running in the main thread, which async
    tests collected after it could not start their own loop beside."""
    items.sort(key=lambda item: item.get_closest_marker('e2e') is not None)
