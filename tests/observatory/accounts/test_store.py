"""Accounts and groups within the administrator's scope, against the real database."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.accounts.actors import Actor
from observatory.accounts.groups import create_group, delete_group, list_groups, update_group
from observatory.accounts.passwords import verify_password
from observatory.accounts.sessions import account_scope
from observatory.accounts.store import (
    change_password,
    create_account,
    list_accounts,
    normalise_email,
    reset_password,
    update_account,
)
from observatory.errors import InUse, InvalidInput, NotAllowed
from observatory.models import AuditLog

EVERYWHERE = Actor(name="root", role="admin")
OF_A = Actor(name="admin-a", role="admin", scope=frozenset({"31555"}))
PASSWORD = "cheval agrafe batterie correcte"


def test_email_is_lowercased_and_checked() -> None:
    assert normalise_email("  Agent.Un@Mairie-Exemple.FR ") == "agent.un@mairie-exemple.fr"
    for wrong in ("agent", "agent@", "@mairie.fr", "a b@mairie.fr", "agent@mairie"):
        with pytest.raises(InvalidInput, match="Adresse e-mail invalide"):
            normalise_email(wrong)


def test_created_account_has_a_temporary_password_to_change(session: Session) -> None:
    account, temporary = create_account(
        session, EVERYWHERE, email="Agent@Ville.fr", role="analyst", communes=frozenset({"31555"})
    )
    assert account.email == "agent@ville.fr" and account.must_change_password
    assert temporary is not None and verify_password(account.password_hash, temporary)
    with pytest.raises(InvalidInput, match="existe déjà"):
        create_account(session, EVERYWHERE, email="agent@ville.fr", role="analyst", communes=None)
    actions = session.scalars(select(AuditLog.action)).all()
    assert actions == ["compte créé"]


def test_an_admin_grants_only_within_their_scope(session: Session) -> None:
    for wanted in ({"31069"}, {"31555", "31069"}, None):
        with pytest.raises(NotAllowed, match="périmètre"):
            create_account(
                session,
                OF_A,
                email="x@ville.fr",
                role="analyst",
                communes=None if wanted is None else frozenset(wanted),
            )
    account, _ = create_account(
        session, OF_A, email="x@ville.fr", role="analyst", communes=frozenset({"31555"})
    )
    assert account_scope(session, account) == frozenset({"31555"})
    with pytest.raises(NotAllowed):
        update_account(session, OF_A, account, communes=frozenset({"31555", "31069"}))


def test_an_admin_manages_only_accounts_within_their_scope(session: Session) -> None:
    other, _ = create_account(
        session, EVERYWHERE, email="b@ville.fr", role="analyst", communes=frozenset({"31069"})
    )
    wide, _ = create_account(session, EVERYWHERE, email="w@ville.fr", role="admin", communes=None)
    mine, _ = create_account(
        session, OF_A, email="a@ville.fr", role="partner", communes=frozenset({"31555"})
    )
    assert [a.email for a in list_accounts(session, OF_A)] == ["a@ville.fr"]
    assert len(list_accounts(session, EVERYWHERE)) == 3
    for account in (other, wide):
        with pytest.raises(NotAllowed):
            update_account(session, OF_A, account, role="partner")
        with pytest.raises(NotAllowed):
            reset_password(session, OF_A, account)
    changed = update_account(session, OF_A, mine, role="analyst", disabled=True)
    assert changed.role == "analyst" and changed.disabled
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "compte modifié")).one()
    assert entry.filters["before"]["role"] == "partner"
    assert entry.filters["after"]["disabled"] is True
    assert entry.communes == ["31555"]


def test_groups_count_in_the_scope_and_in_the_checks(session: Session) -> None:
    create_group(session, EVERYWHERE, "cispd-ouest", ["31555", "31069"], "CISPD de l'Ouest")
    with pytest.raises(NotAllowed):
        create_account(
            session,
            OF_A,
            email="g@ville.fr",
            role="analyst",
            communes=frozenset(),
            groups=["cispd-ouest"],
        )
    with pytest.raises(InvalidInput, match="inconnu"):
        create_account(
            session,
            EVERYWHERE,
            email="g@ville.fr",
            role="analyst",
            communes=frozenset(),
            groups=["nulle-part"],
        )
    account, _ = create_account(
        session,
        EVERYWHERE,
        email="g@ville.fr",
        role="analyst",
        communes=frozenset({"31001"}),
        groups=["cispd-ouest"],
    )
    assert account_scope(session, account) == frozenset({"31555", "31069", "31001"})
    assert list_groups(session, OF_A) == []
    for act in (
        lambda: update_group(session, OF_A, "cispd-ouest", label="x"),
        lambda: delete_group(session, OF_A, "cispd-ouest"),
        lambda: create_group(session, OF_A, "mix", ["31555", "31069"]),
    ):
        with pytest.raises(NotAllowed):
            act()
    create_group(session, OF_A, "centre", ["31555"])
    assert [g.name for g in list_groups(session, OF_A)] == ["centre"]
    with pytest.raises(InvalidInput, match="refusé"):
        create_group(session, EVERYWHERE, "Pas Bon", ["31555"])
    # Still named by the account: its deletion is refused, then allowed once no one names it.
    with pytest.raises(InUse, match="1 compte"):
        delete_group(session, EVERYWHERE, "cispd-ouest")
    update_account(session, EVERYWHERE, account, groups=[])
    delete_group(session, EVERYWHERE, "cispd-ouest")
    assert account_scope(session, account) == frozenset({"31001"})


def test_own_password_change_checks_the_current_and_the_rules(session: Session) -> None:
    account, temporary = create_account(
        session, EVERYWHERE, email="p@ville.fr", role="analyst", communes=None
    )
    assert temporary is not None
    with pytest.raises(NotAllowed, match="incorrect"):
        change_password(session, account, "pas le bon", PASSWORD, None)
    with pytest.raises(InvalidInput, match="court"):
        change_password(session, account, temporary, "court", None)
    change_password(session, account, temporary, PASSWORD, None)
    assert not account.must_change_password
    assert verify_password(account.password_hash, PASSWORD)


def test_demo_accounts_are_made_once_with_their_printed_passwords(session: Session) -> None:
    from observatory.accounts.demo import DEMO_ACCOUNTS, ensure_demo_accounts

    first = ensure_demo_accounts(session)
    assert [made for *_, made in first] == [True] * len(DEMO_ACCOUNTS)
    again = ensure_demo_accounts(session)
    assert [made for *_, made in again] == [False] * len(DEMO_ACCOUNTS)
    views = {a.email: a for a in list_accounts(session, EVERYWHERE)}
    assert set(views) == {email for email, *_ in DEMO_ACCOUNTS}
    assert views["partenaire@demo.local"].scope == ["31555"]
    assert views["cispd@demo.local"].scope == ["31069", "31149"]  # the demo's group
    assert views["police.blagnac@demo.local"].scope == ["31069"]
    assert not views["admin@demo.local"].must_change_password
    from observatory.accounts.store import find_account

    for email, *_, password in DEMO_ACCOUNTS:
        assert verify_password(find_account(session, email).password_hash, password)
