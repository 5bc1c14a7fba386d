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


@pytest.fixture(scope='session')
def pg_server():
    """One PostgreSQL server for the whole run (started on first use, stopped by PID at the end). Tests make their
    own databases on it (`pg_server.create_database(name)`). PostgreSQL comes from Debian (`make postgresql`)."""
    from pg_server import start_postgres
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server, request) -> str:
    "The URL of a fresh, empty PostgreSQL database for this test."
    import re
    name = 't_' + re.sub(r'\W+', '_', request.node.name).lower()[-50:]
    return pg_server.create_database(name)


@pytest.fixture(params=['sqlite', 'postgres'])
def db_target(request, tmp_path) -> str:
    "Parametrize a test over the two backends: a fresh SQLite file path, or a fresh PostgreSQL database URL."
    if request.param == 'sqlite':
        return str(tmp_path / 'data' / 'test.db')
    return request.getfixturevalue('pg_url')
