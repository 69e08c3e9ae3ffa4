// Les couches des points chauds : Gi* (classes de confiance) et points chauds émergents (motifs).

import { api } from "../api.js";
import { CLASSES_GI, couleurMotif, ordreMotif } from "../classes.js";
import { Couche, pastille } from "../couches.js";
import { h, nombre, texteSeul } from "../dom.js";

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
  return p.count !== undefined && p.count !== null ? `, ${nombre(p.count)} faits` : "";
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
      this.donnees = null;
      this.raison = `Il faut au moins ${MOIS_EMERGENTS} mois complets pour parler d'émergence (ici ${mois}) : choisissez une période plus longue, par exemple les 12 derniers mois.`;
      this.groupe.clearLayers();
      return;
    }
    this.raison = null;
    this.donnees = await api("/layers/emerging-hotspots", { parametres: { ...c.filtres, res: c.res }, signal });
    this.groupe.clearLayers();
    this.groupe.addData(this.donnees);
  }

  contenuLegende() {
    if (this.raison) return h("p", { class: "note" }, this.raison);
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

function libelleMotif(p) {
  const texte = p.pattern_label || p.label || p.pattern || "";
  return texte.charAt(0).toUpperCase() + texte.slice(1);
}
