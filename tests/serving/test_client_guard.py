"""ClientGuard (alert / rate-limit / block), the policy's clients block, rate signals."""

from __future__ import annotations

import pytest

from driftguard.errors import ClientBlockedError, PolicyError, RateLimitedError
from driftguard.guard.defense_signals import rate_signal
from driftguard.policy import ClientPolicy, parse_policy
from driftguard.serving.clients import ClientGuard
from driftguard.serving.flags import FlagCounter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_alert_only_never_refuses() -> None:
    guard = ClientGuard(ClientPolicy(on_probing="alert"))
    assert guard.flag("c", "m", 1, "burst")
    assert not guard.flag("c", "m", 1, "burst")  # flagged once
    for _ in range(100):
        guard.admit("c")
    assert guard.state().flagged == ("c",)
    assert guard.state().refused == {
        "rate_limit": 0,
        "block": 0,
    }


def test_block_refuses_until_hold_expires() -> None:
    clock = Clock()
    guard = ClientGuard(ClientPolicy(on_probing="block", hold_s=60), clock=clock)
    guard.admit("c")
    guard.flag("c", "m", 2, "12 near-duplicate queries")
    guard.admit("other")  # only the flagged client is refused
    with pytest.raises(ClientBlockedError, match=r"client c is blocked.*m v2") as info:
        guard.admit("c")
    assert info.value.retry_after == 60.0
    clock.now = 59.0
    with pytest.raises(ClientBlockedError):
        guard.admit("c")
    clock.now = 61.0
    guard.admit("c")  # the hold has passed: the flag is forgotten
    assert not guard.flagged("c")
    assert guard.state().refused["block"] == 2


def test_rate_limit_allows_the_configured_rate() -> None:
    clock = Clock()
    guard = ClientGuard(ClientPolicy(on_probing="rate_limit", rate_per_minute=5), clock=clock)
    guard.flag("c", "m", 1, "burst")
    for _ in range(5):
        guard.admit("c")
    with pytest.raises(RateLimitedError, match="limited to 5 requests per minute") as info:
        guard.admit("c")
    assert info.value.retry_after == pytest.approx(60.0)
    clock.now = 60.0
    guard.admit("c")  # the minute has passed
    assert guard.state().refused["rate_limit"] == 1


def test_zero_hold_lasts_until_released() -> None:
    clock = Clock()
    guard = ClientGuard(ClientPolicy(on_probing="block", hold_s=0), clock=clock)
    guard.flag("c", "m", 1, "burst")
    clock.now = 1e9
    with pytest.raises(ClientBlockedError) as info:
        guard.admit("c")
    assert info.value.retry_after is None
    assert guard.release("c")
    assert not guard.release("c")
    guard.admit("c")


def test_flagged_clients_are_bounded() -> None:
    guard = ClientGuard(ClientPolicy(), max_clients=3)
    for k in range(10):
        guard.flag(f"c{k}", "m", 1, "burst")
    state = guard.state()
    assert state.flagged == ("c7", "c8", "c9")
    assert state.forgotten == 7
    assert state.flags_total == 10
    assert guard.flagged_for("m") == 3


def test_policy_clients_block_is_checked_with_lines() -> None:
    text = "version: 1\nmode: warn\nrules: []\nclients:\n  on_probing: block\n  hold_s: -1\n"
    with pytest.raises(PolicyError, match=r"p.yaml:6: hold_s must be a number"):
        parse_policy(text, "p.yaml")
    ok = parse_policy("version: 1\nmode: warn\nrules: []\nclients: {on_probing: block}\n")
    assert ok.clients == ClientPolicy(on_probing="block")
    assert parse_policy("version: 1\nmode: warn\nrules: []\n").clients.on_probing == "alert"


def test_flag_counter_keeps_the_recent_rows() -> None:
    counter = FlagCounter(max_rows=10)
    counter.add([True] * 5).add([False] * 10)
    assert counter.recent() == (10, 0)
    assert (counter.total_, counter.flagged_) == (15, 5)
    counter.add([True] * 25)
    assert counter.recent() == (10, 10)


def test_rate_signal_tests_against_the_clean_rate() -> None:
    # 1% of 2000 rows is 20 expected; the critical count for p < 1e-3 is a little over 33.
    assert rate_signal("a", "adversarial", n=2000, flagged=25, alpha=0.01).status == "ok"
    breach = rate_signal("a", "adversarial", n=2000, flagged=60, alpha=0.01)
    assert breach.status == "breach"
    assert breach.value == 0.03
    assert breach.threshold is not None
    assert 0.015 < breach.threshold < 0.02
    assert rate_signal("a", "adversarial", n=0, flagged=0, alpha=0.01).status == (
        "insufficient_data"
    )
