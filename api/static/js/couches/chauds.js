// Les couches des points chauds : Gi* (classes de confiance) et points chauds émergents (motifs).

import { api } from "../api.js";
import { CLASSES_GI, couleurMotif, ordreMotif } from "../classes.js";
import { Couche, pastille } from "../couches.js";
import { h, nombre, texteSeul } from "../dom.js";
import { modifier } from "../etat.js";

/** « z = …, p = … » quand la réponse les donne (un partenaire n'a que la classe). */
function scores(z, p) {
  return z === null || z === undefined ? "" : ` — z = ${nombre(z, 2)}, p = ${nombre(p, 2)}`;
}

/** Points chauds et froids (Gi*) : les 7 classes de confiance, rouges et bleues. */
export class PointsChauds extends Couche {
  constructor() {
    super("chauds", "Points chauds (Gi*)");
    this.facultative = true; // l'API peut ne pas l'offrir encore
    this.donnees = null;
    const couleurs = Object.fromEntries(CLASSES_GI.map((c) => [c.code, c.couleur]));
    this.groupe = L.geoJSON(null, {
      pane: "chauds",
      style: (f) => {
        const code = f.properties.class;
        return {
          color: "#555",
          weight: 0.4,
          opacity: 0.5,
          fillColor: couleurs[code] || "#dddddd",
          fillOpacity: code === "not_significant" ? 0.25 : 0.8,
        };
      },
      onEachFeature: (f, couche) => {
        const p = f.properties;
        couche.bindTooltip(() => texteSeul(`${libelleClasse(p)}${scores(p.gi_z, p.gi_p)}${faitsCellule(p, this.donnees?.metadata)}`), { sticky: true });
      },
    });
  }

  cle(c) {
    return JSON.stringify([c.filtres, c.res, c.chauds]);
  }

  async charger(c, signal) {
    // Les réglages « Avancé » (avance.js) ; k vide : laissé au choix de l'API, qui dit pourquoi.
    this.donnees = await api("/layers/hotspots", { parametres: { ...c.filtres, res: c.res, ...c.chauds }, signal });
    this.groupe.clearLayers();
    this.groupe.addData(this.donnees);
  }

  contenuLegende() {
    const presentes = new Map();
    for (const f of this.donnees?.features || []) presentes.set(f.properties.class, (presentes.get(f.properties.class) || 0) + 1);
    const meta = this.donnees?.metadata || {};
    const parametres = [
      meta.k !== undefined ? `voisinage k = ${meta.k}` : null,
      meta.fdr ? "correction FDR (Benjamini–Hochberg)" : null,
      meta.permutations ? `${nombre(meta.permutations)} permutations` : null,
    ].filter(Boolean);
    return [
      h(
        "ul",
        {},
        CLASSES_GI.map((c) =>
          h("li", {}, pastille(c.couleur), `${c.libelle} (${nombre(presentes.get(c.code) || 0)})`),
        ),
      ),
      parametres.length ? h("p", { class: "note" }, `Getis–Ord Gi*, ${parametres.join(", ")}.`) : null,
    ];
  }
}

/** « , 12 faits » ou « , < 5 faits » dans l'infobulle d'un point chaud. */
function faitsCellule(p, meta) {
  if (p.suppressed) return `, < ${meta?.suppression_threshold ?? 5} faits`;
  return p.count !== undefined && p.count !== null ? `, ${nombre(p.count)} fait${p.count > 1 ? "s" : ""}` : "";
}

function libelleClasse(p) {
  const connue = CLASSES_GI.find((c) => c.code === p.class);
  return connue ? connue.libelle : p.class_label || p.label || p.class;
}

/** Points chauds émergents : le motif de chaque hexagone dans le temps. */
export class Emergents extends Couche {
  constructor() {
    super("emergents", "Points chauds émergents");
    this.facultative = true;
    this.donnees = null;
    this.groupe = L.geoJSON(null, {
      pane: "chauds",
      filter: (f) => couleurMotif(f.properties.pattern) !== null,
      style: (f) => ({ color: "#444", weight: 0.5, opacity: 0.6, fillColor: couleurMotif(f.properties.pattern), fillOpacity: 0.8 }),
      onEachFeature: (f, couche) => {
        const p = f.properties;
        couche.bindTooltip(() => texteSeul(`${libelleMotif(p)}${scores(p.trend_z, p.trend_p).replace(" — z", " — tendance z")}`), { sticky: true });
      },
    });
  }

  cle(c) {
    return JSON.stringify([c.filtres, c.res]);
  }

  async charger(c, signal) {
    // Trop peu de mois complets : l'API refuserait (422) ; la légende dit quoi choisir.
    const mois = moisComplets(c.filtres.from, c.filtres.to);
    if (mois !== null && mois < MOIS_EMERGENTS) {
      this.tropCourte(c.filtres.to, mois);
      return;
    }
    this.raison = null;
    try {
      this.donnees = await api("/layers/emerging-hotspots", { parametres: { ...c.filtres, res: c.res }, signal });
    } catch (e) {
      // Des mois que les données ne couvrent pas en entier : l'API le dit, on propose de même.
      if (e.statut !== 422 || !/au moins \d+ mois complets/.test(e.detail || "")) throw e;
      this.tropCourte(c.filtres.to, Number(e.detail.match(/en compte (\d+)/)?.[1] ?? 0));
      return;
    }
    this.groupe.clearLayers();
    this.groupe.addData(this.donnees);
  }

  /** Une période trop courte : l'explication et un bouton qui l'étend à assez de mois. */
  tropCourte(fin, mois) {
    this.donnees = null;
    this.groupe.clearLayers();
    this.raison = `Les points chauds émergents suivent chaque hexagone sur au moins ${MOIS_EMERGENTS} mois complets (la période choisie en compte ${mois}).`;
    this.extension = moisAvant(fin, MOIS_EMERGENTS);
  }

  contenuLegende() {
    if (this.raison) {
      const etendre = this.extension;
      return h(
        "div",
        { class: "periode-trop-courte" },
        h("p", { class: "note" }, this.raison),
        etendre
          ? h(
              "button",
              { type: "button", class: "etendre-periode", onclick: () => modifier({ periode: "perso", ...etendre }, { historique: true }) },
              `Étendre à ${MOIS_EMERGENTS} mois`,
            )
          : null,
      );
    }
    const motifs = new Map();
    for (const f of this.donnees?.features || []) {
      const p = f.properties;
      if (couleurMotif(p.pattern) === null) continue;
      const vu = motifs.get(p.pattern) || { libelle: libelleMotif(p), n: 0 };
      vu.n += 1;
      motifs.set(p.pattern, vu);
    }
    if (!motifs.size) return h("p", { class: "note" }, "Aucun motif significatif pour ces filtres.");
    return h(
      "ul",
      {},
      [...motifs.entries()]
        .sort((a, b) => ordreMotif(a[0]) - ordreMotif(b[0]))
        .map(([code, m]) => h("li", {}, pastille(couleurMotif(code)), `${m.libelle} (${nombre(m.n)})`)),
    );
  }
}

// Le cube des points chauds émergents est mensuel ; l'API en veut au moins 6 pas complets
// (MIN_STEPS, api/routers/hotspots.py).
const MOIS_EMERGENTS = 6;

/** Le nombre de mois entiers entre deux jours AAAA-MM-JJ inclus ; null sans l'une des bornes. */
export function moisComplets(from, to) {
  if (!from || !to) return null;
  const [a1, m1, j1] = from.split("-").map(Number);
  const [a2, m2, j2] = to.split("-").map(Number);
  const premier = a1 * 12 + m1 - 1 + (j1 > 1 ? 1 : 0);
  const fin = new Date(Date.UTC(a2, m2, 0)).getUTCDate();
  const dernier = a2 * 12 + m2 - 1 - (j2 < fin ? 1 : 0);
  return Math.max(0, dernier - premier + 1);
}

/** Les n mois complets finissant avec le dernier mois complet au jour ``fin`` (AAAA-MM-JJ) :
 *  { from, to } du 1er au dernier jour ; null sans fin. */
export function moisAvant(fin, n) {
  if (!fin) return null;
  const [a, m, j] = fin.split("-").map(Number);
  const complet = j === new Date(Date.UTC(a, m, 0)).getUTCDate();
  const dernier = a * 12 + m - 1 - (complet ? 0 : 1); // index du dernier mois complet
  const premier = dernier - n + 1;
  const iso = (annee, mois, jour) => `${annee}-${String(mois).padStart(2, "0")}-${String(jour).padStart(2, "0")}`;
  const aD = Math.floor(dernier / 12), mD = (dernier % 12) + 1;
  return {
    from: iso(Math.floor(premier / 12), (premier % 12) + 1, 1),
    to: iso(aD, mD, new Date(Date.UTC(aD, mD, 0)).getUTCDate()),
  };
}

function libelleMotif(p) {
  const texte = p.pattern_label || p.label || p.pattern || "";
  return texte.charAt(0).toUpperCase() + texte.slice(1);
}
