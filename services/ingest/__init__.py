"""The ingest service: seeds and feeds into the raw topic."""

# `ingest --once`'s exit status when feeds were polled and not one could be read: the pass did
# its work, but a cron job must hear that the network, the list or a proxy is wrong. Here, not
# in the pipeline, so that `newswire run` can tell it without importing the service.
NO_FEED_READ = 3
