"""The embedded Apache Kafka broker: real Kafka in a child JVM, for tests and `newswire run`.

jars.py      the pinned jar manifest; fetching, verifying and caching the jars
lock.py      regenerates the manifest with Maven (`python -m newswire.broker.lock`)
java.py      finding Java 17+
config.py    server.properties and the log4j2 config for one KRaft node
cds.py       a JVM class-data archive that halves start-up after the first run
embedded.py  `EmbeddedBroker`: format, start, wait until ready, stop
command.py   `serve()`, behind `newswire broker`
"""

from newswire.broker.embedded import EmbeddedBroker
from newswire.broker.version import KAFKA_VERSION

__all__ = ["KAFKA_VERSION", "EmbeddedBroker"]
