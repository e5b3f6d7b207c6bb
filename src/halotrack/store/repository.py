"""The repository: every read and write the tracker, CLI and report make, in transactions.

Synchronous SQLAlchemy Core. Async callers wrap calls with `halotrack.store.to_thread`
(one worker thread per call; the engine's pool makes that safe).

    store = open_store("sqlite:///halotrack.sqlite")
    with store.transaction() as tx:          # one atomic unit: all of it or none of it
        tx.save_service_record(xuid, "matchmade", Scope(), raw, now)
        tx.save_csr(xuid, playlist, season, result, now)
        tx.watch_update(xuid, last_checked_at=now)

`Store` has the same methods, each call in a unit of its own (`halotrack.store.session`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy import Engine

from halotrack.errors import ParseError, StoreError
from halotrack.models._base import utcnow
from halotrack.models.csr import csr_label
from halotrack.models.decoding import decode_as
from halotrack.models.discovery import UgcAsset
from halotrack.models.enums import learn_names
from halotrack.models.gamecms import MedalMetadata
from halotrack.models.stats import ServiceRecord
from halotrack.models.summary import kd_or_none
from halotrack.models.xmlnames import NAMES_KEY, NameBook
from halotrack.models.xuid import parse_xuid, written_as_xuid
from halotrack.store import extract, migrate
from halotrack.store.engine import (
    WRITE,
    describe,
    make_engine,
    mapped_errors,
    missing_database,
    parse_url,
)
from halotrack.store.matches import MatchReader, MatchWriter
from halotrack.store.schema import (
    csr_snapshots,
    gamertags,
    metadata_cache,
    players,
    seasons_fetched,
    service_records,
    watch_list,
)
from halotrack.store.scope import Scope, check_kind
from halotrack.store.session import ignoring_insert, insert_ignore, reads, writes

SaveResult = Literal["created", "unchanged"]
GAMERTAG_KIND = "gamertag"  # metadata cache: key the XUID, body the gamertag


def _aware(when: datetime, name: str) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")
    return when.astimezone(UTC)


def _oldest_first(
    q: sa.Select[Any], table: sa.Table, since: datetime | None, until: datetime | None
) -> sa.Select[Any]:
    """A snapshot table's rows captured in [since, until], oldest first (ties by id, the
    order they were stored)."""
    if since is not None:
        q = q.where(table.c.captured_at >= _aware(since, "since"))
    if until is not None:
        q = q.where(table.c.captured_at <= _aware(until, "until"))
    return q.order_by(table.c.captured_at, table.c.id)


T = TypeVar("T")

# The K/D rule under the name the site's readers import (the rule is `models.summary`'s).
kd = kd_or_none


@dataclass(frozen=True, slots=True)
class StoredPlayer:
    xuid: int
    gamertag: str | None
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class GamertagSeen:
    gamertag: str
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceRecordSnapshot:
    """One stored service record: the extracted numbers plus the raw JSON as sent."""

    id: int
    xuid: int
    kind: str
    scope_key: str
    captured_at: datetime
    verified_at: datetime
    content_hash: str
    matches_completed: int | None
    wins: int | None
    losses: int | None
    ties: int | None
    kills: int | None
    deaths: int | None
    assists: int | None
    kda: float | None
    accuracy: float | None
    damage_dealt: int | None
    damage_taken: int | None
    time_played_seconds: float | None
    score: int | None
    personal_score: int | None
    raw_json: str

    @property
    def scope(self) -> Scope:
        return Scope.parse(self.scope_key)

    @property
    def raw(self) -> dict[str, Any]:
        data = json.loads(self.raw_json)
        assert isinstance(data, dict)
        return data

    @property
    def kd(self) -> float | None:
        return kd_or_none(self.kills, self.deaths)


@dataclass(frozen=True, slots=True)
class CsrSnapshot:
    """One stored CSR reading for a player, playlist and CSR season."""

    id: int
    xuid: int
    playlist_id: str
    csr_season_id: str
    captured_at: datetime
    verified_at: datetime
    content_hash: str
    current_value: int | None
    current_tier: str | None
    current_sub_tier: int | None
    matches_remaining: int | None
    season_max_value: int | None
    season_max_tier: str | None
    season_max_sub_tier: int | None
    all_time_max_value: int | None
    all_time_max_tier: str | None
    all_time_max_sub_tier: int | None
    raw_json: str

    @property
    def raw(self) -> dict[str, Any]:
        data = json.loads(self.raw_json)
        assert isinstance(data, dict)
        return data

    def label(self) -> str:
        """`Diamond 6 (1487)`, `Onyx 1549`, `Unranked, 3 placement matches left`."""
        return csr_label(
            self.current_value if self.current_value is not None else -1,
            self.current_tier or "",
            self.current_sub_tier or 0,
            self.matches_remaining or 0,
        )


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """A tracked player and the tracker's bookkeeping for them."""

    xuid: int
    gamertag: str | None
    matches_opt_in: bool
    added_at: datetime
    options: dict[str, Any]
    last_checked_at: datetime | None
    last_played_at: datetime | None
    last_match_count: int | None
    next_check_at: datetime | None
    failure_count: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class CachedMetadata:
    kind: str
    key: str
    etag: str | None
    fetched_at: datetime
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    def decoded(self, model: type[T]) -> T | None:
        """The body through the model the client decodes it with; None when it no longer
        decodes (the API changed shape, or the row was hurt): readers then fall back as
        if it had never been fetched."""
        try:
            return decode_as(model, self.body, source=f"cached {self.kind} {self.key}")
        except ParseError:
            return None


_RECORD_FIELDS = tuple(f.name for f in fields(ServiceRecordSnapshot))
_CSR_FIELDS = tuple(f.name for f in fields(CsrSnapshot))
_WATCH_UPDATABLE = {
    "last_checked_at",
    "last_played_at",
    "last_match_count",
    "next_check_at",
    "failure_count",
    "last_error",
    "matches_opt_in",
    "options",
}


# Hot-path statements built once: the tracker runs these for every player on every cycle.
_b = sa.bindparam
_PLAYER_FOR_UPDATE = sa.select(players.c.xuid).where(players.c.xuid == _b("xuid")).with_for_update()


@dataclass(frozen=True, slots=True)
class _SnapshotSql:
    """A snapshot table's statements for one slice (its key columns bound by name): the newest
    row, the newest row's id and hash, and moving a row's `verified_at` forward."""

    table: sa.Table
    newest: sa.Select[Any]
    last: sa.Select[Any]
    verify: sa.Update


def _snapshot_sql(table: sa.Table, *slice_keys: str) -> _SnapshotSql:
    newest = (
        sa.select(table)
        .where(*(table.c[k] == _b(k) for k in slice_keys))
        .order_by(table.c.captured_at.desc(), table.c.id.desc())
        .limit(1)
    )
    verify = (
        table.update()
        .where(table.c.id == _b("row_id"), table.c.verified_at < _b("when"))
        .values(verified_at=_b("when"))
    )
    return _SnapshotSql(
        table, newest, newest.with_only_columns(table.c.id, table.c.content_hash), verify
    )


_RECORDS = _snapshot_sql(service_records, "xuid", "kind", "scope_key")
_CSRS = _snapshot_sql(csr_snapshots, "xuid", "playlist_id", "csr_season_id")


def _prepare(raw: bytes | str | Mapping[str, Any], what: str) -> tuple[dict[str, Any], str, str]:
    try:
        return extract.prepare(raw)
    except extract.BadBody as exc:
        raise StoreError(
            f"cannot store this {what}: {exc}",
            hint="the API sent an unexpected body; nothing was written. Rerun with --debug",
        ) from None


def _record(row: sa.Row[Any]) -> ServiceRecordSnapshot:
    m = row._mapping
    return ServiceRecordSnapshot(**{f: m[f] for f in _RECORD_FIELDS})


def _csr(row: sa.Row[Any]) -> CsrSnapshot:
    m = row._mapping
    return CsrSnapshot(**{f: m[f] for f in _CSR_FIELDS})


class StoreReader(MatchReader):
    """Every query of the store, on one connection (see `halotrack.store.session`)."""

    # -- players ------------------------------------------------------------------------

    @reads
    def get_player(self, xuid: int | str) -> StoredPlayer | None:
        row = self.conn.execute(
            sa.select(players).where(players.c.xuid == parse_xuid(xuid))
        ).first()
        return StoredPlayer(**row._mapping) if row else None

    @reads
    def find_player(self, text: str) -> StoredPlayer | None:
        """A player by XUID, current gamertag, or any past gamertag (case-insensitive)."""
        text = text.strip()
        xuid = written_as_xuid(text)  # out of range: XuidError, one line at the CLI
        if xuid is not None:
            return self.get_player(xuid)
        xuid = self._xuid_by_gamertag(players.c.gamertag, players.c.xuid, text)
        if xuid is None:
            xuid = self._xuid_by_gamertag(
                gamertags.c.gamertag, gamertags.c.xuid, text, newest=gamertags.c.last_seen_at
            )
        return self.get_player(xuid) if xuid is not None else None

    def _xuid_by_gamertag(
        self, column: Any, xuid_column: Any, text: str, newest: Any = None
    ) -> int | None:
        """Exact match first, then SQL lower() (ASCII only on SQLite), then a Unicode
        casefold over the table, so `ÉCLAIR` finds `éclair` on every backend. With `newest`,
        the most recently seen holder of a reused gamertag wins."""
        order = [newest.desc()] if newest is not None else []
        for cond in (column == text, sa.func.lower(column) == text.lower()):
            query = sa.select(xuid_column).where(cond).order_by(*order).limit(1)
            row = self.conn.execute(query).first()
            if row is not None:
                return int(row[0])
        folded = text.casefold()
        for name, xuid in self.conn.execute(sa.select(column, xuid_column).order_by(*order)):
            if name is not None and name.casefold() == folded:
                return int(xuid)
        return None

    @reads
    def list_players(self) -> list[StoredPlayer]:
        rows = self.conn.execute(sa.select(players).order_by(players.c.gamertag, players.c.xuid))
        return [StoredPlayer(**r._mapping) for r in rows]

    @reads
    def gamertag_history(self, xuid: int | str) -> list[GamertagSeen]:
        rows = self.conn.execute(
            sa.select(gamertags.c.gamertag, gamertags.c.first_seen_at, gamertags.c.last_seen_at)
            .where(gamertags.c.xuid == parse_xuid(xuid))
            .order_by(gamertags.c.first_seen_at, gamertags.c.id)
        )
        return [GamertagSeen(**r._mapping) for r in rows]

    # -- service records ----------------------------------------------------------------

    @reads
    def latest_record(
        self, xuid: int | str, kind: str = "matchmade", scope: Scope | None = None
    ) -> ServiceRecordSnapshot | None:
        key = (scope or Scope()).key()
        row = self.conn.execute(
            _RECORDS.newest, {"xuid": parse_xuid(xuid), "kind": kind, "scope_key": key}
        ).first()
        return _record(row) if row else None

    @reads
    def records_history(
        self,
        xuid: int | str,
        scope: Scope | None = None,
        since: datetime | None = None,
        *,
        kind: str | None = "matchmade",
        until: datetime | None = None,
        all_scopes: bool = False,
    ) -> list[ServiceRecordSnapshot]:
        """Snapshots oldest first. `scope` None is lifetime unless `all_scopes`; `kind`
        None is every kind."""
        q = sa.select(service_records).where(service_records.c.xuid == parse_xuid(xuid))
        if not all_scopes:
            q = q.where(service_records.c.scope_key == (scope or Scope()).key())
        if kind is not None:
            q = q.where(service_records.c.kind == kind)
        q = _oldest_first(q, service_records, since, until)
        return [_record(r) for r in self.conn.execute(q)]

    @reads
    def record_scopes(self, xuid: int | str) -> list[tuple[str, str]]:
        """Every (kind, scope key) stored for a player."""
        rows = self.conn.execute(
            sa.select(service_records.c.kind, service_records.c.scope_key)
            .where(service_records.c.xuid == parse_xuid(xuid))
            .distinct()
            .order_by(service_records.c.kind, service_records.c.scope_key)
        )
        return [(r.kind, r.scope_key) for r in rows]

    # -- CSR ----------------------------------------------------------------------------

    @reads
    def latest_csr(
        self, xuid: int | str, playlist_id: str, csr_season_id: str
    ) -> CsrSnapshot | None:
        slice_ = {
            "xuid": parse_xuid(xuid),
            "playlist_id": playlist_id.lower(),
            "csr_season_id": csr_season_id,
        }
        row = self.conn.execute(_CSRS.newest, slice_).first()
        return _csr(row) if row else None

    @reads
    def csr_history(
        self,
        xuid: int | str,
        playlist_id: str | None = None,
        csr_season_id: str | None = None,
        since: datetime | None = None,
        *,
        until: datetime | None = None,
    ) -> list[CsrSnapshot]:
        """CSR snapshots oldest first, optionally for one playlist and/or CSR season."""
        q = sa.select(csr_snapshots).where(csr_snapshots.c.xuid == parse_xuid(xuid))
        if playlist_id is not None:
            q = q.where(csr_snapshots.c.playlist_id == playlist_id.lower())
        if csr_season_id is not None:
            q = q.where(csr_snapshots.c.csr_season_id == csr_season_id)
        q = _oldest_first(q, csr_snapshots, since, until)
        return [_csr(r) for r in self.conn.execute(q)]

    # -- watch list ---------------------------------------------------------------------

    def _watch_query(self) -> sa.Select[Any]:
        return sa.select(watch_list, players.c.gamertag).join(
            players, players.c.xuid == watch_list.c.xuid
        )

    @staticmethod
    def _watch(row: sa.Row[Any]) -> WatchEntry:
        m = dict(row._mapping)
        m["options"] = json.loads(m.pop("options_json") or "{}")
        m["matches_opt_in"] = bool(m["matches_opt_in"])
        return WatchEntry(**m)

    @reads
    def watch_get(self, xuid: int | str) -> WatchEntry | None:
        row = self.conn.execute(
            self._watch_query().where(watch_list.c.xuid == parse_xuid(xuid))
        ).first()
        return self._watch(row) if row else None

    @reads
    def watch_list(self, *, due_at: datetime | None = None) -> list[WatchEntry]:
        """Watched players; with `due_at`, only those whose next check is due by then."""
        q = self._watch_query()
        if due_at is not None:
            when = _aware(due_at, "due_at")
            q = q.where(
                sa.or_(watch_list.c.next_check_at.is_(None), watch_list.c.next_check_at <= when)
            )
        # Never-checked players first on both backends (their NULL sorts differently).
        q = q.order_by(
            sa.nulls_first(watch_list.c.next_check_at), watch_list.c.added_at, watch_list.c.xuid
        )
        return [self._watch(r) for r in self.conn.execute(q)]

    # -- metadata cache -----------------------------------------------------------------

    @reads
    def get_metadata(self, kind: str, key: str) -> CachedMetadata | None:
        row = self.conn.execute(
            sa.select(metadata_cache).where(
                metadata_cache.c.kind == kind, metadata_cache.c.key == key
            )
        ).first()
        return CachedMetadata(**row._mapping) if row else None

    @reads
    def metadata_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], CachedMetadata]:
        """(kind, key) -> `get_metadata` of each of these that is cached, in one query (a
        page reads several documents)."""
        wanted = set(keys)
        if not wanted:
            return {}
        mc = metadata_cache.c
        rows = self.conn.execute(
            sa.select(metadata_cache).where(
                mc.kind.in_(sorted({k for k, _ in wanted})),
                mc.key.in_(sorted({k for _, k in wanted})),
            )
        )
        found = (CachedMetadata(**r._mapping) for r in rows)
        return {(m.kind, m.key): m for m in found if (m.kind, m.key) in wanted}

    @reads
    def medal_names(self) -> dict[int, str]:
        """NameId -> English medal name from the newest cached medals metadata, if any."""
        row = self.conn.execute(
            sa.select(metadata_cache)
            .where(sa.func.lower(metadata_cache.c.key).like("%medals/metadata.json"))
            .order_by(metadata_cache.c.fetched_at.desc())
            .limit(1)
        ).first()
        meta = CachedMetadata(**row._mapping).decoded(MedalMetadata) if row else None
        return {m.name_id: m.name.value for m in meta.medals} if meta is not None else {}

    @reads
    def playlist_name(self, playlist_id: str) -> str | None:
        """A playlist's `PublicName` from any cached document keyed by its id, if cached."""
        rows = self.conn.execute(
            sa.select(metadata_cache.c.body)
            .where(
                sa.func.lower(metadata_cache.c.key).contains(playlist_id.lower(), autoescape=True)
            )
            .order_by(metadata_cache.c.fetched_at.desc())
        )
        for row in rows:
            try:
                name = decode_as(UgcAsset, row.body).public_name
            except ParseError:
                continue
            if name:
                return name
        return None

    @reads
    def cached_gamertags(self, xuids: Iterable[int]) -> dict[int, str]:
        """Gamertags of these XUIDs as the profile service last gave them (`put_gamertags`)."""
        keys = sorted({str(x) for x in xuids})
        out: dict[int, str] = {}
        for i in range(0, len(keys), 500):
            rows = self.conn.execute(
                sa.select(metadata_cache.c.key, metadata_cache.c.body).where(
                    metadata_cache.c.kind == GAMERTAG_KIND,
                    metadata_cache.c.key.in_(keys[i : i + 500]),
                )
            )
            out.update((int(r.key), r.body) for r in rows if r.body)
        return out

    @reads
    def display_names(self, xuids: Iterable[int]) -> dict[int, str]:
        """Names to show for XUIDs: a tracked player's own gamertag, else the one the
        profile service last gave (`cached_gamertags`)."""
        wanted = sorted(set(xuids))
        out = self.cached_gamertags(wanted)
        for i in range(0, len(wanted), 500):
            rows = self.conn.execute(
                sa.select(players.c.xuid, players.c.gamertag).where(
                    players.c.xuid.in_(wanted[i : i + 500]), players.c.gamertag.is_not(None)
                )
            )
            out.update((int(r.xuid), r.gamertag) for r in rows)
        return out

    # -- seasons fetched ----------------------------------------------------------------

    @reads
    def season_fetched(self, xuid: int | str, source: str, season_id: str) -> bool:
        row = self.conn.execute(
            sa.select(seasons_fetched.c.fetched_at).where(
                seasons_fetched.c.xuid == parse_xuid(xuid),
                seasons_fetched.c.source == source,
                seasons_fetched.c.season_id == season_id,
            )
        ).first()
        return row is not None

    # -- integrity ----------------------------------------------------------------------

    @reads
    def integrity_check(self) -> list[str]:
        """Problems found (empty when sound): SQLite's own check, foreign keys, duplicate or
        repeated snapshots, raw JSON that does not match its hash."""
        problems: list[str] = []
        c = self.conn
        if c.dialect.name == "sqlite":
            for (msg,) in c.exec_driver_sql("PRAGMA integrity_check"):
                if msg != "ok":
                    problems.append(f"sqlite integrity_check: {msg}")
            for row in c.exec_driver_sql("PRAGMA foreign_key_check"):
                problems.append(f"foreign key broken: table {row[0]} rowid {row[1]} -> {row[2]}")
            if problems:  # the checks below would read the damaged pages as data
                return problems
        for table in (gamertags, service_records, csr_snapshots, watch_list, seasons_fetched):
            orphans = c.execute(
                sa.select(sa.func.count())
                .select_from(table.outerjoin(players, players.c.xuid == table.c.xuid))
                .where(players.c.xuid.is_(None))
            ).scalar_one()
            if orphans:
                problems.append(f"{table.name}: {orphans} rows for players that do not exist")
        for table, keys in (
            (service_records, ("xuid", "kind", "scope_key")),
            (csr_snapshots, ("xuid", "playlist_id", "csr_season_id")),
        ):
            cols = [table.c[k] for k in keys]
            dupes = c.execute(
                sa.select(sa.func.count()).select_from(
                    sa.select(*cols, table.c.captured_at)
                    .group_by(*cols, table.c.captured_at)
                    .having(sa.func.count() > 1)
                    .subquery()
                )
            ).scalar_one()
            if dupes:
                problems.append(f"{table.name}: {dupes} duplicate (slice, captured_at) pairs")
            prev = (
                sa.func.lag(table.c.content_hash)
                .over(partition_by=cols, order_by=(table.c.captured_at, table.c.id))
                .label("prev")
            )
            seq = sa.select(table.c.content_hash, prev).subquery()
            repeats = c.execute(
                sa.select(sa.func.count()).select_from(seq).where(seq.c.prev == seq.c.content_hash)
            ).scalar_one()
            if repeats:
                problems.append(
                    f"{table.name}: {repeats} snapshots repeat the previous one's content"
                )
            for row in c.execute(sa.select(table.c.id, table.c.content_hash, table.c.raw_json)):
                try:
                    ok = extract.content_hash(json.loads(row.raw_json)) == row.content_hash
                except ValueError:
                    ok = False
                if not ok:
                    problems.append(f"{table.name} id {row.id}: raw JSON does not match its hash")
        return problems


class StoreTx(StoreReader, MatchWriter):
    """Every write of the store, and its queries, in one transaction."""

    # -- players ------------------------------------------------------------------------

    def _lock_player(self, xuid: int, seen_at: datetime) -> None:
        """Make sure the player row exists and hold it until commit.

        On PostgreSQL the row lock serialises two writers of the same player, so both cannot
        decide "changed" from the same previous snapshot; SQLite's BEGIN IMMEDIATE already
        serialises every writer.
        """
        if self.conn.execute(_PLAYER_FOR_UPDATE, {"xuid": xuid}).first() is not None:
            return
        insert_ignore(
            self.conn, players, {"xuid": xuid, "first_seen_at": seen_at, "last_seen_at": seen_at}
        )
        self.conn.execute(_PLAYER_FOR_UPDATE, {"xuid": xuid})

    @writes
    def upsert_player(
        self, xuid: int | str, gamertag: str | None = None, *, seen_at: datetime | None = None
    ) -> StoredPlayer:
        """Create the player if new; record the gamertag (and its history) when given."""
        x = parse_xuid(xuid)
        when = _aware(seen_at, "seen_at") if seen_at else utcnow()
        self._lock_player(x, when)
        self.conn.execute(
            players.update()
            .where(players.c.xuid == x, players.c.last_seen_at < when)
            .values(last_seen_at=when)
        )
        if gamertag:
            self.record_gamertag(x, gamertag, seen_at=when)
        player = self.get_player(x)
        assert player is not None
        return player

    @writes
    def record_gamertag(
        self, xuid: int | str, gamertag: str, *, seen_at: datetime | None = None
    ) -> bool:
        """Note that `xuid` was seen as `gamertag`; True when that is a change (new row)."""
        x = parse_xuid(xuid)
        when = _aware(seen_at, "seen_at") if seen_at else utcnow()
        self._lock_player(x, when)
        last = self.conn.execute(
            sa.select(gamertags.c.id, gamertags.c.gamertag, gamertags.c.last_seen_at)
            .where(gamertags.c.xuid == x)
            .order_by(gamertags.c.first_seen_at.desc(), gamertags.c.id.desc())
            .limit(1)
        ).first()
        changed = last is None or last.gamertag != gamertag
        if changed:
            self.conn.execute(
                gamertags.insert().values(
                    xuid=x, gamertag=gamertag, first_seen_at=when, last_seen_at=when
                )
            )
            self.conn.execute(players.update().where(players.c.xuid == x).values(gamertag=gamertag))
        elif last is not None and last.last_seen_at < when:
            self.conn.execute(
                gamertags.update().where(gamertags.c.id == last.id).values(last_seen_at=when)
            )
        return changed

    # -- snapshots ----------------------------------------------------------------------

    def _save_snapshot(
        self,
        sql: _SnapshotSql,
        slice_: dict[str, Any],
        when: datetime,
        digest: str,
        text: str,
        **columns: Any,
    ) -> SaveResult:
        """Insert a snapshot into this slice of a snapshot table unless the newest one there
        has the same content, which then only gets its `verified_at` moved forward."""
        last = self.conn.execute(sql.last, slice_).first()
        if last is not None and last.content_hash == digest:
            self.conn.execute(sql.verify, {"row_id": last.id, "when": when})
            return "unchanged"
        self.conn.execute(
            sql.table.insert().values(
                **slice_,
                captured_at=when,
                verified_at=when,
                content_hash=digest,
                raw_json=text,
                **columns,
            )
        )
        return "created"

    @writes
    def save_service_record(
        self,
        xuid: int | str,
        kind: str,
        scope: Scope,
        raw: ServiceRecord | bytes | str | Mapping[str, Any],
        captured_at: datetime,
    ) -> SaveResult:
        """Store a snapshot when the content differs from the latest one of this slice;
        otherwise only move that snapshot's `verified_at` forward. A decoded record is
        stored as the bytes it came from."""
        x = parse_xuid(xuid)
        check_kind(kind, scope)
        when = _aware(captured_at, "captured_at")
        body = raw.raw_bytes if isinstance(raw, ServiceRecord) else raw
        data, text, digest = _prepare(body, "service record")
        self._lock_player(x, when)
        return self._save_snapshot(
            _RECORDS,
            {"xuid": x, "kind": kind, "scope_key": scope.key()},
            when,
            digest,
            text,
            season_id=scope.season_id,
            game_variant_category=scope.game_variant_category,
            is_ranked=scope.is_ranked,
            playlist_asset_id=scope.playlist_asset_id,
            gameplay_interaction=scope.gameplay_interaction,
            **extract.service_record_columns(data),
        )

    @writes
    def save_csr(
        self,
        xuid: int | str,
        playlist_id: str,
        csr_season_id: str,
        raw: bytes | str | Mapping[str, Any],
        captured_at: datetime,
    ) -> SaveResult:
        """Store one player's CSR `Result` (or whole `{Id, ResultCode, Result}` entry) for a
        playlist and CSR season when it changed; else refresh `verified_at`."""
        x = parse_xuid(xuid)
        when = _aware(captured_at, "captured_at")
        data, text, digest = _prepare(raw, "CSR result")
        result = extract.unwrap_csr_entry(data)
        if result != data:
            data, text, digest = _prepare(result, "CSR result")
        self._lock_player(x, when)
        return self._save_snapshot(
            _CSRS,
            {"xuid": x, "playlist_id": playlist_id.lower(), "csr_season_id": csr_season_id},
            when,
            digest,
            text,
            **extract.csr_columns(result),
        )

    # -- watch list ---------------------------------------------------------------------

    @writes
    def watch_add(
        self,
        xuid: int | str,
        *,
        gamertag: str | None = None,
        matches: bool = False,
        options: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> WatchEntry:
        """Track a player (creating it if needed); re-adding updates the options."""
        x = parse_xuid(xuid)
        when = _aware(now, "now") if now else utcnow()
        self.upsert_player(x, gamertag, seen_at=when)
        opts = json.dumps(dict(options or {}), sort_keys=True)
        if self.watch_get(x) is None:
            self.conn.execute(
                watch_list.insert().values(
                    xuid=x, added_at=when, matches_opt_in=matches, options_json=opts
                )
            )
        else:
            self.conn.execute(
                watch_list.update()
                .where(watch_list.c.xuid == x)
                .values(matches_opt_in=matches, options_json=opts)
            )
        entry = self.watch_get(x)
        assert entry is not None
        return entry

    @writes
    def watch_remove(self, xuid: int | str) -> bool:
        """Stop tracking; stored snapshots stay. True when the player was watched."""
        res = self.conn.execute(watch_list.delete().where(watch_list.c.xuid == parse_xuid(xuid)))
        return bool(res.rowcount)

    @writes
    def watch_update(self, /, xuid: int | str, **changes: Any) -> None:
        """Set tracker bookkeeping: last_checked_at, last_played_at, last_match_count,
        next_check_at, failure_count, last_error, matches_opt_in, options."""
        unknown = set(changes) - _WATCH_UPDATABLE
        if unknown:
            raise ValueError(f"unknown watch fields: {', '.join(sorted(unknown))}")
        if "options" in changes:
            changes["options_json"] = json.dumps(dict(changes.pop("options") or {}), sort_keys=True)
        if not changes:
            return
        res = self.conn.execute(
            watch_list.update().where(watch_list.c.xuid == parse_xuid(xuid)).values(**changes)
        )
        if not res.rowcount:
            raise StoreError(
                f"player {xuid} is not on the watch list", hint="add it to the watch list first"
            )

    @writes
    def watch_failed(
        self, xuid: int | str, error: str, *, next_check_at: datetime | None = None
    ) -> None:
        """Count one more failed check and keep its error (a message, never a token)."""
        self.conn.execute(
            watch_list.update()
            .where(watch_list.c.xuid == parse_xuid(xuid))
            .values(
                failure_count=watch_list.c.failure_count + 1,
                last_error=error[:2000],
                next_check_at=next_check_at,
            )
        )

    # -- metadata cache -----------------------------------------------------------------

    @writes
    def put_metadata(
        self,
        kind: str,
        key: str,
        body: bytes | str,
        *,
        etag: str | None = None,
        fetched_at: datetime | None = None,
    ) -> None:
        """Cache a metadata document (calendar, medals, playlist, discovery asset)."""
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        when = _aware(fetched_at, "fetched_at") if fetched_at else utcnow()
        values = {"etag": etag, "fetched_at": when, "body": text}
        res = self.conn.execute(
            metadata_cache.update()
            .where(metadata_cache.c.kind == kind, metadata_cache.c.key == key)
            .values(**values)
        )
        if not res.rowcount:
            # two workers may cache the same document at once: the first insert wins
            insert_ignore(self.conn, metadata_cache, {"kind": kind, "key": key, **values})

    @writes
    def touch_metadata(self, kind: str, key: str, fetched_at: datetime | None = None) -> None:
        """A 304 Not Modified: the cached copy is current as of `fetched_at`."""
        when = _aware(fetched_at, "fetched_at") if fetched_at else utcnow()
        self.conn.execute(
            metadata_cache.update()
            .where(metadata_cache.c.kind == kind, metadata_cache.c.key == key)
            .values(fetched_at=when)
        )

    @writes
    def put_gamertags(self, gamertags: Mapping[int, str], *, now: datetime) -> None:
        """Keep looked-up gamertags, in one transaction, for scoreboards read offline: one
        statement per 500 names, not two per name (a scoreboard sync brings hundreds)."""
        when = _aware(now, "now")
        c = metadata_cache.c
        rows = [{"k": str(x), "b": tag} for x, tag in gamertags.items()]
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            have = set(
                self.conn.execute(
                    sa.select(c.key).where(
                        c.kind == GAMERTAG_KIND, c.key.in_([r["k"] for r in chunk])
                    )
                ).scalars()
            )
            known = [r for r in chunk if r["k"] in have]
            if known:
                self.conn.execute(
                    metadata_cache.update()
                    .where(c.kind == GAMERTAG_KIND, c.key == sa.bindparam("k"))
                    .values(body=sa.bindparam("b"), etag=None, fetched_at=when),
                    known,
                )
            new = [
                {"kind": GAMERTAG_KIND, "key": r["k"], "body": r["b"], "etag": None,
                 "fetched_at": when}
                for r in chunk
                if r["k"] not in have
            ]  # fmt: skip
            if new:
                # another worker may cache the same name at once: the first insert wins
                self.conn.execute(ignoring_insert(self.conn, metadata_cache), new)

    # -- seasons fetched ----------------------------------------------------------------

    @writes
    def mark_season_fetched(
        self,
        xuid: int | str,
        source: str,
        season_id: str,
        fetched_at: datetime | None = None,
    ) -> None:
        """Remember that an ended season's data for `source` (e.g. `servicerecord:matchmade`
        or `csr:<playlist>`) is stored, so it is never fetched again."""
        x = parse_xuid(xuid)
        when = _aware(fetched_at, "fetched_at") if fetched_at else utcnow()
        self._lock_player(x, when)
        insert_ignore(
            self.conn,
            seasons_fetched,
            {"xuid": x, "source": source, "season_id": season_id, "fetched_at": when},
        )


class Store(StoreTx):
    """A database of snapshots: the whole reader and transaction API, unbound, so each call
    runs in a unit of its own; `reader()` and `transaction()` share one unit among several
    calls (one consistent read; one atomic write)."""

    def __init__(self, engine: Engine, where: str) -> None:
        super().__init__(None)
        self.engine = engine
        self.where = where

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[StoreTx]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with (
            mapped_errors(self.where),
            self.engine.connect().execution_options(**{WRITE: True}) as conn,
            conn.begin(),
        ):
            yield StoreTx(conn)

    @contextmanager
    def reader(self) -> Iterator[StoreReader]:
        """A read-only view of one consistent moment (rolled back at the end)."""
        with mapped_errors(self.where), self.engine.connect() as conn, conn.begin() as txn:
            try:
                yield StoreReader(conn)
            finally:
                txn.rollback()

    def _unit(self, write: bool) -> AbstractContextManager[Any]:
        return self.transaction() if write else self.reader()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_status(self) -> tuple[str | None, str]:
        """(revision in the database, head revision of this code)."""
        with mapped_errors(self.where):
            return migrate.status(self.engine, self.where)


def open_store(
    url: str,
    *,
    upgrade: bool = True,
    write: bool = True,
    pragmas: Mapping[str, int | str] | None = None,
) -> Store:
    """Open the database at `url` and bring its schema to head.

    `write=True` (commands that store something) creates the database when missing and
    refuses a SQLite file that SQLite finds damaged; `write=False` (commands that only read)
    never creates anything and says when there is no database. Raises StoreError for a
    database newer than this code, a corrupt or unwritable file, or an unreachable server.
    `pragmas` adds SQLite PRAGMAs per connection (tests use `max_page_count` to simulate a
    full disk).
    """
    u = parse_url(url)
    where = describe(u)
    engine = make_engine(u, pragmas, create=write)
    try:
        with mapped_errors(where):
            if write:
                migrate.refuse_damaged(engine, where)
            elif migrate.status(engine, where)[0] is None:
                raise missing_database(where)  # an empty file or PostgreSQL schema
            if upgrade:
                migrate.upgrade(engine, where)
            else:
                migrate.status(engine, where)
    except BaseException:
        engine.dispose()
        raise
    store = Store(engine, where)
    _use_learned_names(store)
    return store


def _use_learned_names(store: Store) -> None:
    """Enum names learned from the API (`models.xmlnames`) name numbers on every screen of
    this process, whichever command opened the database."""
    try:
        doc = store.get_metadata(*NAMES_KEY)
    except StoreError:
        return  # a read-only or damaged database: names are a nicety, never a failure
    if doc is not None:
        learn_names(NameBook.from_json(doc.body).names)
