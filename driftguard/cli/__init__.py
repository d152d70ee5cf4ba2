"""The ``driftguard`` command line (``driftguard --help``)."""
