"""The notification sender: apprise, built from settings, with its logging kept quiet.

Why here: apprise (Discord, Telegram, Slack, ntfy, email, JSON webhooks... by URL) is an I/O
object like the API client, and `wiring` is where those are built; the use case
(`usecases.notify`) decides what is due and only sees the `Sender` protocol.

Webhook URLs carry secrets (a Discord webhook's token is in its path, a Telegram bot's in its
host). apprise logs request URLs at DEBUG and so does urllib3 below it, so once a sender is
built both loggers stop propagating, drop everything below WARNING and pass the rest on to
`halotrack.notify` (at INFO: `--debug` shows them), each known URL's secret parts replaced
by `***`. The last such warning of a send is the reason a failed attempt keeps.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from halotrack.usecases.notify import DeliveryFailed, Message, secret_parts

if TYPE_CHECKING:
    from halotrack.config import Settings

log = logging.getLogger("halotrack.notify")

DEFAULT_TIMEOUT = 10.0
_QUIETED = ("apprise", "urllib3")


class _Redacting(logging.Handler):
    """Takes over the records of apprise and urllib3 (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.secrets: set[str] = set()
        self.local = threading.local()

    def redact(self, text: str) -> str:
        for part in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(part, "***")
        return text

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.redact(record.getMessage())
        except Exception:  # a malformed record says nothing worth keeping
            text = f"{record.name}: unreadable log record"
        if getattr(self.local, "silent", False):
            return
        reasons = getattr(self.local, "reasons", None)
        if reasons is not None:
            reasons.append(text)
        log.info("%s", text)  # the reason is kept with the delivery; details with --debug


_handler: _Redacting | None = None
_handler_lock = threading.Lock()


def _quiet_logging() -> _Redacting:
    global _handler
    with _handler_lock:
        if _handler is None:
            _handler = _Redacting()
            for name in _QUIETED:
                logger = logging.getLogger(name)
                logger.propagate = False
                logger.setLevel(logging.WARNING)
                logger.addHandler(_handler)
        return _handler


class AppriseSender:
    """Sends one message to one apprise URL, or raises `DeliveryFailed` with a reason that
    names no part of the URL. `timeout` bounds each connect and each read."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._logs = _quiet_logging()

    def __repr__(self) -> str:
        return f"AppriseSender(timeout={self.timeout})"

    def _plugin(self, url: str) -> Any:
        import apprise  # here: only sending pays for it

        self._logs.secrets.update(secret_parts(url))
        return apprise.Apprise.instantiate(url, suppress_exceptions=True)

    def accepts(self, url: str) -> bool:
        """apprise knows the URL's scheme and can build a service from it."""
        self._logs.local.silent = True  # a refusal is the caller's one-line error
        try:
            return self._plugin(url) is not None
        finally:
            self._logs.local.silent = False

    def send(self, url: str, message: Message) -> None:
        plugin = self._plugin(url)
        if plugin is None:
            raise DeliveryFailed("apprise cannot use this URL any more")
        plugin.socket_connect_timeout = self.timeout
        plugin.socket_read_timeout = self.timeout
        plugin.redirects = False  # a token in the URL or its user:password never follows one
        extras = getattr(plugin, "payload_extras", None)
        if isinstance(extras, dict):  # json:// and the like: the id as a field of its own
            extras["event_id"] = message.event_id
        reasons: list[str] = []
        self._logs.local.reasons = reasons
        try:
            ok = plugin.notify(body=message.text(), title=message.title)
        except Exception as exc:  # a plugin's bug must not stop the other deliveries
            raise DeliveryFailed(self._logs.redact(f"{type(exc).__name__}: {exc}")[:300]) from None
        finally:
            self._logs.local.reasons = None
        if not ok:
            raise DeliveryFailed((reasons[-1] if reasons else "not delivered")[:300])


def sender_from_settings(settings: Settings) -> AppriseSender:
    """The sender every command uses; `notify_timeout` in the config file sets its timeout."""
    value = settings.extra.get("notify_timeout", DEFAULT_TIMEOUT)
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        timeout = DEFAULT_TIMEOUT
    return AppriseSender(timeout=timeout if timeout > 0 else DEFAULT_TIMEOUT)
