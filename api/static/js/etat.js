// L'état de la page (filtres, couches, vue), gardé dans l'adresse pour qu'un lien se partage.

import { anneesAvant, decaler, jour, moisLong } from "./dom.js";
import { PERIODES_DU_JOUR, bornesDuJour, texteDuJour } from "./periodes.js";

export const PERIODES = {
  ...PERIODES_DU_JOUR,
  "7j": "7 derniers jours",
  "28j": "28 derniers jours",
  "12m": "12 derniers mois",
  tout: "Toute la période",
  perso: "Personnalisée",
};

/** Un partenaire lit une diffusion mensuelle (mois clos) : ses périodes sont des mois entiers. */
export const PERIODES_PARTENAIRE = {
  "1m": "Dernier mois publié",
  "3m": "3 derniers mois",
  "12m": "12 derniers mois",
  tout: "Toute la période",
  perso: "Personnalisée (mois entiers)",
};

/** Ce que le rôle peut demander (observatory/privacy/policy.py côté serveur). */
const PROFILS = {
  complet: { resMax: 11 },
  analyste: { resMax: 10 },
  partenaire: { resMax: 8 },
};

let profil = "complet";
// Les codes des familles : un partenaire filtre par familles entières.
let familles = [];

/** Le profil du rôle connecté : « partenaire », « analyste » ou « complet ». */
export function profilCourant() {
  return profil;
}

export function periodes() {
  return profil === "partenaire" ? PERIODES_PARTENAIRE : PERIODES;
}

export function resolutionMax() {
  return PROFILS[profil].resMax;
}

/** Fixe le profil du rôle et ramène l'état (lu dans l'adresse) à ce que ce rôle peut demander. */
export function definirProfil(role, famillesConnues = []) {
  profil = role === "partner" ? "partenaire" : role === "analyst" ? "analyste" : "complet";
  familles = famillesConnues;
  etat = normaliser(etat);
  history.replaceState(null, "", ecrire(etat));
}

/** Les valeurs par défaut du profil : un partenaire part des 12 derniers mois publiés, en résolution 8. */
export function defauts() {
  return profil === "partenaire" ? { ...DEFAUTS, periode: "12m", res: "8" } : DEFAUTS;
}

/** Un état ramené à ce que le profil peut demander (une adresse partagée par un autre rôle). */
function normaliser(etatLu) {
  const e = { ...etatLu };
  if (Number(e.res) > resolutionMax()) e.res = String(resolutionMax());
  if (profil !== "partenaire") {
    if (!(e.periode in PERIODES)) e.periode = DEFAUTS.periode;
    return e;
  }
  if (!(e.periode in PERIODES_PARTENAIRE)) e.periode = "12m";
  if (e.page === "etat4001") e.page = "carte"; // pas diffusé aux partenaires
  e.hours = "";
  e.weekdays = "";
  e.generation = "2024";
  e.precision = ""; // la diffusion compte tous les faits, quelle que soit leur précision
  if (!["", "in", "out"].includes(e.qpv) && !/^QN/.test(e.qpv)) e.qpv = "";
  // Des familles entières seulement : la diffusion ne publie pas une catégorie seule sur la carte.
  e.categories = (e.categories || "").split(",").filter((c) => familles.includes(c)).join(",");
  return e;
}

export const DEFAUTS = Object.freeze({
  page: "carte",
  periode: "28j",
  from: "",
  to: "",
  categories: "",
  hours: "",
  weekdays: "",
  commune: "",
  qpv: "",
  generation: "2024",
  precision: "",
  res: "9",
  classes: "jenks",
  couches: "hexagones,qpv,communes",
  vue: "",
  // Points chauds, sous « Avancé » (avance.js) : k vide = choisi par l'API.
  hs_k: "",
  hs_conf: "90",
  hs_perm: "0",
});

/** Les champs qui changent les chiffres : toute couche et tout panneau les suit. */
export const FILTRES = ["periode", "from", "to", "categories", "hours", "weekdays", "commune", "qpv", "generation", "precision"];

let etat = lire(location.search);
const abonnes = new Set();

export function lire(recherche) {
  const params = new URLSearchParams(recherche);
  const lu = { ...DEFAUTS };
  for (const cle of Object.keys(DEFAUTS)) {
    if (params.has(cle)) lu[cle] = params.get(cle);
  }
  if (!(lu.periode in PERIODES) && !(lu.periode in PERIODES_PARTENAIRE)) lu.periode = DEFAUTS.periode;
  if (!["2015", "2024"].includes(lu.generation)) lu.generation = DEFAUTS.generation;
  if (!/^(6|7|8|9|10|11)$/.test(lu.res)) lu.res = DEFAUTS.res;
  if (lu.precision !== "housenumber") lu.precision = "";
  if (!/^[1-6]?$/.test(lu.hs_k)) lu.hs_k = DEFAUTS.hs_k;
  if (!["90", "95", "99"].includes(lu.hs_conf)) lu.hs_conf = DEFAUTS.hs_conf;
  if (!["0", "99", "999"].includes(lu.hs_perm)) lu.hs_perm = DEFAUTS.hs_perm;
  return lu;
}

export function ecrire(e) {
  const params = new URLSearchParams();
  for (const [cle, defaut] of Object.entries(DEFAUTS)) {
    if (e[cle] !== defaut) params.set(cle, e[cle]);
  }
  const texte = params.toString();
  return texte ? `?${texte}` : location.pathname;
}

export function etatCourant() {
  return etat;
}

/** Change l'état, l'écrit dans l'adresse et prévient les abonnés. */
export function modifier(changements, { historique = false } = {}) {
  const avant = etat;
  etat = { ...etat, ...changements };
  const url = ecrire(etat);
  if (historique) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  for (const abonne of abonnes) abonne(etat, avant);
}

export function abonner(fonction) {
  abonnes.add(fonction);
}

window.addEventListener("popstate", () => {
  const avant = etat;
  etat = normaliser(lire(location.search));
  for (const abonne of abonnes) abonne(etat, avant);
});

/** Vrai quand un des champs a changé entre deux états. */
export function change(a, b, champs) {
  return champs.some((c) => a[c] !== b[c]);
}

/** Les bornes de la période (dates locales AAAA-MM-JJ), relatives au dernier jour des données. */
export function bornes(e, dernierJour) {
  if (profil === "partenaire") return bornesMois(e, dernierJour);
  if (e.periode === "perso") return { from: e.from, to: e.to };
  if (e.periode in PERIODES_DU_JOUR) return bornesDuJour(e.periode, dernierJour);
  if (e.periode === "tout" || !dernierJour) return { from: "", to: "" };
  const jours = { "7j": 7, "28j": 28 }[e.periode];
  if (jours) return { from: decaler(dernierJour, 1 - jours), to: dernierJour };
  return { from: decaler(anneesAvant(dernierJour, 1), 1), to: dernierJour };
}

/** Le premier jour du mois d'une date, décalé de n mois (AAAA-MM-JJ). */
export function debutMois(iso, decalage = 0) {
  const [a, m] = iso.split("-").map(Number);
  const d = new Date(Date.UTC(a, m - 1 + decalage, 1));
  return d.toISOString().slice(0, 10);
}

/** Le dernier jour du mois d'une date (AAAA-MM-JJ). */
export function finMois(iso) {
  const [a, m] = iso.split("-").map(Number);
  return new Date(Date.UTC(a, m, 0)).toISOString().slice(0, 10);
}

/** Les bornes d'un partenaire : toujours du premier jour d'un mois au dernier jour d'un mois. */
function bornesMois(e, dernierJour) {
  if (e.periode === "perso") {
    // Deux mois choisis dans le désordre : la période va du plus ancien au plus récent.
    const [de, a] = e.from && e.to && e.from > e.to ? [e.to, e.from] : [e.from, e.to];
    return { from: de ? debutMois(de) : "", to: a ? finMois(a) : "" };
  }
  if (e.periode === "tout" || !dernierJour) return { from: "", to: "" };
  const mois = { "1m": 0, "3m": -2, "12m": -11 }[e.periode] ?? -11;
  return { from: debutMois(dernierJour, mois), to: finMois(dernierJour) };
}

/** Les filtres communs de l'API (from, to, night, categories, hours, weekdays, commune, qpv,
 * generation, precision). */
export function filtresApi(e, dernierJour) {
  const { from, to, night = "" } = bornes(e, dernierJour);
  return {
    from,
    to,
    night,
    categories: e.categories,
    hours: e.hours,
    weekdays: e.weekdays,
    commune: e.commune,
    qpv: e.qpv,
    generation: e.generation,
    precision: e.precision,
  };
}

/** « de janvier à mars 2025 », « décembre 2025 » : les mois entiers d'un partenaire. */
function etendueMois(from, to) {
  if (!to) return `depuis ${moisLong(from)}`;
  if (!from) return `jusqu'à ${moisLong(to)}`;
  if (from.slice(0, 7) === to.slice(0, 7)) return moisLong(to);
  return `de ${moisLong(from)} à ${moisLong(to)}`;
}

/** « 28 derniers jours (du 4 au 31 décembre 2025) » */
export function textePeriode(e, dernierJour) {
  if (profil !== "partenaire" && e.periode in PERIODES_DU_JOUR) return texteDuJour(e.periode, dernierJour);
  const { from, to } = bornes(e, dernierJour);
  if (!from && !to) return PERIODES.tout.toLowerCase();
  const etendue = profil === "partenaire" ? etendueMois(from, to) : from && to ? `du ${jour(from)} au ${jour(to)}` : from ? `depuis le ${jour(from)}` : `jusqu'au ${jour(to)}`;
  const libelle = periodes()[e.periode] || PERIODES.perso;
  return e.periode === "perso" ? etendue : `${libelle.toLowerCase()} (${etendue})`;
}
