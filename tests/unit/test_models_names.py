"""Names behind numbers: medals from the metadata file, personal scores from the bundled and
user tables, CSR labels and progress, game modes; plus the small value helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from halotrack.errors import ConfigError
from halotrack.models import (
    Csr,
    decode,
    iso_datetime,
    iso_duration,
    maybe_xuid,
    parse_xuid,
    xuid_id,
)
from halotrack.models.csr import csr_block, csr_label, tier_for
from halotrack.models.names import (
    VARIABLE_SCORE_ID,
    MedalBook,
    PersonalScoreBook,
    category_name,
    load_personal_scores,
)

REAL = Path(__file__).parents[1] / "data" / "real"
METADATA = REAL / "gamecms" / "medals-metadata.json"


@pytest.fixture(scope="module")
def book() -> MedalBook:
    return MedalBook(decode("medal-metadata", METADATA.read_bytes()))


def test_medal_names_difficulty_and_type_from_metadata(book: MedalBook) -> None:
    raw = json.loads(METADATA.read_bytes())
    assert len(book) == len(raw["medals"])
    for medal in raw["medals"][:20]:
        nid = medal["nameId"]
        assert nid in book
        assert book.name(nid) == medal["name"]["value"]
        assert book.difficulty(nid) == raw["difficulties"][medal["difficultyIndex"]]
        assert book.type(nid) == raw["types"][medal["typeIndex"]]
    info = book.info(raw["medals"][0]["nameId"])
    assert info.known and info.description == raw["medals"][0]["description"]["value"]
    assert info.sprite_index == raw["medals"][0]["spriteIndex"]


def test_unknown_medal(book: MedalBook) -> None:
    assert book.name(123) == "Medal 123"
    assert book.difficulty(123) == "unknown" and book.type(123) == "unknown"
    assert not book.info(123).known
    assert MedalBook().name(622331684) == "Medal 622331684"


def test_every_medal_in_the_lifetime_record_has_a_name(book: MedalBook) -> None:
    sr = decode("service-record", (REAL / "servicerecord/matchmade-lifetime.json").read_bytes())
    unnamed = [m.name_id for m in sr.core_stats.medals if m.name_id not in book]
    named = [m for m in sr.core_stats.medals if m.name_id in book]
    assert len(named) > 100
    for nid in unnamed:
        assert book.name(nid) == f"Medal {nid}"


def test_bundled_personal_scores() -> None:
    scores = load_personal_scores()
    assert scores.name(1024030246) == "Killed Player" and scores.points(1024030246) == 100
    assert scores.points(249491819) == -100
    assert scores.name(VARIABLE_SCORE_ID) == "Custom"
    assert scores.points(VARIABLE_SCORE_ID) is None
    assert scores.name(7) == "Personal score 7" and scores.points(7) is None
    assert len(scores) >= 60


def test_user_file_overrides_and_adds(tmp_path: Path) -> None:
    user = tmp_path / "personal_scores.json"
    user.write_text(
        json.dumps(
            {
                "scores": [
                    {"name_id": 1267013266, "name": "Sensor Assist", "points": 10},
                    {"name_id": 99, "name": "Something New", "points": 5},
                ]
            }
        )
    )
    scores = load_personal_scores(tmp_path / "missing.json", None, user)
    assert scores.name(1267013266) == "Sensor Assist"
    assert scores.name(99) == "Something New" and scores.points(99) == 5
    assert scores.name(1024030246) == "Killed Player"
    only_user = load_personal_scores(user, bundled=False)
    assert len(only_user) == 2 and 1024030246 not in only_user


def test_broken_user_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "personal_scores.json"
    bad.write_text('{"scores": [{"name_id": "x"}]}')
    with pytest.raises(ConfigError, match="personal scores"):
        load_personal_scores(bad)
    with pytest.raises(ConfigError):
        PersonalScoreBook.from_bytes(b"{")


def test_models_do_no_io_at_import() -> None:
    code = (
        "import sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda e, a: opened.append(str(a[0])) if e == 'open' else None)\n"
        "import halotrack.models, halotrack.models.names, halotrack.models.export\n"
        "print([p for p in opened if p.endswith('.json')])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("value", "label", "progress"),
    [
        (1487, "Diamond 6 (1487)", 0.74),
        (1200, "Diamond 1 (1200)", 0.0),
        (1549, "Onyx 1549", None),
        (299, "Bronze 6 (299)", 0.98),
        (0, "Bronze 1 (0)", 0.0),
    ],
)
def test_csr_labels_and_progress(value: int, label: str, progress: float | None) -> None:
    pos = tier_for(value)
    csr = Csr(
        value=value,
        tier=pos.tier,
        tier_start=pos.tier_start,
        sub_tier=pos.sub_tier,
        next_tier=pos.next_tier,
        next_tier_start=pos.next_tier_start,
        next_sub_tier=pos.next_sub_tier,
    )
    assert csr.label == label
    assert csr.progress == (pytest.approx(progress) if progress is not None else None)


def test_csr_next_step_and_placement() -> None:
    diamond6 = Csr(value=1487, tier="Diamond", tier_start=1450, sub_tier=5, next_tier="Onyx",
                   next_tier_start=1500)  # fmt: skip
    assert diamond6.next_label == "Onyx" and diamond6.points_to_next == 13
    gold2 = Csr(value=660, tier="Gold", tier_start=650, sub_tier=1, next_tier="Gold",
                next_tier_start=700, next_sub_tier=2)  # fmt: skip
    assert gold2.next_label == "Gold 3" and gold2.points_to_next == 40
    onyx = Csr(value=1600, tier="Onyx", tier_start=1500, next_tier="Onyx", next_tier_start=1500)
    assert onyx.next_label is None and onyx.points_to_next is None
    placing = Csr(value=-1, measurement_matches_remaining=1)
    assert placing.label == "Unranked, 1 placement match left"
    assert not placing.is_ranked and placing.progress is None and placing.next_label is None
    assert Csr(value=-1, measurement_matches_remaining=3).label == (
        "Unranked, 3 placement matches left"
    )


def test_csr_block_has_the_skill_service_shape() -> None:
    data = json.loads((REAL / "csr" / "playlist-csrs-one-player.json").read_text())
    for block in data["Value"][0]["Result"].values():
        made = csr_block(
            block["Value"],
            block["MeasurementMatchesRemaining"],
            placement=block["InitialMeasurementMatches"],
        )
        assert list(made.items()) == list(block.items())
    made = csr_block(1487, 0, placement=5)
    assert (made["Tier"], made["SubTier"], made["NextTier"], made["NextTierStart"]) == (
        "Diamond",
        5,
        "Onyx",
        1500,
    )
    assert csr_block(-7, 2, placement=5)["Value"] == -1


def test_category_names() -> None:
    assert category_name(6) == "Slayer"
    assert category_name(15) == "Capture the Flag"
    assert category_name(11) == "Strongholds"
    assert category_name(57) == "Unknown(57)"
    assert category_name(None) == "Unknown"


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(seconds=6.9), "PT6.9S"),
        (timedelta(minutes=9, seconds=9, microseconds=421162), "PT9M9.421162S"),
        (timedelta(days=17, seconds=39353, microseconds=768551), "P17DT10H55M53.768551S"),
        (timedelta(days=2), "P2D"),
        (timedelta(hours=1), "PT1H"),
        (timedelta(seconds=-90), "-PT1M30S"),
    ],
)
def test_iso_duration(td: timedelta, text: str) -> None:
    assert iso_duration(td) == text
    if td >= timedelta(0):
        body = {"TimePlayed": text, "MatchesCompleted": 0, "CoreStats": {}}
        assert decode("service-record", json.dumps(body)).time_played == td


def test_iso_datetime() -> None:
    assert iso_datetime(datetime(2025, 1, 29, 4, 7, 25, 964000, tzinfo=UTC)) == (
        "2025-01-29T04:07:25.964Z"
    )
    plus2 = datetime(2025, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert iso_datetime(plus2) == "2024-12-31T23:00:00Z"
    assert iso_datetime(datetime(2025, 1, 1)) == "2025-01-01T00:00:00Z"


def test_xuid_helpers() -> None:
    assert parse_xuid("xuid(2535445291321133)") == 2535445291321133
    assert parse_xuid("2535445291321133") == 2535445291321133
    assert parse_xuid(2535445291321133) == 2535445291321133
    assert maybe_xuid("bid(19.0)") is None and maybe_xuid(None) is None
    assert maybe_xuid("GAMERTAG") is None
    assert xuid_id(123) == "xuid(123)" == xuid_id("xuid(123)")
    with pytest.raises(ValueError):
        xuid_id("bid(1.0)")


def test_csr_short_label_for_tables() -> None:
    assert csr_label(-1, "", 0, 3, short=True) == "Unranked (3 left)"
    assert csr_label(-1, "", 0, 0, short=True) == "Unranked"
    assert csr_label(1487, "Diamond", 5, short=True) == "Diamond 6 (1487)"
    assert csr_label(-1, "", 0, 3) == "Unranked, 3 placement matches left"
