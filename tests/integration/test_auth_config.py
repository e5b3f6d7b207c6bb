"""Where sign-in settings come from, and the provider chosen for a set of settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from halotrack import config
from halotrack.auth import SignInConfig, TokenStore, load_provider
from halotrack.auth.microsoft import DEFAULT_AUTHORITY
from halotrack.auth.provider import PastedTokens
from halotrack.auth.store import Session, StoredToken
from halotrack.errors import ConfigError
from halotrack.waypoint import StaticTokens
from halotrack.wiring.client import client_from_settings
from tests.support import auth as auth_support

auth_home = auth_support.auth_home


def test_client_id_flag_beats_environment_beats_file(
    auth_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = Path(config.config_file())
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text('client_id = "from-file"\nauthority = "https://login.example/consumers"\n')
    assert SignInConfig.from_settings(config.resolve()).client_id == "from-file"
    monkeypatch.setenv("HALOTRACK_CLIENT_ID", "from-env")
    settings = config.resolve()
    assert SignInConfig.from_settings(settings).client_id == "from-env"
    flagged = SignInConfig.from_settings(config.resolve(client_id="from-flag"))
    assert flagged.client_id == "from-flag"
    assert flagged.authority == "https://login.example/consumers"


def test_missing_client_id_says_how_to_register(auth_home: Path) -> None:
    with pytest.raises(ConfigError) as err:
        SignInConfig.from_settings(config.resolve())
    text = str(err.value)
    for needle in (
        "App registrations",
        "Personal Microsoft accounts only",
        "http://localhost",
        "Allow public client flows",
        "--client-id",
        "HALOTRACK_CLIENT_ID",
        'client_id = "<id>"',
    ):
        assert needle in text


def test_authority_follows_the_api_root(auth_home: Path) -> None:
    real = SignInConfig.from_settings(config.resolve(client_id="c"))
    assert real.authority == DEFAULT_AUTHORITY and real.api_root is None
    sim = SignInConfig.from_settings(config.resolve(client_id="c", api="https://127.0.0.1:5/"))
    assert sim.api_root == "https://127.0.0.1:5"
    assert sim.authority == "https://127.0.0.1:5/login.microsoftonline.com/consumers"


def test_provider_choice(auth_home: Path) -> None:
    assert load_provider(config.resolve()) is None
    explicit = load_provider(config.resolve(spartan_token="v4=flag", clearance="c"))
    assert isinstance(explicit, StaticTokens)
    TokenStore().save_session(
        Session(source="paste", spartan=StoredToken("v4=pasted", None), clearance="c")
    )
    assert isinstance(load_provider(config.resolve()), PastedTokens)
    assert isinstance(load_provider(config.resolve(spartan_token="v4=flag")), StaticTokens)


async def test_from_settings_uses_the_stored_sign_in(auth_home: Path, fake_api) -> None:  # type: ignore[no-untyped-def]
    """The one edit in the client: with no --spartan-token, commands use the stored sign-in."""
    fake_api.handle = lambda request: web.json_response({"xuid": "1", "gamertag": "G"})
    TokenStore().save_session(
        Session(
            source="paste",
            api_root=fake_api.root,
            spartan=StoredToken("v4=pasted", None),
            clearance="c",
        )
    )
    async with client_from_settings(config.resolve(api=fake_api.root), cache=False) as client:
        await client.profile.me()
    assert fake_api.seen[-1]["headers"]["x-343-authorization-spartan"] == "v4=pasted"
    with pytest.raises(ConfigError):  # signed in for another root: not used
        client_from_settings(config.resolve(api="http://127.0.0.1:9"))


def test_timeout_and_retries_come_from_the_environment(
    auth_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALOTRACK_TIMEOUT", "12.5")
    monkeypatch.setenv("HALOTRACK_RETRIES", "3")
    settings = config.resolve()
    assert (settings.timeout, settings.retries) == (12.5, 3)
    monkeypatch.setenv("HALOTRACK_RETRIES", "many")
    with pytest.raises(ConfigError, match="bad number"):
        config.resolve()
