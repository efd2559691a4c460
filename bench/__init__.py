"""newswire's benchmarks: every figure a ratio against a bare component measured in the same run.

The benchmarks (each `python -m bench.NAME [--quick]`, each printing one JSON line per result):
tag_speed.py   `Tagger.tag` alone on one core, against spaCy's NER alone
publish.py     ingest's seed path vs a bare producer, for each compression codec
enrich.py      the enrich service vs `Tagger.tag`, and 1 vs 2 replicas / workers
latency.py     end-to-end latency at a steady 20 articles/s, read_committed
memory.py      resident memory of each service after 5,000 and 10,000 articles
profile.py     py-spy profiles of each service's hot path
feeds.py       feed ingestion on a loopback feed farm (issue 3): first pass, 304s, memory

What they share:
harness.py     the broker, the machine, load average, CPU-time clocks, the JSON line (`Result`)
corpus.py      the articles every benchmark uses (~500 words, deterministic)
topics.py      feeding raw records, reading topics read_committed, log bytes on disk
children.py    `newswire` services as child processes: environment, RSS, CPU time, stop
workloads.py   a service as a child process fed articles in steps (memory, profile)
farm.py        the loopback feed farm

suite.py       `make bench` / `make bench-quick`: runs them all on one broker, then:
report.py      docs/benchmarks.md (summary; sections.py per benchmark, tables.py helpers)
plot.py        docs/benchmarks.png
"""
