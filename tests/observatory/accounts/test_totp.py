"""TOTP codes accepted within one step, each once; recovery codes each once."""

import time

import pyotp

from observatory.accounts import totp

KEY = "test-secret-key"


def test_code_of_now_and_of_the_steps_beside_are_accepted() -> None:
    secret = totp.new_secret()
    now = time.time()
    step = pyotp.TOTP(secret).timecode(__import__("datetime").datetime.fromtimestamp(now))
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, now + 30 * offset)
        assert totp.accepted_step(secret, code, None, now) == step + offset
    assert totp.accepted_step(secret, totp.code_at(secret, now + 90), None, now) is None
    assert totp.accepted_step(secret, totp.code_at(secret, now - 90), None, now) is None


def test_a_code_cannot_be_replayed_nor_an_older_one_used() -> None:
    secret = totp.new_secret()
    now = time.time()
    code = totp.code_at(secret, now)
    used = totp.accepted_step(secret, code, None, now)
    assert used is not None
    assert totp.accepted_step(secret, code, used, now) is None
    assert totp.accepted_step(secret, totp.code_at(secret, now - 30), used, now) is None
    assert totp.accepted_step(secret, totp.code_at(secret, now + 30), used, now) == used + 1


def test_malformed_codes_are_refused() -> None:
    secret = totp.new_secret()
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert totp.accepted_step(secret, code, None) is None
    spaced = totp.code_at(secret, time.time())
    assert totp.accepted_step(secret, f"{spaced[:3]} {spaced[3:]}", None) is not None


def test_recovery_codes_are_kept_hashed_and_work_once() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = [totp.hash_recovery(c, KEY) for c in codes]
    assert not set(codes) & set(stored)
    left = totp.use_recovery(stored, codes[3].upper().replace("-", " "), KEY)
    assert left is not None and len(left) == 9
    assert totp.use_recovery(left, codes[3], KEY) is None
    assert totp.use_recovery(stored, codes[3], "another-key") is None
    assert totp.looks_like_recovery(codes[0]) and not totp.looks_like_recovery("123456")


def test_enrolment_uri_and_qr_code() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "agent@mairie.fr")
    assert uri.startswith("otpauth://totp/Observatoire:agent%40mairie.fr?")
    assert f"secret={secret}" in uri and "issuer=Observatoire" in uri
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_the_secret_is_stored_sealed_and_opens_only_with_its_key() -> None:
    secret = totp.new_secret()
    stored = totp.seal(secret, "clé-du-serveur-assez-longue-0123456789")
    assert secret not in stored and stored.startswith("f1:")
    assert totp.seal(secret, "clé-du-serveur-assez-longue-0123456789") != stored  # random IV
    assert totp.unseal(stored, "clé-du-serveur-assez-longue-0123456789") == secret
    assert totp.unseal(stored, "une-autre-clé-du-serveur-0123456789") == ""
    tampered = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    assert totp.unseal(tampered, "clé-du-serveur-assez-longue-0123456789") == ""
