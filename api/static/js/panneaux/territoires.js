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
              c.qpvs.map((q) => ligne(`${q.name} (${q.code})`, q, d.suppression_threshold, null, "qpv")),
              ligne("Hors QPV", c.outside_qpv, d.suppression_threshold, "total", "reste"),
              ligne(`${c.name} entière`, c.whole, d.suppression_threshold, "total", "commune"),
            ),
          ),
          notesPopulation(c, d.generation),
        ),
      ),
    );
  }
}

// Pourquoi une population manque, selon la ligne (le détail est sous le tableau).
const SANS_POPULATION = {
  qpv: "population non chargée",
  reste: "non calculable (voir sous le tableau)",
  commune: "population non chargée",
};

function ligne(nom, t, seuil, classe, genre) {
  const empruntee = t.population !== null && t.population_from;
  return h(
    "tr",
    { class: classe },
    h("th", { scope: "row" }, nom),
    h("td", {}, compte(t.count, seuil)),
    h("td", {}, pourcent(t.share, 1)),
    t.population === null
      ? h("td", { class: "population-absente" }, h("span", { class: "note" }, SANS_POPULATION[genre]))
      : h("td", {}, nombre(t.population), empruntee ? h("span", { class: "note population-empruntee" }, ` (population ${t.population_from})`) : null),
    h("td", {}, nombre(t.rate_per_1000, 1)),
  );
}

/** Sous le tableau : d'où viennent les populations reprises, et comment charger les manquantes. */
function notesPopulation(c, generation) {
  const lignes = [...c.qpvs, c.outside_qpv];
  const empruntees = lignes.filter((t) => t.population !== null && t.population_from);
  const manquantes = c.qpvs.filter((q) => q.population === null).length;
  const notes = [];
  if (empruntees.length) {
    const de = empruntees[0].population_from;
    notes.push(
      h(
        "p",
        { class: "note", id: "territoires-population-empruntee" },
        `« population ${de} » : ce QPV ${generation} n'a pas de population chargée ; le tableau reprend celle du QPV ${de} de même code ou de même nom, dont le périmètre a pu changer : taux approché.`,
      ),
    );
  }
  if (c.outside_qpv.population === null && c.whole.population !== null) {
    notes.push(
      h(
        "p",
        { class: "note", id: "territoires-population-reste" },
        "Population hors QPV non calculable : elle vaut celle de la commune moins celle de ses QPV, et il y faut la population de chaque QPV, chacun entièrement dans la commune.",
      ),
    );
  }
  if (manquantes || c.whole.population === null) {
    notes.push(
      h(
        "p",
        { class: "note", id: "territoires-population-manquante" },
        "Taux pour 1 000 habitants absent faute de population. Pour la charger : ",
        h("code", {}, `observatory import qpv CONTOURS.geojson --generation ${generation} --population POPULATIONS_INSEE.csv`),
        " (colonne pop_mun) pour les QPV, ",
        h("code", {}, "observatory import communes CONTOURS.geojson --population POPULATIONS_INSEE.csv"),
        " pour les communes ; voir le guide « Importer » (docs/guide/importer.md).",
      ),
    );
  }
  return notes;
}
