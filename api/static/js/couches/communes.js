// « Communes : faits pour 1 000 habitants » : les communes du périmètre colorées par leur taux
// sur la période des filtres (GET /stats/communes), sur leurs contours (/layers/communes).

import { api } from "../api.js";
import { METHODES, classer } from "../classes.js";
import { Couche, pastille } from "../couches.js";
import { compte, h, jour, nombre, texteSeul } from "../dom.js";
import * as donnees from "../donnees.js";

const SANS_TAUX = "#d9d9d9";

/** Les taux en dixièmes entiers : classer() borne des comptes entiers, d'où des classes au
 *  dixième près (11,9 puis 12,0), comme le tableau les écrit. */
export function classesTaux(lignes) {
  const dixiemes = lignes.map((l) => l.rate_per_1000).filter((t) => t !== null).map((t) => Math.round(t * 10));
  return classer(dixiemes, "jenks", Math.min(5, dixiemes.length)).map((c) => ({
    min: c.min / 10,
    max: c.max / 10,
    couleur: c.couleur,
  }));
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
      h("p", { class: "note" }, `Faits pour 1 000 habitants, ${textePeriode(d.period)} ; classes par ${METHODES.jenks}.`),
      h(
        "ul",
        { class: "legende-ecart", id: "legende-taux-communes" },
        this.classes.map((c) => h("li", {}, pastille(c.couleur), c.min === c.max ? nombre(c.min, 1) : `${nombre(c.min, 1)} à ${nombre(c.max, 1)}`)),
        h("li", {}, pastille(SANS_TAUX), seuil ? `population inconnue ou faits < ${seuil}` : "population inconnue"),
      ),
    ];
  }
}
