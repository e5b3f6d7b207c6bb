"""schemathesis against the site's own OpenAPI document: no 5xx, every answer matches the
schema it declares. Bounded (few examples per route) so CI stays fast."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from test_page_browser import save_real_matches
from test_site_api import CLOCK, MATE

from halotrack.site import make_app
from halotrack.store import open_store
from tests.support.page import seed_store


def _app(tmp: Any) -> Any:
    store = open_store(f"sqlite:///{tmp}/schema.sqlite")
    seed_store(store)
    save_real_matches(store)
    store.watch_add(MATE, now=CLOCK)
    return make_app(store, clock=lambda: CLOCK)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app = _app(tmp_path_factory.mktemp("schema"))
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    app.state["store"].close()


def test_api_matches_its_openapi_document(api_schema: Any) -> None:
    """Each operation in turn (schemathesis's pytest plugin does not load under pytest 9,
    so the strategies are driven with hypothesis directly)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 13  # the insight routes included
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate()

        check()


def test_player_routes_match_their_schema_for_stored_players(api_schema: Any) -> None:
    """Random path values rarely name a stored player: every player route once more with
    the two stored players, so the insight answers themselves are checked against the
    schema (the CSV route's limit aside)."""
    from tests.support.page import XUID

    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if "{xuid}" not in operation.path or operation.path.endswith(".csv"):
            continue
        for xuid in (XUID, MATE):
            case = operation.Case(path_parameters={"xuid": xuid})
            response = case.call_and_validate()
            assert response.status_code == 200, (operation.path, xuid)
            checked += 1
    assert checked >= 2 * 9
