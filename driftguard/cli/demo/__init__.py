"""``driftguard demo``: the whole story on bundled digits, and the quick drift-only check.

:mod:`~driftguard.cli.demo.story` runs the story through a real service,
:mod:`~driftguard.cli.demo.traffic` sends its attack and feedback traffic,
:mod:`~driftguard.cli.demo.recipe` is the model it trains and
:mod:`~driftguard.cli.demo.drift_only` is ``driftguard demo --drift-only``.
"""
