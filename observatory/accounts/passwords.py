"""Passwords: Argon2id hashes, and the rules a new password must meet.

Hashing is argon2-cffi's ``PasswordHasher`` with its defaults: Argon2id, the « low memory »
profile of RFC 9106 (time cost 3, 64 MiB, parallelism 4, 16-byte salt, 32-byte hash;
https://argon2-cffi.readthedocs.io/en/stable/api.html#argon2.PasswordHasher). A hash made
with older parameters is redone at the next sign-in (``needs_rehash``).

The rules follow the ANSSI's recommendations on authentication (« Recommandations relatives à
l'authentification multifacteur et aux mots de passe », 2021): a minimum length rather than
composition rules, and a refusal of the passwords everyone tries first (a list shipped in
common_passwords.txt), of the account's own e-mail, and of what zxcvbn finds guessable.

Each hash or check takes 64 MiB for a fraction of a second: at most ``OBS_PASSWORD_CHECKS``
run at once in a process (``limit_checks``); one more waits ``WAIT_SECONDS`` for a turn, then
is refused (``Busy``, a 503 with Retry-After), so that a flood of sign-ins cannot exhaust the
memory.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from observatory.errors import Busy, InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's score from 0 to 4; 3: « safely unguessable », about 10^8 guesses or more.
MIN_SCORE = 3
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread

DEFAULT_CHECKS = 4
WAIT_SECONDS = 2.0
RETRY_AFTER = 2
BUSY = "Trop de connexions en cours de vérification : réessayez dans quelques secondes."

_hasher = PasswordHasher()
_checks = threading.BoundedSemaphore(DEFAULT_CHECKS)


def limit_checks(count: int) -> None:
    """At most ``count`` hashes or checks at once in this process (OBS_PASSWORD_CHECKS)."""
    global _checks
    _checks = threading.BoundedSemaphore(max(1, count))


@contextmanager
def _turn() -> Iterator[None]:
    gate = _checks  # the one acquired is the one released, even if limit_checks runs between
    if not gate.acquire(timeout=WAIT_SECONDS):
        raise Busy(BUSY, RETRY_AFTER)
    try:
        yield
    finally:
        gate.release()


def hash_password(password: str) -> str:
    """The Argon2id hash of a password (salt and parameters inside)."""
    with _turn():
        return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when the password matches the stored hash; a missing hash costs the same time."""
    with _turn():
        try:
            return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows: checked for an unknown e-mail, so that an unknown
    address takes as long to refuse as a wrong password (no timing oracle)."""
    return _hasher.hash(secrets.token_urlsafe(16))


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, lowercase."""
    text = resources.files("observatory.accounts").joinpath("common_passwords.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def weakness(password: str, email: str | None = None) -> str | None:
    """Why this password is refused, in French, or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return f"Mot de passe trop court : {MIN_LENGTH} caractères au moins."
    if len(password) > MAX_LENGTH:
        return f"Mot de passe trop long : {MAX_LENGTH} caractères au plus."
    folded = password.strip().lower()
    if folded in common_passwords():
        return "Ce mot de passe figure parmi les plus courants : choisissez-en un autre."
    if email:
        address = email.strip().lower()
        local = address.split("@", 1)[0]
        if address in folded or (len(local) >= 4 and local in folded):
            return "Le mot de passe ne doit pas reprendre votre adresse e-mail."
    inputs = [email, email.split("@", 1)[0]] if email else []
    estimate = zxcvbn(password[:100], user_inputs=inputs)  # its cost grows with the length
    if estimate["score"] < MIN_SCORE:
        return (
            "Mot de passe trop facile à deviner (mots courants, suites, répétitions ou rangées "
            "du clavier) : allongez-le, par exemple avec plusieurs mots sans rapport entre eux."
        )
    return None


def check_password(password: str, email: str | None = None) -> None:
    """InvalidInput (a 422) with the French reason when the password is refused."""
    if (reason := weakness(password, email)) is not None:
        raise InvalidInput(reason)


def temporary_password() -> str:
    """A random password to give once (about 100 bits), in groups of four to read aloud."""
    chars = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(20))
    return "-".join(chars[i : i + 4] for i in range(0, 20, 4))
