"""The stats page without a browser: the data contract from real samples, formatting,
escaping, self-containment and size."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

import msgspec
import pytest

from halotrack.models.summary import read_summary
from halotrack.report import data as D
from halotrack.report import render as R
from tests.support import synthetic
from tests.support.page import (
    NOW,
    RANKED_ARENA,
    RANKED_DOUBLES,
    XSS_GAMERTAG,
    XSS_GAMERTAG_2,
    lifetime,
    medals,
    medals_metadata,
    real,
    sample_inputs,
    season_calendar,
)


@pytest.fixture(scope="module")
def page() -> D.PageData:
    return D.assemble(sample_inputs(matches=40, sprite=True), now=NOW)


@pytest.fixture(scope="module")
def html(page: D.PageData) -> str:
    return R.render_page(page)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.stats: dict[str, str] = {}
        self._stat: str | None = None
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))
        found = dict(attrs).get("data-stat")
        self._stat = found if found else None
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._stat = None
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._stat and self._stat not in self.stats:
            self.stats[self._stat] = data.strip()
        if self._in_script:
            self.scripts.append(data)


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


# ----- the contract from real samples


def test_summary_equals_the_real_record(page: D.PageData) -> None:
    rec = lifetime()
    s = page.summary
    assert s is not None
    assert (s.matches, s.wins, s.losses, s.ties) == (2664, 1405, 1219, 38)
    assert (s.kills, s.deaths, s.assists) == (
        rec["CoreStats"]["Kills"],
        rec["CoreStats"]["Deaths"],
        rec["CoreStats"]["Assists"],
    )
    assert s.kda == pytest.approx(rec["CoreStats"]["AverageKDA"])
    assert s.time_played == timedelta(days=17, hours=10, minutes=55, seconds=53.7685509)
    assert s.win_percent == pytest.approx(100 * 1405 / 2664)
    assert s.kd == pytest.approx(42197 / 26566)


def test_old_record_shape_with_kda_key_reads() -> None:
    rec = lifetime()
    rec["CoreStats"] = dict(rec["CoreStats"])
    rec["CoreStats"]["KDA"] = rec["CoreStats"].pop("AverageKDA")
    assert read_summary(rec).kda == pytest.approx(7.766141141141141)


def test_seasons_are_named_after_their_calendar_entries(page: D.PageData) -> None:
    by_id = {r.season_id: r for r in page.seasons}
    assert by_id["Seasons/Season3.json"].label == "Season 3"
    s5 = by_id["Csr/Seasons/CsrSeason5-1.json"]
    # the calendar sample: CsrSeason5-1 spans the entries Season5-Op1 .. Season5-Op3
    assert s5.label == "Season 5 Op1 to Season 5 Op3"
    assert s5.summary is not None and s5.summary.matches == 212
    assert by_id["Seasons/Season6-2.json"].label == "Season 6-2"
    assert by_id["Csr/Seasons/CsrSeason9-1.json"].label == "Ranked season 9-1"
    dated = [r.start for r in page.seasons if r.start]
    assert dated == sorted(dated, reverse=True)
    undated = [r.label for r in page.seasons if not r.start]
    assert undated[:3] == ["Season 7", "Season 6-2", "Season 6"]
    assert undated[3] == "Ranked season 9-1"


def test_season_metadata_name_wins_over_dates() -> None:
    rows = D.season_rows(
        lifetime(),
        D.PageInputs(
            xuid="1",
            gamertag="x",
            season_calendar=season_calendar(),
            season_names={"Seasons/Season3.json": "Season 3: Echoes Within"},
        ),
    )
    labels = {r.season_id: r.label for r in rows}
    assert labels["Seasons/Season3.json"] == "Season 3: Echoes Within"
    assert labels["Seasons/Season4.json"] == "Season 4"


def test_mode_blocks_are_the_modes_played_with_readable_durations(page: D.PageData) -> None:
    names = [b.name for b in page.modes]
    assert "Capture the Flag" in names and "Oddball" in names and "Zones" in names
    oddball = next(b for b in page.modes if b.key == "OddballStats")
    carrier = next(s for s in oddball.stats if s.key == "TimeAsSkullCarrier")
    assert carrier.label == "Time as skull carrier"
    assert R.fmt_stat(carrier.value) == "2h 44m"
    empty = real("servicerecord/matchmade-empty.json")
    assert D.mode_blocks(empty) == ()


def test_mode_order_does_not_depend_on_key_order(page: D.PageData) -> None:
    rec = lifetime()
    shuffled = {k: rec[k] for k in sorted(rec, reverse=True)}
    for key, block in list(shuffled.items()):
        if isinstance(block, dict) and key.endswith("Stats"):
            shuffled[key] = {k: block[k] for k in sorted(block, reverse=True)}
    assert D.mode_blocks(shuffled) == page.modes
    assert page.modes[0].name == "Capture the Flag"
    assert page.modes[0].stats[0].key == "FlagCaptures"


def test_medals_rarest_first_with_names(page: D.PageData) -> None:
    medals = page.medals
    assert len(medals) == len([m for m in lifetime()["CoreStats"]["Medals"] if m["Count"] > 0])
    keys = [(-m.difficulty_index, m.count) for m in medals]
    assert keys == sorted(keys)
    names = {m["nameId"]: m["name"]["value"] for m in medals_metadata()["medals"]}
    assert all(m.name == names.get(m.name_id, f"Medal {m.name_id}") for m in medals)
    assert medals[0].difficulty == "mythic"


def test_personal_scores_priced_by_known_points(page: D.PageData) -> None:
    top = page.personal_scores[0]
    assert (top.name, top.count, top.points_each, top.points) == (
        "Killed Player",
        40495,
        100,
        4049500,
    )
    points = [p.points for p in page.personal_scores]
    assert points == sorted(points, reverse=True)


def test_csr_labels_and_progress(page: D.PageData) -> None:
    by_id = {p.playlist_id: p for p in page.csr}
    arena = by_id[RANKED_ARENA]
    assert arena.name == "Ranked Arena"
    assert arena.current.label == "Unranked, 4 placement matches left"
    assert arena.all_time_max.label == "Onyx 1549"
    assert arena.current.progress is None
    doubles = by_id[RANKED_DOUBLES]
    assert doubles.name.startswith("Playlist fa5aa2a3")
    assert doubles.current.label == "Diamond 6 (1487)"
    assert doubles.current.next_label == "Onyx"
    assert doubles.current.progress == pytest.approx(37 / 50)


def test_deltas_compare_with_a_week_ago(page: D.PageData) -> None:
    d = page.deltas
    assert d is not None
    assert NOW - d.since >= timedelta(days=7)
    assert NOW - d.since < timedelta(days=8)
    matches = next(x for x in d.items if x.key == "matches")
    assert matches.after == 2664
    hist = sample_inputs().history
    base = [h for h in hist if h.captured_at <= NOW - timedelta(days=7)][-1]
    assert matches.before == base.matches
    assert any(x.key == f"csr:{RANKED_DOUBLES}" for x in d.items)


def test_no_deltas_with_a_single_snapshot() -> None:
    h = sample_inputs().history[-1:]
    assert D.weekly_deltas(h, [], {}, NOW) is None


def test_long_series_are_downsampled() -> None:
    points = synthetic.csr_history(
        [("a", 1400), ("b", 900)], count=3000, until=NOW, step=timedelta(hours=3)
    )
    chart = D.csr_chart(points, {})
    assert len(chart.x) <= D.MAX_CHART_POINTS
    assert chart.x == tuple(sorted(chart.x))
    last = [p for p in points if p.playlist_id == "a"][-1]
    assert chart.series[0].values[-1] == last.value
    assert all(len(s.values) == len(chart.x) for s in chart.series)


def test_csr_holds_between_change_only_readings() -> None:
    t0 = NOW - timedelta(days=3)
    points = [
        D.CsrPoint(t0, "a", 1200),
        D.CsrPoint(t0 + timedelta(days=1), "b", 900),
        D.CsrPoint(t0 + timedelta(days=2), "b", -1),
        D.CsrPoint(t0 + timedelta(days=3), "b", 950),
    ]
    chart = D.csr_chart(points, {})
    a, b = (s.values for s in chart.series)
    assert a == (1200, 1200, 1200, 1200)  # unchanged since its only reading
    assert b == (None, 900, None, 950)  # unranked is a gap, not a carried value


def test_weekly_buckets_sum_to_the_total_change() -> None:
    hist = sample_inputs().history
    weeks = D.weekly(hist)
    assert sum(w.matches for w in weeks) == hist[-1].matches - hist[0].matches
    assert sum(w.kills for w in weeks) == hist[-1].kills - hist[0].kills
    assert all(w.start.weekday() == 0 for w in weeks)


def test_recent_matches_are_newest_first_and_capped() -> None:
    inputs = sample_inputs(matches=100)
    page = D.assemble(inputs, now=NOW)
    assert len(page.recent_matches) == D.RECENT_MATCHES
    stamps = [m.start_time for m in page.recent_matches]
    assert stamps == sorted(stamps, reverse=True)


def test_a_match_ending_placements_shows_the_placed_csr() -> None:
    """After the last placement match there is a reading but no change: the page shows
    the CSR it placed at, not a dash, as the API's csr_after does."""
    base = synthetic.matches(1, until=NOW)[0]
    placed = msgspec.structs.replace(base, match_id="placed", csr_before=None, csr_after=1350)
    moved = msgspec.structs.replace(base, match_id="moved", csr_before=1400, csr_after=1412)
    none = msgspec.structs.replace(base, match_id="social", csr_before=None, csr_after=None)
    inputs = dataclasses.replace(sample_inputs(), matches=(placed, moved, none))
    text = R.render_page(D.assemble(inputs, now=NOW))
    cells = {
        mid: re.sub(r"<[^>]+>", "", cell).split()
        for mid, cell in re.findall(
            r'data-match="(\w+)".*?data-label="CSR" class="num">(.*?)</td>', text, re.S
        )
    }
    assert cells == {"placed": ["1,350"], "moved": ["1,412", "+12"], "social": ["–"]}


# ----- formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(days=17, hours=10, minutes=55, seconds=53.7), "17d 10h 55m"),
        (timedelta(hours=2, minutes=44, seconds=8.1), "2h 44m"),
        (timedelta(minutes=1, seconds=11), "1m 11s"),
        (timedelta(seconds=32), "32s"),
        (timedelta(0), "0s"),
    ],
)
def test_duration_format(value: timedelta, text: str) -> None:
    assert R.fmt_duration(value) == text


def test_number_formats() -> None:
    assert R.fmt_int(42197) == "42,197"
    assert R.fmt_pct(52.7402) == "52.7%"
    assert R.fmt_ratio(1.58838) == "1.59"
    assert R.fmt_signed(12) == "+12"
    assert R.fmt_signed(-0.0123, "ratio") == "−0.012"
    assert R.fmt_signed(0) == "±0"


# ----- the HTML


def test_numbers_in_html_equal_the_record(html: str) -> None:
    stats = parse(html).stats
    rec = lifetime()
    core = rec["CoreStats"]
    assert stats["matches"] == f"{rec['MatchesCompleted']:,}"
    assert stats["kills"] == f"{core['Kills']:,}"
    assert stats["deaths"] == f"{core['Deaths']:,}"
    assert stats["assists"] == f"{core['Assists']:,}"
    assert stats["damage_dealt"] == f"{core['DamageDealt']:,}"
    assert stats["damage_taken"] == f"{core['DamageTaken']:,}"
    assert stats["kda"] == f"{core['AverageKDA']:.2f}"
    assert stats["accuracy"] == f"{core['Accuracy']:.2f}%"
    assert stats["win_rate"] == f"{100 * rec['Wins'] / rec['MatchesCompleted']:.1f}%"
    assert stats["kd"] == f"{core['Kills'] / core['Deaths']:.2f}"
    assert stats["time_played"] == "17d 10h 55m"
    assert stats["OddballStats.TimeAsSkullCarrier"] == "2h 44m"
    assert stats["career_rank"] == "Cadet Bronze 1"


@pytest.mark.parametrize("tag", [XSS_GAMERTAG, XSS_GAMERTAG_2, "a</script><script>x()</script>"])
def test_hostile_gamertags_are_escaped(tag: str) -> None:
    page = D.assemble(sample_inputs(tag), now=NOW)
    out = R.render_page(page)
    assert "<script>alert" not in out
    assert "<img src=x" not in out
    assert "</script><script>x()" not in out
    parsed = parse(out)
    assert parsed.stats["gamertag"] == tag
    # The inlined JSON still carries the gamertag, decodable, without breaking out.
    blob = re.search(r'<script type="application/json" id="halotrack-data">(.*?)</script>', out)
    assert blob is not None
    assert json.loads(blob.group(1))["gamertag"] == tag


def test_script_json_escapes_breakout_characters() -> None:
    text = str(R.script_json({"a": "</script><!-- & \u2028\u2029 >"}))
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028\u2029 >"}


def test_page_is_self_contained(html: str) -> None:
    parsed = parse(html)
    for tag, name, value in parsed.attrs:
        if name in ("src", "href", "srcset", "poster", "action", "data"):
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert not re.search(r"<link\b", html)
    assert "@import" not in html
    assert "data:image/png;base64," in html  # the sprite sheet, inlined


def test_csp_allows_exactly_the_inline_scripts(html: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1).replace("&#39;", "'")
    assert "default-src 'none'" in policy
    executable = [s for s in parse(html).scripts if not s.lstrip().startswith("{")]
    assert len(executable) == 2
    for script in executable:
        assert R.csp_hash(script) in policy


def test_page_size_is_small(html: str) -> None:
    assert len(html.encode()) < 600 * 1024


def test_empty_record_renders() -> None:
    inputs = D.PageInputs(
        xuid="1",
        gamertag="New Player",
        lifetime=D.RecordSnapshot(NOW, real("servicerecord/matchmade-empty.json")),
    )
    out = R.render_page(D.assemble(inputs, now=NOW))
    stats = parse(out).stats
    assert stats["matches"] == "0"
    assert stats["win_rate"] == "–"
    assert "Too little history to chart yet" in out
    assert 'id="matches"' not in out  # recent matches section hidden when none


def test_no_record_at_all_renders() -> None:
    out = R.render_page(D.assemble(D.PageInputs(xuid="1", gamertag="Nobody"), now=NOW))
    assert "No service record stored yet" in out


def test_medals_without_sprite_are_text_badges() -> None:
    out = R.render_page(D.assemble(sample_inputs(sprite=False), now=NOW))
    assert 'class="badge"' in out
    assert "data:image" not in out


def test_medal_icons_cut_from_the_sheet(html: str, page: D.PageData) -> None:
    first = page.medals[0]
    assert first.sprite_index is not None
    x, y = (first.sprite_index % 16) * 48, (first.sprite_index // 16) * 48
    assert f"background-position:-{x}px -{y}px" in html


def test_updated_time_is_the_newest_capture(page: D.PageData) -> None:
    assert page.player.updated_at == NOW
    assert page.generated_at == NOW
    assert "2026-11-29 09:00 UTC" in R.render_page(page)


def test_hostile_names_from_the_api_are_escaped() -> None:
    meta = medals_metadata()
    first = lifetime()["CoreStats"]["Medals"][0]["NameId"]
    for medal in meta["medals"]:
        if medal["nameId"] == first:
            medal["name"] = {"value": "<script>alert('medal')</script>"}
            medal["description"] = {"value": '" onmouseover="alert(2)'}
    inputs = sample_inputs()
    hostile = D.PageInputs(
        xuid=inputs.xuid,
        gamertag=inputs.gamertag,
        lifetime=inputs.lifetime,
        csr=inputs.csr,
        medals_metadata=medals(meta),
        playlist_names={RANKED_ARENA: "<img src=x onerror=alert(3)>"},
        season_names={"Seasons/Season3.json": "</td><script>alert(4)</script>"},
        season_calendar=inputs.season_calendar,
    )
    out = R.render_page(D.assemble(hostile, now=NOW))
    for bad in ("<script>alert(", "<img src=x", '" onmouseover="'):
        assert bad not in out
    assert "&lt;script&gt;alert(&#39;medal&#39;)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=alert(3)&gt;" in out


def test_seasons_table_shows_names_and_dates_not_raw_paths(html: str, page: D.PageData) -> None:
    section = html[html.index('<section id="seasons"') :]
    section = section[: section.index("</section>")]
    visible = re.sub(r"<[^>]+>", " ", section)  # the text a reader sees, not attributes
    for row in page.seasons:
        assert row.label in visible
    assert "Seasons/" not in visible and ".json" not in visible


# ----- short histories (issue 17 item 5) and what "Recent matches" holds (item 4)


def _short_history(span: timedelta) -> D.PageInputs:
    """The sample inputs cut to their last two snapshots, `span` apart, with one CSR reading."""
    base = sample_inputs()
    last = base.history[-1]
    first = replace(base.history[-2], captured_at=last.captured_at - span)
    csr = [p for p in base.csr_history if p.playlist_id == RANKED_DOUBLES][-1:]
    return replace(base, history=[first, last], csr_history=csr)


def test_minutes_of_history_say_so_instead_of_changes_and_charts() -> None:
    inputs = _short_history(timedelta(minutes=7))
    page = D.assemble(inputs, now=inputs.history[-1].captured_at)
    assert page.deltas is None
    assert all(c.empty for c in page.charts)  # one week, one CSR reading: no trend
    out = R.render_page(page)
    assert 'data-note="short-history"' in out and "Since last week" not in out
    assert 'class="plot"' not in out  # no plot of a single point
    assert out.count("Too little history to chart yet") == len(page.charts)


def test_days_of_history_compare_with_the_first_snapshot_and_say_so() -> None:
    inputs = _short_history(timedelta(days=3))
    page = D.assemble(inputs, now=inputs.history[-1].captured_at)
    assert page.deltas is not None and not page.deltas.full_week
    assert page.deltas.since == inputs.history[0].captured_at
    out = R.render_page(page)
    assert f"Since {inputs.history[0].captured_at:%Y-%m-%d}" in out
    assert "Since last week" not in out


@pytest.mark.parametrize(("value", "kind"), [(-0.0004, "ratio"), (0.004, "pct"), (-0.3, "int")])
def test_a_change_that_rounds_to_nothing_is_plus_minus_zero(value: float, kind: str) -> None:
    assert R.fmt_signed(value, kind) == "±0"


def test_recent_matches_say_whether_the_players_own_are_synced() -> None:
    inputs = sample_inputs(matches=5)
    out = R.render_page(D.assemble(inputs, now=NOW))
    note = re.search(r'data-note="matches">(.*?)</p>', out, re.S)
    assert note is not None
    assert "not synced" in note.group(1)
    assert 'halotrack matches sync "Sample Spartan"' in note.group(1)
    synced = replace(inputs, matches_synced_at=NOW - timedelta(hours=2))
    out = R.render_page(D.assemble(synced, now=NOW))
    note = re.search(r'data-note="matches">(.*?)</p>', out, re.S)
    assert note is not None and "not synced" not in note.group(1)
    assert "newest 5 of Sample Spartan" in note.group(1)
