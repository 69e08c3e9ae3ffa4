// Les rôles tels que l'utilisateur les lit, et les pages que chacun peut ouvrir.

/** Les noms français des rôles (les codes des jetons : observatory/roles.py côté serveur). */
export const NOMS_ROLES = { admin: "administrateur", police: "police", analyst: "analyste", partner: "partenaire" };

// Ce que l'API laisse lire à chaque rôle : les lots d'import (api/routers/imports.py) aux rôles
// administrateur, police et analyste ; l'état 4001 par service n'est pas diffusé aux partenaires.
// L'administration (comptes, groupes, journal) à l'administrateur ; « Mon compte » à tous.
const PAGES_DU_ROLE = {
  admin: ["carte", "etat4001", "imports", "admin", "compte"],
  police: ["carte", "etat4001", "imports", "compte"],
  analyst: ["carte", "etat4001", "imports", "compte"],
  partner: ["carte", "compte"],
};

export function nomRole(role) {
  return NOMS_ROLES[role] || role;
}

/** Les pages que le rôle peut ouvrir (la carte et le compte pour un rôle inconnu). */
export function pagesPermises(role) {
  return PAGES_DU_ROLE[role] || ["carte", "compte"];
}

/** Retire du menu les pages que le rôle ne peut pas ouvrir (plutôt qu'un refus après le clic). */
export function menusDuRole(navigation, role) {
  const permises = pagesPermises(role);
  for (const lien of navigation.querySelectorAll("a[data-page]")) {
    lien.parentElement.hidden = !permises.includes(lien.dataset.page);
  }
}
