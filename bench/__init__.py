"""Benchmarks of plate-service (`make bench`): recognition, service under load, memory."""
