"""The Waypoint and identity hosts, by service name.

Why: the client and the simulator must agree on one table. The simulator serves each host
under `http://127.0.0.1:PORT/<host>/...`, so a client switches to it by changing its root.
"""

from __future__ import annotations

WAYPOINT_HOSTS: dict[str, str] = {
    "stats": "halostats.svc.halowaypoint.com",
    "skill": "skill.svc.halowaypoint.com",
    "gamecms": "gamecms-hacs.svc.halowaypoint.com",
    "discovery": "discovery-infiniteugc.svc.halowaypoint.com",
    "profile": "profile.svc.halowaypoint.com",
    "economy": "economy.svc.halowaypoint.com",
    "settings": "settings.svc.halowaypoint.com",
    "comms": "comms.svc.halowaypoint.com",
    "banprocessor": "banprocessor.svc.halowaypoint.com",
}

IDENTITY_HOSTS: dict[str, str] = {
    "xbox_user": "user.auth.xboxlive.com",
    "xsts": "xsts.auth.xboxlive.com",
}

HALO_RELYING_PARTY = "https://prod.xsts.halowaypoint.com/"
XBOX_RELYING_PARTY = "http://xboxlive.com"
XBOX_USER_RELYING_PARTY = "http://auth.xboxlive.com"


def service_urls(root: str | None = None) -> dict[str, str]:
    """Base URL per service: the real HTTPS hosts, or `<root>/<host>` for a simulator/proxy."""
    hosts = {**WAYPOINT_HOSTS, **IDENTITY_HOSTS}
    if root is None:
        return {name: f"https://{host}" for name, host in hosts.items()}
    root = root.rstrip("/")
    return {name: f"{root}/{host}" for name, host in hosts.items()}
