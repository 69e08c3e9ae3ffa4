// Les QPV contre le reste de la commune : faits, parts et taux pour 1 000 habitants.

import { api } from "../api.js";
import { compte, h, nombre, pourcent, remplir } from "../dom.js";

export class Territoires {
  constructor(section) {
    this.contenu = section.querySelector(".contenu");
  }

  async actualiser(filtres, signal) {
    const d = await api("/stats/territories", { parametres: filtres, signal });
    if (!d.communes.length) {
      remplir(this.contenu, h("p", {}, `Aucune commune avec un QPV de la géographie ${d.generation} : importez les contours des communes et des QPV.`));
      return;
    }
    remplir(
      this.contenu,
      d.communes.map((c) =>
        h(
          "div",
          { class: "defilement" },
          h(
            "table",
            { class: "table-territoires" },
            h("caption", {}, `${c.name} (${c.code}), géographie prioritaire ${d.generation}. Un QPV compte tous ses faits, même hors de la commune ; le reste de la commune, ses faits hors de tout QPV. Taux pour 1 000 habitants là où la population est connue.`),
            h(
              "thead",
              {},
              h("tr", {}, ["Territoire", "Faits", "Part des faits", "Habitants", "Faits pour 1 000 hab."].map((t) => h("th", { scope: "col" }, t))),
            ),
            h(
              "tbody",
              {},
              c.qpvs.map((q) => ligne(`${q.name} (${q.code})`, q, d.suppression_threshold)),
              ligne("Hors QPV", c.outside_qpv, d.suppression_threshold, "total"),
              ligne(`${c.name} entière`, c.whole, d.suppression_threshold, "total"),
            ),
          ),
        ),
      ),
    );
  }
}

function ligne(nom, t, seuil, classe = null) {
  return h(
    "tr",
    { class: classe },
    h("th", { scope: "row" }, nom),
    h("td", {}, compte(t.count, seuil)),
    h("td", {}, pourcent(t.share, 1)),
    h("td", {}, nombre(t.population)),
    h("td", {}, t.rate_per_1000 === null ? "—" : nombre(t.rate_per_1000, 1)),
  );
}
