"""driftguard's benchmarks: dev only, never in the wheel.

Run them from a checkout (``make bench``, ``make bench-serve``, ``make bench-guard``) or as
``python -m benchmarks.drift``, ``python -m benchmarks.serve``, ``python -m benchmarks.guard``;
``driftguard bench SUITE`` launches the same from a checkout.
"""
