// « Comparaison des communes » : les communes du périmètre côte à côte (GET /stats/communes),
// un tableau que l'on trie en cliquant un en-tête. Montré quand le périmètre compte plusieurs
// communes (ou, avant que /me le dise, quand la réponse en a plusieurs).

import { api } from "../api.js";
import { compte, h, nombre, pourcent, remplir, signe } from "../dom.js";
import { textePeriode } from "../couches/communes.js";

// [clé de tri, titre, valeur triée]
const COLONNES = [
  ["name", "Commune", (l) => l.name],
  ["population", "Habitants", (l) => l.population],
  ["count", "Faits", (l) => l.count],
  ["rate_per_1000", "Pour 1 000 hab.", (l) => l.rate_per_1000],
  ["previous", "Période préc.", (l) => l.previous],
  ["change_percent", "Évolution", (l) => l.change_percent],
  ["z", "z", (l) => l.z],
  ["qpv_share", "Part en QPV", (l) => l.qpv_share],
];

export class ComparaisonCommunes {
  constructor(section, { perimetre }) {
    this.section = section;
    this.contenu = section.querySelector(".contenu");
    this.perimetre = perimetre; // les codes du périmètre (null : toutes les communes)
    this.tri = "-rate_per_1000";
    this.donnees = null;
  }

  async actualiser(filtres, signal) {
    const d = await api("/stats/communes", { parametres: filtres, signal });
    this.donnees = d;
    this.section.hidden = !((this.perimetre?.length || 0) > 1 || d.communes.length >= 2);
    if (!this.section.hidden) this.dessiner();
  }

  trier(cle) {
    this.tri = this.tri === `-${cle}` ? cle : this.tri === cle ? `-${cle}` : cle === "name" ? cle : `-${cle}`;
    this.dessiner();
  }

  lignesTriees() {
    const cle = this.tri.replace(/^-/, "");
    const sens = this.tri.startsWith("-") ? -1 : 1;
    const valeur = COLONNES.find(([c]) => c === cle)[2];
    // Une valeur absente (masquée, inconnue) va toujours en bas.
    return [...this.donnees.communes].sort((a, b) => {
      const va = valeur(a);
      const vb = valeur(b);
      if (va === null || va === undefined) return vb === null || vb === undefined ? a.name.localeCompare(b.name, "fr") : 1;
      if (vb === null || vb === undefined) return -1;
      const ordre = typeof va === "string" ? va.localeCompare(vb, "fr") : va - vb;
      return sens * ordre || a.name.localeCompare(b.name, "fr");
    });
  }

  dessiner() {
    const d = this.donnees;
    const seuil = d.suppression_threshold;
    const p = d.period;
    const entete = COLONNES.map(([cle, titre]) => {
      const sens = this.tri === cle ? "ascending" : this.tri === `-${cle}` ? "descending" : "none";
      return h(
        "th",
        { scope: "col", "aria-sort": sens, dataset: { tri: cle } },
        h("button", { type: "button", class: "tri", onclick: () => this.trier(cle) }, titre, h("span", { "aria-hidden": "true" }, sens === "ascending" ? " ▲" : sens === "descending" ? " ▼" : "")),
      );
    });
    const comparee = p?.comparable ? `comparée à la période précédente de même durée (${textePeriode({ start: p.previous_start, end: p.previous_end })})` : "sans comparaison : les données ne couvrent pas la période précédente de même durée";
    remplir(
      this.contenu,
      h(
        "div",
        { class: "defilement" },
        h(
          "table",
          { class: "table-communes" },
          h("caption", {}, `Période ${textePeriode(p)}, ${comparee}. z = 2(√C − √P) : au-delà de ±2, l'écart est peu vraisemblable sous un même rythme.`),
          h("thead", {}, h("tr", {}, entete)),
          h("tbody", {}, this.lignesTriees().map((l) => ligne(l, seuil, null))),
          h("tfoot", {}, ligne(d.total, seuil, "total")),
        ),
      ),
      seuil ? h("p", { class: "note" }, `Secret statistique : un compte de moins de ${seuil} faits s'écrit « < ${seuil} », et son taux n'est pas donné ; pas de z sur des valeurs bruitées.`) : null,
      [...(d.communes || []), d.total].some((l) => l.count && l.qpv_count === null && !l.suppressed)
        ? h("p", { class: "note", id: "note-qpv-inconnus" }, "Part en QPV « — » : aucun contour de QPV de cette géographie n'est importé pour la commune ; la part y est inconnue (pas nulle).")
        : null,
    );
  }
}

function ligne(l, seuil, classe) {
  return h(
    "tr",
    { class: classe, dataset: { code: l.code || "total" } },
    h("th", { scope: "row" }, l.code ? `${l.name} (${l.code})` : l.name),
    h("td", {}, nombre(l.population)),
    h("td", {}, compte(l.count, seuil)),
    h("td", {}, nombre(l.rate_per_1000, 1)),
    h("td", {}, l.previous_suppressed ? `< ${seuil}` : nombre(l.previous)),
    h("td", {}, l.change_percent === null ? "—" : `${signe(l.change_percent, 1)} %`),
    h("td", { class: zClasse(l.z) }, signe(l.z, 2)),
    h("td", {}, pourcent(l.qpv_share, 1)),
  );
}

function zClasse(z) {
  if (z === null || Math.abs(z) < 2) return null;
  return z > 0 ? "z-hausse" : "z-baisse";
}
