// « Communes : faits pour 1 000 habitants » : les communes du périmètre colorées par leur taux
// sur la période des filtres (GET /stats/communes), sur leurs contours (/layers/communes).

import { api } from "../api.js";
import { METHODES, classer, palette } from "../classes.js";
import { Couche, pastille } from "../couches.js";
import { compte, h, jour, nombre, texteSeul } from "../dom.js";
import * as donnees from "../donnees.js";

const SANS_TAUX = "#d9d9d9";
const MIN_JENKS = 5; // communes avec un taux, au moins, pour des seuils naturels
const EGALES = 4;

/** Les taux en dixièmes entiers : classer() borne des comptes entiers, d'où des classes au
 *  dixième près (11,9 puis 12,0), comme le tableau les écrit. */
export function classesTaux(lignes) {
  const dixiemes = lignes.map((l) => l.rate_per_1000).filter((t) => t !== null).map((t) => Math.round(t * 10));
  if (dixiemes.length === 0) return [];
  if (dixiemes.length >= MIN_JENKS) {
    return classer(dixiemes, "jenks", 5).map((c) => ({ min: c.min / 10, max: c.max / 10, couleur: c.couleur }));
  }
  // Peu de communes : des seuils naturels mettraient chacune dans sa classe, aux couleurs
  // extrêmes, même pour 1,0 contre 0,9. Quatre classes égales de 0 au plus haut taux : un
  // petit écart reste d'une même couleur.
  const haut = Math.max(...dixiemes);
  if (haut === 0) return [{ min: 0, max: 0, couleur: palette(1)[0] }];
  const couleurs = palette(EGALES);
  return couleurs.map((couleur, i) => ({
    min: Math.round((haut * i) / EGALES) / 10,
    max: Math.round((haut * (i + 1)) / EGALES) / 10,
    couleur,
  }));
}

/** Comment les classes ont été faites, pour la légende. */
export function methodeTaux(lignes) {
  const n = lignes.filter((l) => l.rate_per_1000 !== null).length;
  return n >= MIN_JENKS ? METHODES.jenks : `${EGALES} intervalles égaux de 0 au plus haut taux (moins de ${MIN_JENKS} communes)`;
}

export function couleurTaux(classes, taux) {
  if (taux === null || taux === undefined) return SANS_TAUX;
  const t = Math.round(taux * 10) / 10;
  return (classes.find((c) => t <= c.max) || classes[classes.length - 1])?.couleur || SANS_TAUX;
}

export function textePeriode(p) {
  return p ? `du ${jour(p.start)} au ${jour(p.end)}` : "aucune période";
}

export class TauxCommunes extends Couche {
  constructor() {
    super("taux-communes", "Communes : faits pour 1 000 habitants");
    this.donnees = null;
    this.classes = [];
    this.groupe = L.geoJSON(null, {
      pane: "hexagones",
      style: (f) => ({ color: "#444", weight: 1.5, opacity: 0.9, fillColor: couleurTaux(this.classes, f.properties.ligne.rate_per_1000), fillOpacity: 0.7 }),
      onEachFeature: (f, couche) => {
        const l = f.properties.ligne;
        const seuil = this.donnees?.suppression_threshold;
        couche.bindTooltip(() => texteSeul(`${l.name} (${l.code}) : ${compte(l.count, seuil)} faits · ${nombre(l.rate_per_1000, 1)} pour 1 000 hab.`), { sticky: true });
        couche.on("add", () => {
          const el = couche.getElement();
          if (el) Object.assign(el.dataset, { communeTaux: l.code, taux: String(l.rate_per_1000) });
        });
      },
    });
  }

  cle(c) {
    return JSON.stringify(c.filtres);
  }

  async charger(c, signal) {
    const [reponse, contours] = await Promise.all([api("/stats/communes", { parametres: c.filtres, signal }), donnees.communes()]);
    const parCode = new Map(reponse.communes.map((l) => [l.code, l]));
    this.donnees = reponse;
    this.classes = classesTaux(reponse.communes);
    this.groupe.clearLayers();
    this.groupe.addData({
      type: "FeatureCollection",
      features: contours.features
        .filter((f) => parCode.has(f.properties.code))
        .map((f) => ({ ...f, properties: { ...f.properties, ligne: parCode.get(f.properties.code) } })),
    });
  }

  contenuLegende() {
    const d = this.donnees;
    if (!d) return null;
    const seuil = d.suppression_threshold;
    return [
      h("p", { class: "note" }, `Faits pour 1 000 habitants, ${textePeriode(d.period)} ; classes : ${methodeTaux(d.communes)}.`),
      h(
        "ul",
        { class: "legende-ecart", id: "legende-taux-communes" },
        this.classes.map((c) => h("li", {}, pastille(c.couleur), c.min === c.max ? nombre(c.min, 1) : `${nombre(c.min, 1)} à ${nombre(c.max, 1)}`)),
        h("li", {}, pastille(SANS_TAUX), seuil ? `population inconnue ou faits < ${seuil}` : "population inconnue"),
      ),
    ];
  }
}
