"""The second factor: TOTP codes (RFC 6238, pyotp) and recovery codes.

A code is accepted in the 30-second step of now, the one before or the one after (clocks
drift), and only once: the account keeps the last step accepted (``totp_last_step``), and a
code of that step or an earlier one is refused, so a code seen over a shoulder or in a proxy's
log cannot be replayed. Recovery codes are shown once and kept only as keyed hashes, each
usable once.

The secret itself must be readable to check a code, so it cannot be hashed: it is kept sealed
(``seal``/``unseal``: Fernet, AES-128-CBC with HMAC-SHA256, from the maintained `cryptography`
package) under a key derived from OBS_SECRET_KEY by HKDF-SHA256. A copy of the database alone
then gives no second factor. A secret stored without the seal's prefix (written by hand) is read
as is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ISSUER = "Observatoire"
VALID_WINDOW = 1
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


SEALED = "f1:"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"observatory totp").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, secret_key: str) -> str:
    """The TOTP secret as stored: encrypted and authenticated under OBS_SECRET_KEY."""
    return SEALED + _fernet(secret_key).encrypt(secret.encode()).decode()


def unseal(stored: str, secret_key: str) -> str:
    """The TOTP secret of what ``seal`` stored ("" when it cannot be opened: a changed
    OBS_SECRET_KEY; no code then passes, and an administrator resets the second factor)."""
    if not stored.startswith(SEALED):
        return stored
    try:
        return _fernet(secret_key).decrypt(stored[len(SEALED) :].encode()).decode()
    except InvalidToken:
        return ""


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator application reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a QR code, an SVG document (segno: pure Python, no image library)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def accepted_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step whose code this is (within one step of now), or None when the code is
    wrong or its step was already used (``last_step``)."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_at(now))
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def _at(now: float | None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now, UTC)


def code_at(secret: str, now: float) -> str:
    """The code of this moment (the tests, and the demo's printed hints)."""
    return pyotp.TOTP(secret).at(int(now))


def new_recovery_codes() -> list[str]:
    """Ten random codes like « k7m2-q9xp-3hta » (60 bits each), to show once."""
    codes = []
    for _ in range(RECOVERY_CODES):
        chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{chars[:4]}-{chars[4:8]}-{chars[8:]}")
    return codes


def normalise_recovery(code: str) -> str:
    """A recovery code as typed, without spaces, dashes or capitals."""
    return "".join(c for c in code.lower() if c.isalnum())


def hash_recovery(code: str, secret_key: str) -> str:
    """Keyed hash of a recovery code, as stored."""
    message = ("recovery:" + normalise_recovery(code)).encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def use_recovery(stored: list[str], code: str, secret_key: str) -> list[str] | None:
    """The stored hashes without this code's, or None when the code is not among them."""
    digest = hash_recovery(code, secret_key)
    for i, kept in enumerate(stored):
        if hmac.compare_digest(kept, digest):
            return stored[:i] + stored[i + 1 :]
    return None


def looks_like_recovery(code: str) -> bool:
    """A recovery code rather than a six-digit TOTP code."""
    return len(normalise_recovery(code)) == 12
