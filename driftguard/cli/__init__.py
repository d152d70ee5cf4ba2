"""The ``driftguard`` command: thin commands that parse arguments, call the library, render.

One module per command (``train``, ``models``, ``serve``, ``status``, ``report``,
``audit-data``, ``drift`` in :mod:`~driftguard.cli.main`), the demo in its own package
(:mod:`driftguard.cli.demo`), and :mod:`~driftguard.cli.bench`, a launcher for the benchmarks
of a checkout (they never ship in the wheel).
"""
