// Les QPV contre le reste de la commune : faits, parts et taux pour 1 000 habitants.

import { api } from "../api.js";
import { h, nombre, pourcent, remplir } from "../dom.js";

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
            h("caption", {}, `${c.name} (${c.code}), géographie prioritaire ${d.generation}. Un QPV compte tous ses faits, même hors de la commune ; le reste de la commune, ses faits hors de tout QPV. Taux pour 1 000 habitants là où la population est connue.${masquees(c, d.suppression_threshold)}`),
            h(
              "thead",
              {},
              h("tr", {}, ["Territoire", "Faits", "Part des faits", "Habitants", "Faits pour 1 000 hab."].map((t) => h("th", { scope: "col" }, t))),
            ),
            h(
              "tbody",
              {},
              c.qpvs.map((q) => ligne(`${q.name} (${q.code})`, q)),
              ligne("Hors QPV", c.outside_qpv, "total"),
              ligne(`${c.name} entière`, c.whole, "total"),
            ),
          ),
        ),
      ),
    );
  }
}

function ligne(nom, t, classe = null) {
  return h(
    "tr",
    { class: classe },
    h("th", { scope: "row" }, nom),
    h("td", {}, t.count === null ? "< 5" : nombre(t.count)),
    h("td", {}, pourcent(t.share, 1)),
    h("td", {}, nombre(t.population)),
    h("td", {}, t.rate_per_1000 === null ? "—" : nombre(t.rate_per_1000, 1)),
  );
}

// Secret statistique (partenaires) : les catégories masquées dans une ligne le sont partout.
function masquees(c, seuil) {
  const n = c.whole.suppressed_categories?.length ?? 0;
  if (!seuil || !n) return "";
  return ` Secret statistique : ${n} catégorie${n > 1 ? "s" : ""} de moins de ${seuil} faits dans un territoire ${n > 1 ? "sont retirées" : "est retirée"} de tous les comptes.`;
}
