"""The report code as it was before reports were built from aggregates (commit d47bd83).

Kept only as the peer of benchmarks/bench_report_*.py: every session read in full, one
matplotlib figure per session. Not imported by Defuse itself.
"""
