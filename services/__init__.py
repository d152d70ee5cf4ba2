"""The driftguard FastAPI service (the serving issue fills it in)."""
