"""Password hashing (Argon2id) and the rules a new password must meet."""

import pytest

from observatory.accounts.passwords import (
    MIN_LENGTH,
    check_password,
    common_passwords,
    hash_password,
    needs_rehash,
    temporary_password,
    verify_password,
    weakness,
)
from observatory.errors import InvalidInput


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = (
        hash_password("un mot de passe assez long"),
        hash_password("un mot de passe assez long"),
    )
    assert first.startswith("$argon2id$")
    assert first != second  # a salt of its own
    assert verify_password(first, "un mot de passe assez long")
    assert not verify_password(first, "un mot de passe assez lonG")
    assert not needs_rehash(first)


def test_missing_or_broken_hash_never_verifies() -> None:
    assert not verify_password(None, "")
    assert not verify_password(None, "n'importe quoi du tout")
    assert not verify_password("not-a-hash", "n'importe quoi du tout")


def test_old_parameters_need_a_rehash() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("ancien mot de passe")
    assert verify_password(weak, "ancien mot de passe")
    assert needs_rehash(weak)


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("court123!", "trop court"),
        ("x" * 129, "trop long"),
        ("azertyuiop123", "plus courants"),
        ("1QAZ2WSX3EDC", "plus courants"),
        ("jean.dupont1984", "adresse e-mail"),
        ("aaaaaaaaaaaaaaaa", "facile à deviner"),
        ("password123456", "facile à deviner"),
    ],
)
def test_weak_passwords_are_refused_in_french(password: str, words: str) -> None:
    reason = weakness(password, "jean.dupont@mairie-exemple.fr")
    assert reason is not None and words in reason
    with pytest.raises(InvalidInput, match=words):
        check_password(password, "jean.dupont@mairie-exemple.fr")


@pytest.mark.parametrize(
    "password",
    ["cheval agrafe batterie correcte", "Lune-Brique-Sardine-71", "zq8-vLm3-Rf9p-Kx"],
)
def test_long_unpredictable_passwords_pass_without_composition_rules(password: str) -> None:
    assert weakness(password, "jean.dupont@mairie-exemple.fr") is None


def test_the_shipped_list_is_loaded() -> None:
    common = common_passwords()
    assert len(common) > 9000
    assert {"123456", "password", "azerty", "motdepasse"} <= common
    assert not any(p.startswith("#") for p in common)


def test_temporary_passwords_are_random_and_long_enough() -> None:
    made = {temporary_password() for _ in range(50)}
    assert len(made) == 50
    assert all(len(p) >= MIN_LENGTH and weakness(p) is None for p in list(made)[:5])
