"""Sign-in throttling that slows guessing down without letting anyone lock another person out.

Failures are counted over a sliding window (15 minutes), per API process:

- per address and account: after ``PAIR_LIMIT`` failures from an address against an
  account, that address must wait before trying that account again;
- per address: after ``ADDRESS_LIMIT`` failures from an address (whatever the accounts),
  that address must wait;
- per account, from anywhere: after ``ACCOUNT_FREE`` failures, each further attempt on the
  account must wait a delay after the last failure, doubling with each failure up to
  ``ACCOUNT_MAX_DELAY`` seconds. An attacker spreading attempts over many addresses only
  slows the account down to one guess per half-minute; it is never locked.

So failures from address X against account A pause X, and X against A. The account's key is
the e-mail as typed (lowercased), so an unknown address is throttled exactly like a known one.

An attacker failing continuously from many addresses would keep the account-wide delay
running for ever, and so keep its owner waiting: OWASP's « device cookie » design
(https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies)
answers that. After a successful sign-in the browser gets a signed cookie naming the account
(observatory/accounts/devices.py); an attempt that presents a valid one for the account tried is
counted only per device (``DEVICE_LIMIT`` failures per window) and never waits for the
address's, the pair's or the account's counts, which only untrusted attempts feed and obey.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable

from observatory.throttling import RecentFailures

WINDOW_SECONDS = 15 * 60.0
PAIR_LIMIT = 5
ADDRESS_LIMIT = 20
ACCOUNT_FREE = 10
ACCOUNT_MAX_DELAY = 30.0
DEVICE_LIMIT = 5
MAX_KEYS = 50_000


class SignInThrottle:
    """The recent sign-in failures, by address, by account, by both."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._failures = RecentFailures(WINDOW_SECONDS, MAX_KEYS, clock)

    def wait_seconds(self, address: str, account: str, device: str | None = None) -> int:
        """Seconds before this address may try this account again (0: now); ``device``: the
        nonce of a valid device cookie of this account, whose attempts obey only its count."""
        now = self._failures.clock()
        times = self._failures.times
        waits = [0.0]
        if device is not None:
            mine = times(("device", device), now)
            if len(mine) >= DEVICE_LIMIT:
                waits.append(WINDOW_SECONDS - (now - mine[-DEVICE_LIMIT]))
            return _seconds(max(waits))
        pair = times(("pair", address, account), now)
        if len(pair) >= PAIR_LIMIT:
            waits.append(WINDOW_SECONDS - (now - pair[-PAIR_LIMIT]))
        mine = times(("address", address), now)
        if len(mine) >= ADDRESS_LIMIT:
            waits.append(WINDOW_SECONDS - (now - mine[-ADDRESS_LIMIT]))
        theirs = times(("account", account), now)
        if len(theirs) >= ACCOUNT_FREE:
            delay = min(ACCOUNT_MAX_DELAY, 2.0 ** (len(theirs) - ACCOUNT_FREE))
            waits.append(delay - (now - theirs[-1]))
        return _seconds(max(waits))

    def failed(self, address: str, account: str, device: str | None = None) -> None:
        """Count a failed attempt (a wrong password, or a wrong code): against the device
        alone when it came with a valid device cookie of the account."""
        keys: tuple[Hashable, ...] = (
            (("device", device),)
            if device is not None
            else (("pair", address, account), ("address", address), ("account", account))
        )
        self._failures.add(keys, self._failures.clock())

    def succeeded(self, address: str, account: str, device: str | None = None) -> None:
        """The owner signed in from this address: its own failures on the account are forgiven
        (the account's count stays: it slows only guessing)."""
        self._failures.forget(("pair", address, account))
        if device is not None:
            self._failures.forget(("device", device))

    def clear(self) -> None:
        self._failures.clear()


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait)) if wait > 0 else 0
