"""The simulator's identity answers have the real services' shapes (tests/data/real/auth),
it checks request bodies like them, and the client parses the real samples."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from halotrack.auth.chain import XboxChain, _parse_time
from halotrack.models import duration
from halotrack.models.hosts import (
    HALO_RELYING_PARTY,
    XBOX_RELYING_PARTY,
    XBOX_USER_RELYING_PARTY,
    service_urls,
)
from halotrack.simulator.identity import net_duration, xbox_time
from tests.support import auth as auth_support

# Fixtures shared by the sign-in tests (see auth_support.py).
tls_ca = auth_support.tls_ca
auth_home = auth_support.auth_home
identity_sim = auth_support.identity_sim

XBOX_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
SPARTAN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DURATION = re.compile(r"^PT(\d+H)?(\d+M)?(\d+(\.\d{1,7})?S)?$")


def sample(real_dir, name: str) -> Any:  # type: ignore[no-untyped-def]
    return json.loads((real_dir / "auth" / name).read_text())


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; lists by their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


async def _answers(sim) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Walk the whole chain by raw HTTP, keeping each answer."""
    urls = service_urls(sim.root)
    out: dict[str, Any] = {}
    async with sim.http() as http:
        form = {"client_id": "cid", "scope": "Xboxlive.signin Xboxlive.offline_access openid"}
        async with http.post(f"{sim.authority}/oauth2/v2.0/devicecode", data=form) as r:
            assert r.status == 200
            flow = await r.json()
        token_form = {
            "client_id": "cid",
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": flow["device_code"],
        }
        async with http.post(f"{sim.authority}/oauth2/v2.0/token", data=token_form) as r:
            assert r.status == 400
            assert (await r.json())["error"] == "authorization_pending"
        await sim.approve(flow["user_code"])
        async with http.post(f"{sim.authority}/oauth2/v2.0/token", data=token_form) as r:
            assert r.status == 200
            out["oauth2"] = await r.json()
        headers = {"x-xbl-contract-version": "1"}
        body = {
            "RelyingParty": XBOX_USER_RELYING_PARTY,
            "TokenType": "JWT",
            "Properties": {
                "AuthMethod": "RPS",
                "SiteName": "user.auth.xboxlive.com",
                "RpsTicket": f"d={out['oauth2']['access_token']}",
            },
        }
        url = f"{urls['xbox_user']}/user/authenticate"
        async with http.post(url, json=body, headers=headers) as r:
            assert r.status == 200
            out["xbox_user"] = await r.json()
        for rp, key in ((HALO_RELYING_PARTY, "xsts"), (XBOX_RELYING_PARTY, "xsts_xbl")):
            xsts_body = {
                "RelyingParty": rp,
                "TokenType": "JWT",
                "Properties": {"UserTokens": [out["xbox_user"]["Token"]], "SandboxId": "RETAIL"},
            }
            async with http.post(
                f"{urls['xsts']}/xsts/authorize", json=xsts_body, headers=headers
            ) as r:
                assert r.status == 200
                out[key] = await r.json()
        spartan_body = {
            "Audience": "urn:343:s3:services",
            "MinVersion": "4",
            "Proof": [{"Token": out["xsts"]["Token"], "TokenType": "Xbox_XSTSv3"}],
        }
        async with http.post(f"{urls['settings']}/spartan-token", json=spartan_body) as r:
            assert r.status == 200
            out["spartan"] = await r.json()
        async with http.get(
            f"{urls['settings']}/oban/flight-configurations/titles/hi/audiences/RETAIL/active",
            headers={"x-343-authorization-spartan": out["spartan"]["SpartanToken"]},
        ) as r:
            assert r.status == 200
            out["clearance"] = await r.json()
    return out


async def test_answers_match_real_shapes(identity_sim, real_dir) -> None:  # type: ignore[no-untyped-def]
    got = await _answers(identity_sim)
    oauth2 = sample(real_dir, "oauth2.json")
    assert {k: shape(got["oauth2"][k]) for k in oauth2} == shape(oauth2)
    assert got["oauth2"]["token_type"].lower() == "bearer"
    assert {"id_token", "client_info"} <= set(got["oauth2"])  # what msal also reads
    assert shape(got["xbox_user"]) == shape(sample(real_dir, "xbox_user.json"))
    assert shape(got["xsts"]) == shape(sample(real_dir, "xsts.json"))
    assert shape(got["xsts_xbl"]) == shape(sample(real_dir, "xsts.json"))
    assert shape(got["spartan"]) == shape(sample(real_dir, "spartan.json"))
    assert shape(got["clearance"]) == shape(sample(real_dir, "clearance.json"))
    for key in ("xbox_user", "xsts"):
        assert XBOX_TIME.match(got[key]["IssueInstant"]) and XBOX_TIME.match(got[key]["NotAfter"])
    assert SPARTAN_TIME.match(got["spartan"]["ExpiresUtc"]["ISO8601Date"])
    assert DURATION.match(got["spartan"]["TokenDuration"])
    xui = got["xsts_xbl"]["DisplayClaims"]["xui"][0]
    xuid, gamertag = identity_sim.first_player()
    assert (xui["xid"], xui["gtg"]) == (xuid, gamertag)


def test_real_sample_formats_are_what_the_simulator_writes(real_dir) -> None:  # type: ignore[no-untyped-def]
    for name in ("xbox_user.json", "xsts.json"):
        data = sample(real_dir, name)
        assert XBOX_TIME.match(data["IssueInstant"]) and XBOX_TIME.match(data["NotAfter"])
    spartan = sample(real_dir, "spartan.json")
    assert SPARTAN_TIME.match(spartan["ExpiresUtc"]["ISO8601Date"])
    assert DURATION.match(spartan["TokenDuration"])
    assert DURATION.match(net_duration(timedelta(hours=3, minutes=59, seconds=49.4904271)))
    assert XBOX_TIME.match(xbox_time(datetime(2026, 1, 2, 3, 4, 5, 603749, tzinfo=UTC)))


def test_client_parses_real_samples(real_dir) -> None:  # type: ignore[no-untyped-def]
    xsts = XboxChain._xbox_token("xsts", sample(real_dir, "xsts.json"))
    assert (xsts.xuid, xsts.gamertag, xsts.user_hash) == ("2669321029139235", "e", "abcdefg")
    assert xsts.not_after == datetime(2999, 10, 10, 19, 6, 35, 525115, tzinfo=UTC)
    user = XboxChain._xbox_token("xbox-user", sample(real_dir, "xbox_user.json"))
    assert user.user_hash == "abcdefg" and user.xuid is None
    assert "abcdefg" not in repr(user) and "123456789" not in repr(xsts)
    spartan = sample(real_dir, "spartan.json")
    assert _parse_time(spartan["ExpiresUtc"]["ISO8601Date"]) == datetime(
        2999, 1, 27, 5, 3, 47, tzinfo=UTC
    )
    assert duration(spartan["TokenDuration"]) == timedelta(hours=3, minutes=59, seconds=49.490427)


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda b, h: h.pop("x-xbl-contract-version"), 400),
        (lambda b, h: b.update(RelyingParty="http://example.com"), 400),
        (lambda b, h: b["Properties"].update(RpsTicket="t=abc"), 400),
        (lambda b, h: b["Properties"].update(RpsTicket="d=unknown-access-token"), 401),
    ],
)
async def test_xbox_user_checks_the_request(identity_sim, mutate, status: int) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    urls = service_urls(sim.root)
    headers = {"x-xbl-contract-version": "1"}
    body: dict[str, Any] = {
        "RelyingParty": XBOX_USER_RELYING_PARTY,
        "TokenType": "JWT",
        "Properties": {
            "AuthMethod": "RPS",
            "SiteName": "user.auth.xboxlive.com",
            "RpsTicket": "d=x",
        },
    }
    mutate(body, headers)
    async with (
        sim.http() as http,
        http.post(f"{urls['xbox_user']}/user/authenticate", json=body, headers=headers) as r,
    ):
        assert r.status == status


async def test_xsts_and_spartan_check_the_request(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    got = await _answers(sim)
    urls = service_urls(sim.root)
    headers = {"x-xbl-contract-version": "1"}
    user = got["xbox_user"]["Token"]
    async with sim.http() as http:
        bad_rp = {
            "RelyingParty": "https://example.com/",
            "TokenType": "JWT",
            "Properties": {"UserTokens": [user], "SandboxId": "RETAIL"},
        }
        async with http.post(f"{urls['xsts']}/xsts/authorize", json=bad_rp, headers=headers) as r:
            assert r.status == 400
        # An Xbox Live XSTS token is not proof for Halo.
        wrong_proof = {
            "Audience": "urn:343:s3:services",
            "MinVersion": "4",
            "Proof": [{"Token": got["xsts_xbl"]["Token"], "TokenType": "Xbox_XSTSv3"}],
        }
        async with http.post(f"{urls['settings']}/spartan-token", json=wrong_proof) as r:
            assert r.status == 401
        wrong_proof["Audience"] = "urn:other"
        async with http.post(f"{urls['settings']}/spartan-token", json=wrong_proof) as r:
            assert r.status == 400


async def test_tokens_expire_on_the_simulated_clock(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    got = await _answers(sim)
    urls = service_urls(sim.root)
    await sim.advance(17)  # past the XSTS token's 16 hours
    body = {
        "Audience": "urn:343:s3:services",
        "MinVersion": "4",
        "Proof": [{"Token": got["xsts"]["Token"], "TokenType": "Xbox_XSTSv3"}],
    }
    async with (
        sim.http() as http,
        http.post(f"{urls['settings']}/spartan-token", json=body) as r,
    ):
        assert r.status == 401


async def test_openid_discovery_document(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    async with (
        sim.http() as http,
        http.get(f"{sim.authority}/v2.0/.well-known/openid-configuration") as r,
    ):
        doc = await r.json()
    for key in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint"):
        assert doc[key].startswith(sim.authority + "/oauth2/v2.0/")
    assert doc["issuer"].startswith("https://")
