"""Each sign-in step's failure names the step and the status and says what to do."""

from __future__ import annotations

import logging

import pytest

from halotrack.auth import SignedInTokens, SignInConfig, TokenStore, load_provider
from halotrack.config import Settings
from halotrack.errors import AuthError
from halotrack.simulator.identity import XERR_CHILD, XERR_NO_PROFILE
from tests.support import auth as auth_support

# Fixtures shared by the sign-in tests (see auth_support.py).
tls_ca = auth_support.tls_ca
auth_home = auth_support.auth_home
identity_sim = auth_support.identity_sim


async def _login_error(sim, **kw) -> AuthError:  # type: ignore[no-untyped-def]
    with pytest.raises(AuthError) as err:
        await sim.device_login(**kw)
    assert TokenStore().load_session() is None  # nothing half-stored
    return err.value


async def test_declined_device_code(identity_sim) -> None:  # type: ignore[no-untyped-def]
    err = await _login_error(identity_sim, deny=True)
    assert err.step == "msal"
    assert "authorization_declined" in err.message
    assert "declined" in (err.hint or "")


async def test_token_endpoint_outage_is_an_msal_error(identity_sim) -> None:  # type: ignore[no-untyped-def]
    identity_sim.plugin.faults["token"] = 500
    err = await _login_error(identity_sim)
    assert err.step == "msal"


async def test_device_code_endpoint_outage(identity_sim) -> None:  # type: ignore[no-untyped-def]
    identity_sim.plugin.faults["devicecode"] = 503
    err = await _login_error(identity_sim)
    assert err.step == "msal"


async def test_unreachable_authority(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    config = SignInConfig(
        client_id="c",
        authority="https://127.0.0.1:9/login.microsoftonline.com/consumers",
        api_root=sim.root,
        ca_bundle=sim.ca_file,
    )
    err = await _login_error(sim, config=config)
    assert err.step == "msal"
    assert "network" in (err.hint or "") or "authority" in (err.hint or "")


async def test_untrusted_certificate_is_refused(identity_sim, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No TLS check is off: a CA that did not sign the simulator's certificate fails."""
    import trustme

    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    sim = identity_sim
    config = SignInConfig(
        client_id="c", authority=sim.authority, api_root=sim.root, ca_bundle=str(other)
    )
    err = await _login_error(sim, config=config)
    assert err.step == "msal"


@pytest.mark.parametrize(("status", "hint"), [(401, "login"), (503, "retry later")])
async def test_xbox_user_failures(identity_sim, status: int, hint: str) -> None:  # type: ignore[no-untyped-def]
    identity_sim.plugin.faults["xbox_user"] = status
    err = await _login_error(identity_sim)
    assert (err.step, err.status) == ("xbox-user", status)
    assert hint in (err.hint or "")


@pytest.mark.parametrize(
    ("xerr", "hint"),
    [(XERR_NO_PROFILE, "xbox.com"), (XERR_CHILD, "family")],
)
async def test_xsts_refuses_account(identity_sim, xerr: int, hint: str) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    xuid, _ = sim.first_player()
    sim.plugin.bad_accounts[xuid] = xerr
    err = await _login_error(sim, xuid=xuid)
    assert (err.step, err.status) == ("xsts", 401)
    assert str(xerr) in err.message
    assert hint in (err.hint or "")


async def test_xsts_outage(identity_sim) -> None:  # type: ignore[no-untyped-def]
    identity_sim.plugin.faults["xsts"] = 502
    err = await _login_error(identity_sim)
    assert (err.step, err.status) == ("xsts", 502)
    assert "retry later" in (err.hint or "")


async def test_spartan_outage(identity_sim) -> None:  # type: ignore[no-untyped-def]
    identity_sim.plugin.faults["spartan"] = 503
    err = await _login_error(identity_sim)
    assert (err.step, err.status) == ("spartan", 503)
    assert "retry later" in (err.hint or "")
    assert "cached tokens" in (err.hint or "")


@pytest.mark.parametrize(("status", "hint"), [(403, "launch"), (500, "retry later")])
async def test_clearance_failures(identity_sim, status: int, hint: str) -> None:  # type: ignore[no-untyped-def]
    identity_sim.plugin.faults["clearance"] = status
    err = await _login_error(identity_sim)
    assert (err.step, err.status) == ("clearance", status)
    assert hint in (err.hint or "").lower()


async def _signed_in(sim) -> SignedInTokens:  # type: ignore[no-untyped-def]
    await sim.device_login()
    provider = load_provider(Settings(api=sim.root), clock=sim.now)
    assert isinstance(provider, SignedInTokens)
    return provider


async def test_outage_inside_the_margin_keeps_using_the_valid_token(  # type: ignore[no-untyped-def]
    identity_sim, caplog
) -> None:
    sim = identity_sim
    provider = await _signed_in(sim)
    first = await provider.get()
    sim.plugin.faults["spartan"] = 503
    await sim.advance(4 - 2 / 60)  # two minutes before expiry: inside the margin
    with caplog.at_level(logging.WARNING, logger="halotrack.auth"):
        again = await provider.get()
    assert again.spartan == first.spartan
    assert any("using it until it expires" in r.getMessage() for r in caplog.records)
    await sim.advance(5 / 60)  # now it has expired: the outage is the user's problem
    with pytest.raises(AuthError) as err:
        await provider.get()
    assert (err.value.step, err.value.status) == ("spartan", 503)
    del sim.plugin.faults["spartan"]
    fresh = await provider.get()
    assert fresh.spartan != first.spartan


async def test_clearance_outage_on_renewal_keeps_cached_clearance(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    provider = await _signed_in(sim)
    first = await provider.get()
    sim.plugin.faults["clearance"] = 500
    renewed = await provider.refresh()
    assert renewed.spartan != first.spartan
    assert renewed.clearance == first.clearance == sim.state.clearance_id


async def test_revoked_refresh_token_says_sign_in_again(identity_sim) -> None:  # type: ignore[no-untyped-def]
    sim = identity_sim
    provider = await _signed_in(sim)
    sim.plugin.revoke_all()
    await sim.advance(24 * 15)  # Xbox user token gone: msal must use the refresh token
    with pytest.raises(AuthError) as err:
        await provider.get()
    assert err.value.step == "msal"
    assert "invalid_grant" in err.value.message
    assert "auth login" in (err.value.hint or "")


async def test_rotated_out_refresh_token_is_refused(identity_sim) -> None:  # type: ignore[no-untyped-def]
    """A copy of the msal cache taken before a refresh holds a dead refresh token."""
    sim = identity_sim
    provider = await _signed_in(sim)
    store = TokenStore()
    old_cache = store.load_msal_cache()
    old_session = store.load_session()
    assert old_cache and old_session
    await sim.advance(24 * 15)
    await provider.get()  # rotates the refresh token
    store.save_msal_cache(old_cache)
    store.save_session(old_session)
    stale = load_provider(Settings(api=sim.root), clock=sim.now)
    assert isinstance(stale, SignedInTokens)
    with pytest.raises(AuthError) as err:
        await stale.refresh()
    assert err.value.step == "msal"
    assert "invalid_grant" in err.value.message


async def test_pasted_token_cannot_renew(identity_sim) -> None:  # type: ignore[no-untyped-def]
    from halotrack.auth import paste

    sim = identity_sim
    xuid, _ = sim.first_player()
    token, _ = sim.state.issue_spartan_token(xuid)
    header_line = f"x-343-authorization-spartan: {token}\n"  # a whole copied header line
    stored = await paste(header_line, None, api_root=sim.root, ca_bundle=sim.ca_file)
    assert stored.xuid == xuid and stored.clearance == sim.state.clearance_id
    provider = load_provider(Settings(api=sim.root), clock=sim.now)
    assert provider is not None
    assert (await provider.get()).spartan == token
    with pytest.raises(AuthError) as err:
        await provider.refresh()
    assert err.value.step == "paste"
    assert "auth paste" in (err.value.hint or "")


async def test_paste_refused_token(identity_sim) -> None:  # type: ignore[no-untyped-def]
    from halotrack.auth import paste

    sim = identity_sim
    with pytest.raises(AuthError) as err:
        await paste("v4=not-a-real-token", None, api_root=sim.root, ca_bundle=sim.ca_file)
    assert (err.value.step, err.value.status) == ("paste", 401)
    assert TokenStore().load_session() is None
