"""Service settings, read from ``DRIFTGUARD_*`` environment variables.

Every field maps to one variable (``registry`` to ``DRIFTGUARD_REGISTRY`` and so on); a bad
value stops the service at start with a message naming the variable.

Examples
--------
>>> Settings(monitoring=False).max_body_bytes
16777216
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Configuration of one service process (see the README's "Serving" section)."""

    model_config = SettingsConfigDict(env_prefix="DRIFTGUARD_", extra="ignore", frozen=True)

    registry: Path = Field(
        default=Path(".driftguard/registry"), description="Registry folder to serve from"
    )
    models: str = Field(default="", description="Comma-separated names to serve (default all)")
    admin_token: SecretStr | None = Field(
        default=None, description="Bearer token of the management routes (generated if unset)"
    )
    nonfinite: Literal["reject", "count"] = Field(
        default="reject", description="Missing, NaN and infinite inputs: reject or count"
    )
    monitoring: bool = Field(default=True, description="Sketch every request and log predictions")
    window_size: int | None = Field(default=None, ge=2, description="Rows per drift window")
    queue_rows: int = Field(default=100_000, ge=1, description="Bound of the monitoring queue")
    prediction_log_rows: int = Field(default=100_000, ge=1, description="Predictions kept")
    feedback_rows: int = Field(default=100_000, ge=1, description="Labelled rows kept")
    max_body_bytes: int = Field(default=16 * MIB, ge=1, description="Largest request body")
    inline_rows: int = Field(
        default=64, ge=0, description="Requests with more rows run in the thread pool"
    )
    policy: Path | None = Field(
        default=None, description="Policy YAML file (default: the policy shipped with driftguard)"
    )
    rollback_by: Literal["guard", "alertmanager", "none"] = Field(
        default="guard",
        description="Who rolls back: the in-process policy, Alertmanager's webhook, or nobody",
    )
    guard_rollback: bool = Field(
        default=True, description="Older switch: false is rollback_by=none (when rollback_by=guard)"
    )
    webhook_url: str | None = Field(
        default=None, description="Alertmanager-shaped notifications of decisions go here"
    )
    shadow_rows: int = Field(
        default=2000, ge=0, description="Rows a previous version shadows after a promotion"
    )
    shadow_max_disagreement: float = Field(
        default=0.1, gt=0, lt=1, description="Shadow disagreement counted as a regression"
    )
    sequential_arl: int = Field(
        default=0, ge=0, description="Sequential drift: rows between false alarms (0: off)"
    )
    watch_interval_s: float = Field(default=1.0, gt=0, description="Registry poll period")
    drain_interval_s: float = Field(default=0.2, gt=0, description="Sketch fold period")
    look_interval_s: float = Field(default=10.0, gt=0, description="Open-window check period")

    @property
    def rollback_controller(self) -> Literal["guard", "alertmanager", "none"]:
        """Who carries out rollbacks (``guard_rollback=false`` turns the guard's off)."""
        if self.rollback_by == "guard" and not self.guard_rollback:
            return "none"
        return self.rollback_by

    @property
    def model_names(self) -> tuple[str, ...]:
        """The ``models`` setting as a tuple (empty: serve every name)."""
        return tuple(n.strip() for n in self.models.split(",") if n.strip())
