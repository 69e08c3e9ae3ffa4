// Les référentiels lus une fois par session de page : catégories, communes, QPV.

import { api } from "./api.js";

const cache = new Map();

function memo(cle, charger) {
  if (!cache.has(cle)) {
    cache.set(cle, charger().catch((e) => {
      cache.delete(cle);
      throw e;
    }));
  }
  return cache.get(cle);
}

export const categories = () => memo("categories", () => api("/categories"));
export const communes = () => memo("communes", () => api("/layers/communes"));
export const qpvs = (generation) =>
  memo(`qpv-${generation}`, () => api("/layers/qpv", { parametres: { generation } }));

/** Après un import : les contours et les catégories ont pu changer. */
export function oublier() {
  cache.clear();
}

/** Familles dans l'ordre de l'API : [{code, libelle, categories: [{code, label}]}]. */
export function familles(liste) {
  const parFamille = new Map();
  for (const c of liste) {
    if (!parFamille.has(c.family)) parFamille.set(c.family, { code: c.family, libelle: c.family_label, categories: [] });
    parFamille.get(c.family).categories.push(c);
  }
  return [...parFamille.values()];
}
