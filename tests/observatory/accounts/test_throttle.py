"""The sign-in throttle slows guessing and never locks the owner out."""

from observatory.accounts.throttle import (
    ACCOUNT_FREE,
    ACCOUNT_MAX_DELAY,
    ADDRESS_LIMIT,
    PAIR_LIMIT,
    WINDOW_SECONDS,
    SignInThrottle,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_from_one_address_pause_it_against_that_account() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for _ in range(PAIR_LIMIT):
        assert throttle.wait_seconds("10.0.0.1", "a@x.fr") == 0
        throttle.failed("10.0.0.1", "a@x.fr")
        clock.now += 1
    wait = throttle.wait_seconds("10.0.0.1", "a@x.fr")
    assert 0 < wait <= WINDOW_SECONDS
    # The owner, elsewhere, is not paused; the same address against another account neither.
    assert throttle.wait_seconds("10.0.0.2", "a@x.fr") == 0
    assert throttle.wait_seconds("10.0.0.1", "b@x.fr") == 0
    clock.now += WINDOW_SECONDS
    assert throttle.wait_seconds("10.0.0.1", "a@x.fr") == 0


def test_an_address_trying_many_accounts_is_paused() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for i in range(ADDRESS_LIMIT):
        throttle.failed("10.0.0.9", f"user{i}@x.fr")
    assert throttle.wait_seconds("10.0.0.9", "new@x.fr") > 0
    assert throttle.wait_seconds("10.0.0.8", "new@x.fr") == 0


def test_spraying_many_addresses_only_delays_the_account() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for i in range(500):
        throttle.failed(f"10.1.{i // 250}.{i % 250}", "victim@x.fr")
    # The owner from a fresh address waits at most the cap, then may try.
    wait = throttle.wait_seconds("192.168.1.5", "victim@x.fr")
    assert 0 < wait <= ACCOUNT_MAX_DELAY
    clock.now += ACCOUNT_MAX_DELAY
    assert throttle.wait_seconds("192.168.1.5", "victim@x.fr") == 0


def test_a_few_failures_cost_the_account_nothing_then_the_delay_grows() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for i in range(ACCOUNT_FREE - 1):
        throttle.failed(f"10.2.0.{i}", "a@x.fr")
    assert throttle.wait_seconds("10.9.9.9", "a@x.fr") == 0
    throttle.failed("10.2.1.1", "a@x.fr")
    first = throttle.wait_seconds("10.9.9.9", "a@x.fr")
    for i in range(4):
        throttle.failed(f"10.2.2.{i}", "a@x.fr")
    assert throttle.wait_seconds("10.9.9.9", "a@x.fr") > first


def test_success_forgives_the_owners_own_failures() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for _ in range(PAIR_LIMIT - 1):
        throttle.failed("10.0.0.1", "a@x.fr")
    throttle.succeeded("10.0.0.1", "a@x.fr")
    throttle.failed("10.0.0.1", "a@x.fr")
    assert throttle.wait_seconds("10.0.0.1", "a@x.fr") == 0
