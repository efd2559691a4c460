"""The `newswire` command: one entry point, one sub-command per service or tool."""

import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click
from pydantic import ValidationError

from newswire.errors import NewswireError
from newswire.lifecycle import stop_on_signals, tune_for_throughput
from newswire.observability.logs import configure_logging
from newswire.settings import KafkaSettings, ServiceSettings, TopicSettings, settings_error
from schemas import SourceKind

SECONDS = click.FloatRange(min=0)
_F = TypeVar("_F", bound=Callable[..., Any])


def _given(**options: Any) -> dict[str, Any]:
    """Only the flags a person typed: the rest come from the environment or the defaults."""
    return {name: value for name, value in options.items() if value is not None}


def _start(settings: ServiceSettings) -> None:
    configure_logging(settings.log_level, settings.log_format)


def _metrics_port_option(default: int) -> Callable[[_F], _F]:
    return click.option(
        "--metrics-port",
        type=click.IntRange(0, 65535),
        default=None,
        help="Port of /metrics, /healthz and /readyz (NEWSWIRE_METRICS_PORT); 0 picks a free "
        f"one. Default: {default}",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newswire")
def cli() -> None:
    """newswire: news from seeds and feeds into Kafka, enriched with entities and topics."""
    tune_for_throughput()


@cli.command()
@click.option("--once", is_flag=True, help="Ingest every source once, enrich until drained, exit.")
@click.option(
    "--seeds",
    "seeds_dir",
    type=click.Path(path_type=Path),
    default=Path("seeds"),
    envvar="NEWSWIRE_SEEDS_DIR",
    show_envvar=True,
    show_default=True,
)
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    envvar="NEWSWIRE_FEEDS_FILE",
    show_envvar=True,
    help="Feeds to poll too: YAML (.yaml, .yml) or OPML (.opml, .xml).",
)
def run(once: bool, seeds_dir: Path, feeds_file: Path | None) -> None:
    """Run the whole pipeline on this machine and print each enriched article.

    Starts the embedded broker unless KAFKA_BOOTSTRAP_SERVERS is set. Ctrl-C stops everything.
    """
    from newswire.run import run_pipeline

    configure_logging("WARNING", "text")
    # A closed terminal (SIGHUP) stops the pipeline as Ctrl-C does, children and all.
    sys.exit(run_pipeline(once, seeds_dir, feeds_file, stop_on_signals(signal.SIGHUP)))


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Default: a free port.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the broker's data here across restarts. Default: a temporary directory.",
)
def broker(port: int | None, data_dir: Path | None) -> None:
    """Run the embedded Apache Kafka broker (KRaft, one node) in the foreground.

    Prints KAFKA_BOOTSTRAP_SERVERS=host:port once it is ready.
    """
    from newswire.broker.command import serve

    configure_logging("INFO", "text")
    sys.exit(serve(port, data_dir))


@cli.command()
@click.option(
    "--seeds",
    "seeds_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The seed folder (NEWSWIRE_SEEDS_DIR). Default: seeds",
)
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Feeds to poll: YAML (.yaml, .yml) or OPML (.opml, .xml). Reloaded on change or SIGHUP.",
)
@click.option("--once", is_flag=True, help="Poll every source once; exit when all is acknowledged.")
@_metrics_port_option(9101)
def ingest(
    seeds_dir: Path | None, feeds_file: Path | None, once: bool, metrics_port: int | None
) -> None:
    """Run the ingest service: publish seeds and feeds to the raw topic."""
    # SIGHUP will ask for a reload of the feed list; until then (its handler comes with the
    # list) it must not do what it does by default, end the process.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    from services.ingest.pipeline import run as run_ingest
    from services.ingest.settings import IngestSettings

    settings = IngestSettings(
        **_given(seeds_dir=seeds_dir, feeds_file=feeds_file, metrics_port=metrics_port)
    )
    _start(settings)
    sys.exit(run_ingest(settings, once, stop_on_signals()))


@cli.command()
@click.option(
    "--until-idle",
    type=SECONDS,
    default=None,
    help="Exit once the raw topic is drained and has been idle this many seconds.",
)
@_metrics_port_option(9102)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    envvar="NEWSWIRE_WORKERS",
    show_default=True,
    help="Enrich processes in this replica, a core each; worker i serves its endpoints on "
    "the metrics port + i.",
)
def enrich(until_idle: float | None, metrics_port: int | None, workers: int) -> None:
    """Run the enrichment service: tag raw articles, publish enriched ones."""
    from services.enrich.settings import EnrichSettings

    settings = EnrichSettings(**_given(metrics_port=metrics_port))
    _start(settings)
    stop = stop_on_signals()
    if workers > 1:
        from services.enrich.workers import supervise

        sys.exit(supervise(settings, workers, until_idle, stop))
    from services.enrich.consume import EnrichService
    from services.enrich.tag import Tagger

    service = EnrichService(settings, Tagger(batch_size=settings.batch_size), stop)
    sys.exit(service.run(until_idle))


@cli.command()
@click.argument(
    "files",
    nargs=-1,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
)
def tag(files: tuple[Path, ...]) -> None:
    """Enrich articles without Kafka: JSON lines or text files (or stdin, or - among the files)
    in, JSON lines out."""
    from services.enrich.offline import tag_inputs

    configure_logging("WARNING", "text")
    inputs = [_stdin() if str(path) == "-" else (str(path), path) for path in files]
    sys.exit(tag_inputs(inputs or [_stdin()], sys.stdout))


def _stdin() -> tuple[str, BinaryIO]:
    if sys.stdin is None:  # started with its stdin closed (`<&-`)
        raise click.UsageError("stdin is closed: name the files to tag")
    return "<stdin>", sys.stdin.buffer


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time like 2026-05-01T12:00Z"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@cli.command()
@click.option(
    "--from",
    "start",
    metavar="ISO",
    callback=_moment,
    help="Replay records published at or after this time (ISO-8601; UTC if no zone is given).",
)
@click.option("--to", "end", metavar="ISO", callback=_moment, help="... and before this time.")
@click.option("--all", "everything", is_flag=True, help="Replay the whole raw topic.")
def replay(start: datetime | None, end: datetime | None, everything: bool) -> None:
    """Enrich raw articles again into the enriched topic, beside the live enrich service.

    Replays, in each partition of the raw topic, the records from the first stamped at or after
    --from up to the first stamped at or after --to (Kafka's time index: ingest stamps records
    as it publishes them, in order; a record another producer stamped out of order goes with
    its neighbours), or --all of them, up to the end of the raw topic as it is at the start. The
    live consumer group is left alone, and each record is enriched exactly once per replay
    (Kafka transactions). Shows progress on stderr.
    """
    if everything == (start is not None or end is not None):
        raise click.UsageError("give --from and/or --to, or --all")
    if start is not None and end is not None and start >= end:
        raise click.UsageError("--from must be earlier than --to")
    from services.enrich.replay import ProgressPrinter, Replay, Window
    from services.enrich.settings import EnrichSettings
    from services.enrich.tag import Tagger

    settings = EnrichSettings()
    _start(settings)
    run = Replay(
        settings,
        Tagger(batch_size=settings.batch_size),
        Window(start, end),
        stop_on_signals(),
        ProgressPrinter(sys.stderr),
    )
    progress = run.run()
    topics = settings.topics
    click.echo(
        f"replayed {topics.raw} into {topics.enriched} as group {run.group_id} in "
        f"{progress.elapsed:.1f} s: {progress.line()}",
        err=True,
    )
    sys.exit(0 if progress.finished else 130)


def _filter_values(
    _ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[str]:
    """Topic codes and languages in their full form; one malformed is a usage error."""
    from newswire import filters

    convert = {"topic_codes": filters.topic_code, "languages": filters.language}[str(param.name)]
    try:
        return [convert(value) for value in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@cli.command()
@click.option("--topic", default=None, help="The Kafka topic. Default: the enriched topic.")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest record, not the newest.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Stop after N records.")
@click.option("--json", "as_json", is_flag=True, help="Print each record as one JSON line.")
@click.option(
    "--entity",
    "entities",
    multiple=True,
    metavar="NAME",
    help="Only articles naming this entity (whole words of its name, any case or accents).",
)
@click.option(
    "--about",
    "--topic-code",
    "topic_codes",
    multiple=True,
    metavar="MEDTOP",
    callback=_filter_values,
    help="Only articles about this IPTC Media Topic, e.g. medtop:16000000; a top-level "
    "code finds its subtopics too.",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice([kind.value for kind in SourceKind]),
    help="Only articles from this kind of source.",
)
@click.option(
    "--language",
    "languages",
    multiple=True,
    metavar="xx",
    callback=_filter_values,
    help="Only articles in this language (ISO 639-1).",
)
@click.option(
    "--follow/--no-follow",
    default=True,
    help="Wait for new records (the default), or exit once every record so far is read.",
)
def tail(
    topic: str | None,
    from_beginning: bool,
    limit: int | None,
    as_json: bool,
    entities: tuple[str, ...],
    topic_codes: list[str],
    sources: tuple[str, ...],
    languages: list[str],
    follow: bool,
) -> None:
    """Print the articles of a topic as they arrive: one line each, or their JSON.

    A filter given several times matches any of its values; different filters must all match.
    """
    from newswire.filters import ArticleFilter
    from newswire.tail import tail as run_tail

    configure_logging("WARNING", "text")
    topics = TopicSettings()
    chosen = topic or topics.enriched
    if (entities or topic_codes) and chosen != topics.enriched:
        click.echo(
            f"newswire: note: only enriched articles have entities and topics; on {chosen!r}, "
            "--entity and --about match only those",
            err=True,
        )
    match = ArticleFilter.of(entities, topic_codes, sources, languages)
    stop = stop_on_signals()
    run_tail(KafkaSettings(), chosen, from_beginning, limit, as_json, stop, match, follow)


def main() -> None:
    try:
        cli()
    except NewswireError as exc:
        click.echo(f"newswire: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except ValidationError as exc:
        message = settings_error(exc)
        if message is None:
            raise
        click.echo(f"newswire: error: {message}", err=True)
        sys.exit(2)
