"""Metrics and structured logs: what operators watch; nothing here changes behaviour."""

# Where the worker processes' metrics meet (prometheus_client's multiprocess mode). It must
# be set before prometheus_client is imported, so it is named here, away from that import.
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
