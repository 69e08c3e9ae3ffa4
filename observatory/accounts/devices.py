"""Device cookies (OWASP, « Slow Down Online Guessing Attacks with Device Cookies »): after a
successful sign-in the browser keeps ``obs_device``, the account's number and a random nonce
signed with the secret key (HMAC-SHA-256). Nothing is stored: the signature is the proof that
this browser once signed in to this account. observatory/accounts/throttle.py counts the
failures of such a browser on their own, so that nobody else's failures keep it waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "obs_device"
# A year: the cookie is worth something only with the account's password.
MAX_AGE_SECONDS = 365 * 24 * 3600


def _signature(account_id: int, nonce: str, secret_key: str) -> str:
    message = f"device:{account_id}:{nonce}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def issue(account_id: int, secret_key: str) -> str:
    """A new device cookie for this account: « <account>.<nonce>.<signature> »."""
    nonce = secrets.token_urlsafe(16)
    return f"{account_id}.{nonce}.{_signature(account_id, nonce, secret_key)}"


def nonce_of(cookie: str | None, account_id: int | None, secret_key: str) -> str | None:
    """The nonce of a valid device cookie of this account (the throttle's key for the device),
    or None: no cookie, another account's, or a forged one."""
    if not cookie or account_id is None or len(cookie) > 200:
        return None
    parts = cookie.split(".")
    if len(parts) != 3 or parts[0] != str(account_id):
        return None
    _, nonce, signature = parts
    if not hmac.compare_digest(_signature(account_id, nonce, secret_key), signature):
        return None
    return nonce
