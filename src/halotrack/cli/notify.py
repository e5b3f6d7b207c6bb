"""`halotrack notify add|list|remove|test|send`: where notifications go, and sending them.

Targets are apprise URLs (Discord, Telegram, Slack, ntfy, email, json:// webhooks...) kept
in an owner-only file; they are shown as scheme + host + `***`, never whole. The logic is
`halotrack.usecases.notify`; the sender is built by `halotrack.wiring.notify`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import typer

from halotrack.cli.common import JsonOpt, console, open_db, print_json, state

KIND_NAMES = "rank,session,best,season,gamertag,ops"

app = typer.Typer(
    help="Notifications to Discord, ntfy, email, webhooks...: add, list, remove, test, send.",
    no_args_is_help=True,
)


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def _done(as_json: bool, data: Mapping[str, object], line: str) -> None:
    """A one-result command's answer: JSON for scripts, else one line."""
    if as_json:
        print_json(data)
    else:
        _say(line)


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="An apprise URL, e.g. discord://ID/TOKEN.")],
    player: Annotated[
        list[str] | None,
        typer.Option("--player", "-p", help="Only events of this watched player (repeat)."),
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help=f"Only these kinds: {KIND_NAMES}.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send future events to URL (it does not get the events stored before)."""
    from halotrack.usecases.notify import add_target
    from halotrack.wiring.notify import sender_from_settings

    settings = state(ctx).settings()
    with open_db(ctx) as store:
        target = add_target(
            store, sender_from_settings(settings), url, players=player or (), kinds=on
        )
    data = {"id": target.id, "url": target.shown, "kinds": list(target.kinds)}
    _done(as_json, data, f"added {target.id}: {target.shown} ({','.join(target.kinds)})")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Also the messages given up, with why.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The targets, their deliveries, and (--failed) what was given up."""
    from halotrack.usecases.notify import list_targets

    with open_db(ctx) as store:
        listing = list_targets(store, failed=failed)
    if as_json:
        print_json(listing.to_dict())
        return
    if not listing.targets:
        _say("no notification targets; add one: `halotrack notify add URL`")
    for t in listing.targets:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(t.counts.items())) or "none yet"
        who = ", ".join(t.players) or "everyone"
        _say(f"{t.id}  {t.shown}")
        _say(f"        {','.join(t.kinds)} of {who}; {counts}")
    if failed:
        if not listing.failed:
            _say("nothing given up")
        for f in listing.failed:
            _say(f"{f.target}  {f.title} ({f.attempts} attempts)")
            _say(f"        {f.last_error or 'no reason kept'}  id: {f.event_id}")


@app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    target_id: Annotated[str, typer.Argument(metavar="ID", help="The id `notify list` shows.")],
    as_json: JsonOpt = False,
) -> None:
    """Stop notifying a target and forget its deliveries."""
    from halotrack.usecases.notify import remove_target

    with open_db(ctx) as store:
        target = remove_target(store, target_id)
    data = {"removed": target.id, "url": target.shown}
    _done(as_json, data, f"removed {target.id}: {target.shown}")


@app.command("test")
def test_cmd(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="URL|ID", help="A URL or a target's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Send a test message now and say whether it arrived."""
    from halotrack.usecases.notify import send_test
    from halotrack.wiring.notify import sender_from_settings

    shown = send_test(sender_from_settings(state(ctx).settings()), target)
    _done(as_json, {"sent": shown}, f"sent a test message to {shown}")


@app.command("send")
def send_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Deliver what is due now (`track` does this after each cycle)."""
    from halotrack.usecases.notify import send_pending
    from halotrack.wiring.notify import sender_from_settings

    settings = state(ctx).settings()
    with open_db(ctx) as store:
        report = send_pending(store, sender_from_settings(settings))
    if as_json:
        print_json(report.to_dict())
        return
    if not report.targets:
        _say("no notification targets; add one: `halotrack notify add URL`")
        return
    _say(report.summary())
