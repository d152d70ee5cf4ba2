"""driftguard."""
