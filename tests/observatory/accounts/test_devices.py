"""Device cookies: a browser that once signed in to an account is never kept waiting by the
failures of others (OWASP's design), while whoever fails is still slowed."""

from __future__ import annotations

from observatory.accounts.throttle import (
    ACCOUNT_FREE,
    ACCOUNT_MAX_DELAY,
    DEVICE_LIMIT,
    WINDOW_SECONDS,
    SignInThrottle,
)

KEY = "une clé de test assez longue pour signer des cookies"


def test_a_device_cookie_is_valid_only_for_its_account_and_unforged() -> None:
    from observatory.accounts import devices

    cookie = devices.issue(7, KEY)
    nonce = devices.nonce_of(cookie, 7, KEY)
    assert nonce is not None and nonce in cookie
    assert devices.issue(7, KEY) != cookie  # a new nonce each time
    assert devices.nonce_of(cookie, 8, KEY) is None  # another account's
    assert devices.nonce_of(cookie, 7, "une autre clé, tout aussi longue") is None
    account, nonce_part, signature = cookie.split(".")
    assert devices.nonce_of(f"{account}.{nonce_part}x.{signature}", 7, KEY) is None
    assert devices.nonce_of(f"8.{nonce_part}.{signature}", 8, KEY) is None
    for wrong in (None, "", "7", "7.a", "x" * 300):
        assert devices.nonce_of(wrong, 7, KEY) is None
    assert devices.nonce_of(cookie, None, KEY) is None  # an unknown e-mail


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_attacker_failing_from_many_addresses_never_stops_the_owners_device() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    victim = "maire@ville.fr"
    attackers = [f"2001:db8::{i}" for i in range(8)]
    owner, owner_device = "198.51.100.7", "nonce-of-the-owners-browser"
    failures = owner_tries = owner_waits = stranger_waits = 0
    next_owner, turn = 5.0, 0
    while clock.now < 3600:
        # The attacker fires a wrong password whenever one of its addresses may.
        for k in range(len(attackers)):
            address = attackers[(turn + k) % len(attackers)]
            if throttle.wait_seconds(address, victim) == 0:
                throttle.failed(address, victim)
                failures += 1
                turn = (turn + k + 1) % len(attackers)
                break
        if clock.now >= next_owner:
            owner_tries += 1
            if throttle.wait_seconds(owner, victim, owner_device):
                owner_waits += 1
            if throttle.wait_seconds("203.0.113.50", victim):  # a browser never signed in
                stranger_waits += 1
            throttle.succeeded(owner, victim, owner_device)
            next_owner = clock.now + 300
        clock.now += 0.25
    assert owner_tries == 12 and owner_waits == 0
    # The attacker stays slowed: one guess per ACCOUNT_MAX_DELAY once past the free ones, and
    # a browser without the device cookie waits as it does.
    assert failures <= 3600 / ACCOUNT_MAX_DELAY + 2 * ACCOUNT_FREE
    assert stranger_waits >= owner_tries - 1


def test_a_device_has_its_own_small_count_and_does_not_feed_the_accounts() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for _ in range(DEVICE_LIMIT):
        assert throttle.wait_seconds("10.0.0.1", "a@x.fr", "device") == 0
        throttle.failed("10.0.0.1", "a@x.fr", "device")
        clock.now += 1
    assert 0 < throttle.wait_seconds("10.0.0.1", "a@x.fr", "device") <= WINDOW_SECONDS
    # Another browser of the owner's, and the untrusted attempts, are not paused by it.
    assert throttle.wait_seconds("10.0.0.1", "a@x.fr", "another device") == 0
    assert throttle.wait_seconds("10.0.0.1", "a@x.fr") == 0
    throttle.succeeded("10.0.0.1", "a@x.fr", "device")
    assert throttle.wait_seconds("10.0.0.1", "a@x.fr", "device") == 0
