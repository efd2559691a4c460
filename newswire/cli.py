"""The `newswire` command: one entry point, one sub-command per service or tool."""

import sys
from pathlib import Path
from typing import Any

import click

from newswire.errors import NewswireError
from newswire.lifecycle import stop_on_signals
from newswire.observability.logs import configure_logging
from newswire.settings import KafkaSettings, ServiceSettings, TopicSettings

SECONDS = click.FloatRange(min=0)


def _given(**options: Any) -> dict[str, Any]:
    """Only the flags a person typed: the rest come from the environment or the defaults."""
    return {name: value for name, value in options.items() if value is not None}


def _start(settings: ServiceSettings) -> None:
    configure_logging(settings.log_level, settings.log_format)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newswire")
def cli() -> None:
    """newswire: news from seeds and feeds into Kafka, enriched with entities and topics."""


@cli.command()
@click.option("--once", is_flag=True, help="Ingest every source once, enrich until drained, exit.")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=Path("seeds"))
def run(once: bool, seeds_dir: Path) -> None:
    """Run the whole pipeline on this machine and print each enriched article.

    Starts the embedded broker unless KAFKA_BOOTSTRAP_SERVERS is set. Ctrl-C stops everything.
    """
    from newswire.run import run_pipeline

    configure_logging("WARNING", "text")
    sys.exit(run_pipeline(once, seeds_dir, stop_on_signals()))


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
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=None)
@click.option("--once", is_flag=True, help="Poll every source once; exit when all is acknowledged.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None)
def ingest(seeds_dir: Path | None, once: bool, metrics_port: int | None) -> None:
    """Run the ingest service: publish seeds and feeds to the raw topic."""
    from services.ingest.pipeline import run as run_ingest
    from services.ingest.settings import IngestSettings

    settings = IngestSettings(**_given(seeds_dir=seeds_dir, metrics_port=metrics_port))
    _start(settings)
    sys.exit(run_ingest(settings, once, stop_on_signals()))


@cli.command()
@click.option(
    "--until-idle",
    type=SECONDS,
    default=None,
    help="Exit once the raw topic is drained and has been idle this many seconds.",
)
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None)
def enrich(until_idle: float | None, metrics_port: int | None) -> None:
    """Run the enrichment service: tag raw articles, publish enriched ones."""
    from services.enrich.consume import EnrichService
    from services.enrich.settings import EnrichSettings
    from services.enrich.tag import Tagger

    settings = EnrichSettings(**_given(metrics_port=metrics_port))
    _start(settings)
    stop = stop_on_signals()
    service = EnrichService(settings, Tagger(batch_size=settings.batch_size), stop)
    sys.exit(service.run(until_idle))


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tag(files: tuple[Path, ...]) -> None:
    """Enrich articles without Kafka: JSON lines or text files (or stdin) in, JSON lines out."""
    from services.enrich.offline import tag_inputs

    configure_logging("WARNING", "text")
    inputs = (
        ((str(path), path.read_text(encoding="utf-8", errors="replace")) for path in files)
        if files
        else iter([("<stdin>", sys.stdin.read())])
    )
    sys.exit(tag_inputs(inputs, sys.stdout))


@cli.command()
@click.option("--topic", default=None, help="Default: the enriched topic.")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest record, not the newest.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Stop after N records.")
@click.option("--json", "as_json", is_flag=True, help="Print each record as one JSON line.")
def tail(topic: str | None, from_beginning: bool, limit: int | None, as_json: bool) -> None:
    """Print records of a topic as they arrive, readably or as JSON."""
    from newswire.tail import tail as run_tail

    configure_logging("WARNING", "text")
    chosen = topic or TopicSettings().enriched
    run_tail(KafkaSettings(), chosen, from_beginning, limit, as_json, stop_on_signals())


def main() -> None:
    try:
        cli()
    except NewswireError as exc:
        click.echo(f"newswire: error: {exc}", err=True)
        sys.exit(2 if not exc.retriable else 1)
