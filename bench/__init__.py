"""Benchmarks: a synthetic company quality system (`bench.generate`) and the measurements (`bench.run`)."""
