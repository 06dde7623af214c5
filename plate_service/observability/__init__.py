"""Metrics and structured logs: what operators watch; nothing here changes behaviour."""
