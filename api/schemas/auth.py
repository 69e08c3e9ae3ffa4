"""Signing in, the signed-in person's own settings and tokens, and the administration of
accounts and groups of communes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.tokens import TokenFields

Role = Literal["admin", "police", "analyst", "partner"]
# PostgreSQL's text takes no NUL, and nothing here needs a control character.
PLAIN = r"^[^\x00-\x1f\x7f]*$"
GROUP_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class LoginIn(BaseModel):
    """Une connexion."""

    email: str = Field(max_length=254, pattern=PLAIN, description="Adresse e-mail du compte")
    password: str = Field(max_length=1024, description="Mot de passe")
    code: str | None = Field(
        default=None,
        max_length=32,
        description="Code à six chiffres de l'application d'authentification, ou code de secours",
    )


class SessionOut(BaseModel):
    """La personne connectée."""

    email: str = Field(description="Adresse e-mail du compte")
    role: Role = Field(description="Rôle : admin, police, analyst ou partner")
    role_label: str = Field(description="Rôle en clair")
    communes: list[str] | None = Field(
        description="Codes INSEE du périmètre ; null : toutes les communes"
    )
    scope_label: str = Field(description="Périmètre en clair")
    totp_enabled: bool = Field(description="Double authentification activée")
    must_change_password: bool = Field(description="Le mot de passe doit être changé d'abord")
    enrolment_required: bool = Field(
        description="La double authentification doit être activée avant tout accès aux données"
    )
    csrf: str = Field(description="Jeton à renvoyer dans l'en-tête X-CSRF-Token des modifications")


class EnrolOut(BaseModel):
    """Un secret TOTP à enregistrer dans l'application d'authentification."""

    secret: str = Field(description="Secret en base32, à saisir à la main si besoin")
    uri: str = Field(description="Adresse otpauth:// du secret")
    qr_svg: str = Field(description="QR code de l'adresse, en SVG")


class CodeIn(BaseModel):
    """Un code de l'application d'authentification."""

    code: str = Field(max_length=32, description="Code à six chiffres affiché par l'application")


class RecoveryOut(BaseModel):
    """Les codes de secours, affichés une seule fois."""

    recovery_codes: list[str] = Field(
        description="Dix codes de secours, chacun utilisable une fois"
    )


class EverywhereIn(BaseModel):
    """Ce que « se déconnecter partout » ferme en plus des sessions."""

    tokens: bool = Field(
        default=False, description="Révoquer aussi tous les jetons du compte (scripts)"
    )


class PasswordIn(BaseModel):
    """Un changement de mot de passe."""

    current: str = Field(max_length=1024, description="Mot de passe actuel")
    new: str = Field(max_length=1024, description="Nouveau mot de passe (12 caractères au moins)")


class TokenIn(BaseModel):
    """Un jeton pour un script, jamais plus large que le compte."""

    name: str = Field(max_length=100, pattern=PLAIN, description="Nom du jeton")
    days: int = Field(ge=1, le=365, description="Durée de validité, en jours")
    role: Role | None = Field(
        default=None, description="Rôle, au plus celui du compte ; absent : celui du compte"
    )
    communes: list[str] | None = Field(
        default=None,
        max_length=5000,
        description="Codes INSEE, dans le périmètre du compte ; absent : celui du compte",
    )


class TokenCreated(BaseModel):
    """Le jeton créé, affiché une seule fois."""

    name: str = Field(description="Nom du jeton")
    token: str = Field(description="Le jeton, à copier maintenant : il ne sera plus affiché")
    role: Role = Field(description="Rôle du jeton")
    expires_at: datetime = Field(description="Fin de validité")
    communes: list[str] | None = Field(
        description="Codes INSEE du périmètre ; null : toutes les communes"
    )


class OwnToken(TokenFields):
    """Un jeton du compte (jamais sa valeur)."""

    communes: list[str] | None = Field(
        description="Codes INSEE demandés ; null : le périmètre du compte"
    )


class AccountIn(BaseModel):
    """Un compte à créer."""

    email: str = Field(max_length=254, pattern=PLAIN, description="Adresse e-mail")
    role: Role = Field(description="Rôle : admin, police, analyst ou partner")
    communes: list[str] | None = Field(
        max_length=5000, description="Codes INSEE du périmètre ; null : toutes les communes"
    )
    groups: list[str] = Field(
        default=[], max_length=100, description="Groupes de communes ajoutés au périmètre"
    )


class AccountCreated(BaseModel):
    """Le compte créé et son mot de passe provisoire, affiché une seule fois."""

    id: int = Field(description="Numéro du compte")
    email: str = Field(description="Adresse e-mail")
    temporary_password: str = Field(description="Mot de passe provisoire, à changer à la connexion")


class AccountChange(BaseModel):
    """Les changements d'un compte (les champs absents ne changent pas)."""

    role: Role | None = Field(default=None, description="Nouveau rôle")
    communes: list[str] | None = Field(
        default=None,
        max_length=5000,
        description="Nouveaux codes INSEE ; null explicite : toutes les communes",
    )
    groups: list[str] | None = Field(
        default=None, max_length=100, description="Nouveaux groupes de communes"
    )
    disabled: bool | None = Field(default=None, description="Désactivé (true) ou réactivé (false)")


class AccountOut(BaseModel):
    """Un compte (jamais ses secrets)."""

    id: int = Field(description="Numéro du compte")
    email: str = Field(description="Adresse e-mail")
    role: Role = Field(description="Rôle")
    role_label: str = Field(description="Rôle en clair")
    communes: list[str] | None = Field(description="Codes INSEE donnés ; null : toutes")
    groups: list[str] = Field(description="Groupes de communes donnés")
    scope: list[str] | None = Field(description="Périmètre résolu ; null : toutes les communes")
    scope_label: str = Field(description="Périmètre en clair")
    totp_enabled: bool = Field(description="Double authentification activée")
    must_change_password: bool = Field(description="Mot de passe provisoire pas encore changé")
    disabled: bool = Field(description="Désactivé")
    created_at: datetime = Field(description="Créé le")
    last_sign_in_at: datetime | None = Field(description="Dernière connexion ; null : jamais")


class TemporaryPassword(BaseModel):
    """Un mot de passe provisoire, affiché une seule fois."""

    temporary_password: str = Field(description="Mot de passe provisoire, à changer à la connexion")


class GroupIn(BaseModel):
    """Un groupe de communes à créer."""

    name: str = Field(
        max_length=63, pattern=GROUP_NAME, description="Nom court, par exemple cispd-ouest"
    )
    label: str | None = Field(
        default=None, max_length=200, pattern=PLAIN, description="Nom en clair"
    )
    communes: list[str] = Field(max_length=5000, description="Codes INSEE des communes")


class GroupChange(BaseModel):
    """Les changements d'un groupe (les champs absents ne changent pas)."""

    label: str | None = Field(
        default=None, max_length=200, pattern=PLAIN, description="Nouveau nom en clair"
    )
    communes: list[str] | None = Field(
        default=None, max_length=5000, description="Nouveaux codes INSEE"
    )


class GroupOut(BaseModel):
    """Un groupe de communes."""

    name: str = Field(description="Nom court")
    label: str | None = Field(description="Nom en clair")
    communes: list[str] = Field(description="Codes INSEE des communes")
