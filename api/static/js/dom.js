// Petits outils : création d'éléments sans innerHTML, nombres et dates à la française.
//
// Un texte venu du serveur (intitulés, références, noms, libellés, noms de fichiers, messages
// d'erreur) n'entre dans la page que comme texte : par h(), remplir() ou textContent ; là où
// une bibliothèque veut du HTML (Leaflet lit ses chaînes en innerHTML), par texteSeul() (un
// nœud) ou echapper() (une chaîne). Ce module est le seul à en décider.

const ENTITES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Le texte d'une valeur, échappé pour HTML (& < > " ') : une chaîne que Leaflet lira en HTML. */
export function echapper(valeur) {
  if (valeur === null || valeur === undefined) return "";
  return String(valeur).replace(/[&<>"']/g, (c) => ENTITES[c]);
}

/** Un élément : h("td", {class: "x", title: "…"}, "texte", autreElement). */
export function h(tag, attrs = {}, ...enfants) {
  const el = document.createElement(tag);
  for (const [nom, valeur] of Object.entries(attrs || {})) {
    if (valeur === null || valeur === undefined || valeur === false) continue;
    if (nom.toLowerCase().startsWith("on")) {
      // Un écouteur, jamais un attribut « onclick="…" » fait d'une chaîne.
      if (typeof valeur === "function") el.addEventListener(nom.slice(2), valeur);
    } else if (nom === "dataset") {
      Object.assign(el.dataset, valeur);
    } else if (valeur === true) {
      el.setAttribute(nom, "");
    } else {
      el.setAttribute(nom, String(valeur));
    }
  }
  ajouter(el, enfants);
  return el;
}

function ajouter(el, enfants) {
  for (const enfant of enfants.flat(Infinity)) {
    if (enfant === null || enfant === undefined || enfant === false) continue;
    el.append(enfant instanceof Node ? enfant : document.createTextNode(String(enfant)));
  }
}

/** Un texte pour une infobulle Leaflet : un nœud, car Leaflet met une chaîne en innerHTML. */
export function texteSeul(texte) {
  return h("span", {}, texte);
}

/** Remplace le contenu d'un élément. */
export function remplir(el, ...enfants) {
  el.replaceChildren();
  ajouter(el, enfants);
  return el;
}

const entier = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
// Une décimale toujours écrite : « 5,0 » sous « 4,1 » dans une colonne, « +4,0 % » près de « +4,5 % ».
const decimal = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const deux = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function nombre(v, chiffres = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (arrondiNul(v, chiffres)) v = 0; // jamais « −0 » : ce qui s'arrondit à zéro s'écrit 0
  if (chiffres === 0) return entier.format(v);
  if (chiffres === 2) return deux.format(v);
  return decimal.format(v);
}

/** Vrai si v s'écrit zéro avec ce nombre de décimales (−0,04 avec une décimale). */
function arrondiNul(v, chiffres) {
  return Math.abs(v) < 0.5 * 10 ** -Math.min(chiffres, 2);
}

/** +1,4 ou −2 ; ce qui s'arrondit à zéro s'écrit « 0 », sans signe (jamais « −0 % »). */
export function signe(v, chiffres = 1) {
  if (v === null || v === undefined) return "—";
  const texte = nombre(Math.abs(v), chiffres);
  if (arrondiNul(v, chiffres)) return texte;
  return v > 0 ? `+${texte}` : `−${texte}`;
}

export function pourcent(part, chiffres = 0) {
  if (part === null || part === undefined) return "—";
  return `${nombre(part * 100, chiffres)} %`;
}

const MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
  "septembre", "octobre", "novembre", "décembre"];
const MOIS_COURTS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
  "sept.", "oct.", "nov.", "déc."];

/** « 4 décembre 2025 » d'une date AAAA-MM-JJ (sans passer par le fuseau du navigateur). */
export function jour(iso) {
  if (!iso) return "—";
  const [a, m, j] = iso.slice(0, 10).split("-").map(Number);
  return `${j === 1 ? "1er" : j} ${MOIS[m - 1]} ${a}`;
}

/** « déc. 2025 » d'une date AAAA-MM-JJ. */
export function mois(iso) {
  const [a, m] = iso.slice(0, 7).split("-").map(Number);
  return `${MOIS_COURTS[m - 1]} ${a}`;
}

/** « décembre 2025 » d'une date AAAA-MM(-JJ). */
export function moisLong(iso) {
  const [a, m] = iso.slice(0, 7).split("-").map(Number);
  return `${MOIS[m - 1]} ${a}`;
}

/** Un compte publié, ou « < 5 » quand il ne l'est pas (null, suppressed) : jamais un nombre. */
export function compte(v, seuil) {
  return (v === null || v === undefined) && seuil ? `< ${seuil}` : nombre(v);
}

/** « 05/01/2024 à 03:20 » d'un horodatage local ISO (déjà à l'heure locale). */
export function horodatage(iso) {
  if (!iso) return "—";
  const [d, t] = iso.split("T");
  const [a, m, j] = d.split("-");
  return `${j}/${m}/${a} à ${(t || "").slice(0, 5)}`;
}

/** Date et heure d'un instant, à l'heure du navigateur (pour les imports). */
export function instant(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("fr-FR", { dateStyle: "short", timeStyle: "short" });
}

/** Ajoute des jours à une date AAAA-MM-JJ (calcul en UTC, sans effet d'heure d'été). */
export function decaler(iso, jours) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + jours);
  return d.toISOString().slice(0, 10);
}

/** La même date n années plus tôt (le 29 février devient le 28). */
export function anneesAvant(iso, n) {
  const [a, m, j] = iso.split("-").map(Number);
  const fin = new Date(Date.UTC(a - n, m, 0)).getUTCDate();
  return `${String(a - n).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(Math.min(j, fin)).padStart(2, "0")}`;
}

/** Un message d'erreur dans un conteneur (role=alert pour les lecteurs d'écran). */
export function erreur(el, message) {
  remplir(el, h("p", { class: "erreur", role: "alert" }, message));
}
