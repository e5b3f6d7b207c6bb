# Names vulture cannot see being used; read by `python3 dev.py lint` (never imported).
# Each group says who uses them. Model fields and enum members in src/halotrack/models/ are
# left out by dev.py itself: the decoders declare every field the API sends, on purpose.
# ruff: noqa
_ = object()

# Set for a library to read: Typer/rich help labels, aiohttp/msal/requests internals
_.display_type_rich
_._content
_._content_consumed
_.token_cache
_.content_length
_.isolation_level
_.daemon_threads
_.protocol_version
_.close_connection
_._get_command  # typer.testing's, replaced by tests/conftest.py (one CLI tree a session)

# Read by the page template (report/templates/page.html.j2) or by dataclass export
_.shots_fired
_.shots_hit
_.data_uri
_.tracked_from
_.tracked_to
_.skill_fetched  # usecases/matches.py SyncResult, written by field_dict for --json
_.assets_fetched
_.before_value
_.after_value
_.season_max_value
_.season_max_tier
_.season_max_sub_tier
_.all_time_max_sub_tier
_.breakdowns  # report/insights.py PageInsights, read by the page template
_.season_labels

# Fault rates, set by name from the simulator's /_sim/faults JSON
_.rate_429
_.rate_500
_.rate_503
_.rate_drop
_.rate_truncate
_.rate_401

# Kept alive on purpose (the aiohttp runner of a running simulator)
_._runner

# Set, never read: Transport is being split in parallel (issue 12 part C), which decides
_.from_cache

# Alembic revision headers; SQLAlchemy TypeDecorator hooks; indexes attach to their tables
_.revision
_.down_revision
_.branch_labels
_.depends_on
_.impl
_.cache_ok
_.process_bind_param
_.process_result_value
_.SNAPSHOT_INDEXES

# Protocol hooks: __exit__ arguments, pytest hooks and marks, http.server and HTMLParser
_.exc_type
_.pytest_runtest_makereport
_.pytestmark
_.do_GET
_.do_HEAD
_.do_POST
_.do_PUT
_.log_message
_.handle_starttag
_.handle_endtag
_.handle_data

# Fixtures asked for their side effect only; a class attribute patched by a benchmark
_.cli_env
_._HOST

# Python's own protocols: a module's lazy `__getattr__` (waypoint, usecases) and a typing
# Protocol's `__call__` (store.session)
_.__getattr__
_.__call__

# Dataclass fields read through asdict() by `--json` (usecases.insights)
_.other_outcome

# Read by the site's templates or returned as JSON by its API (site/data.py); uvicorn's
# Server reads should_exit (tests/support/site_server.py)
_.matches_week
_.vs_expected
_.performance  # ScoreLine: the match page and the match API
_.together_wins
_.a_wins_against
_.b_wins_against
_.should_exit

# apprise reads these of the service object it built (wiring/notify.py: timeouts, no redirects)
_.socket_connect_timeout
_.socket_read_timeout
_.redirects

# procrastinate tasks run by name: the check job is deferred in SQL by the scheduler's lease
_.check_player
