"""The driftguard HTTP service (FastAPI): ``from driftguard_service.app import create_app``.

Routes, settings and the error table live here; everything else is the library
(:mod:`driftguard.serving`), which never imports FastAPI.
"""
