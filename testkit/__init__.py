"""What the tests and the benchmarks both need: the fake image provider, ports, process
figures from /proc and the raw HTTP load generator. The service never imports it, and it
imports neither ``tests`` nor ``bench`` (``tests/test_architecture.py`` checks both)."""
