// Le tableau CompStat : 7 jours, 28 jours, depuis le 1er janvier, contre l'an passé ; couleur selon z.

import { api } from "../api.js";
import { classeZ } from "../classes.js";
import { h, jour, nombre, remplir, signe } from "../dom.js";
import { profilCourant } from "../etat.js";

/** Un compte, « < 5 » quand il n'est pas publié. */
function compte(v, seuil) {
  return v === null && seuil ? `< ${seuil}` : nombre(v);
}

export class Compstat {
  constructor(section) {
    this.contenu = section.querySelector(".contenu");
    this.par = "family";
    this.choix = h(
      "select",
      { id: "compstat-par", onchange: (ev) => { this.par = ev.target.value; this.recharger(); } },
      h("option", { value: "family" }, "par famille"),
      h("option", { value: "category" }, "par catégorie"),
    );
    section.querySelector(".entete").append(h("label", { class: "visuellement-cache", for: "compstat-par" }, "Détail du tableau"), this.choix);
    this.derniers = null;
  }

  recharger() {
    if (this.derniers) this.actualiser(this.derniers).catch(() => {});
  }

  async actualiser(filtres, signal) {
    this.derniers = filtres;
    // Un partenaire : les catégories sont publiées pour la commune entière, pas dans un QPV.
    const par = profilCourant() === "partenaire" && filtres.qpv ? "family" : this.par;
    const d = await api("/stats/compstat", { parametres: { ...filtres, by: par }, signal });
    if (!d.rows.length) {
      remplir(this.contenu, h("p", {}, "Aucune donnée pour ces filtres."));
      return;
    }
    const entete1 = h("tr", {}, h("th", { scope: "col", rowspan: 2 }, par === "family" ? "Famille" : "Catégorie"), d.periods.map((p) => h("th", { scope: "colgroup", colspan: 4, title: `du ${jour(p.start)} au ${jour(p.end)}, contre du ${jour(p.previous_start)} au ${jour(p.previous_end)}` }, p.name)));
    const entete2 = h("tr", {}, d.periods.map(() => [h("th", { scope: "col" }, "faits"), h("th", { scope: "col" }, "an passé"), h("th", { scope: "col" }, "évol."), h("th", { scope: "col" }, "z")]));
    const lignes = d.rows.map((r) =>
      h(
        "tr",
        { class: r.key === "total" ? "total" : null },
        h("th", { scope: "row" }, r.label),
        r.periods.map((p) => [
          h("td", {}, compte(p.current, d.suppression_threshold)),
          h("td", {}, compte(p.previous, d.suppression_threshold)),
          h("td", {}, p.change_percent === null ? "—" : `${signe(p.change_percent)} %`),
          h("td", { class: classeZ(p.z), title: "z = 2(√C − √P)" }, p.z === null ? "—" : signe(p.z, 2)),
        ]),
      ),
    );
    remplir(
      this.contenu,
      h(
        "div",
        { class: "defilement" },
        h(
          "table",
          { id: "table-compstat" },
          h("caption", {}, `Périodes finissant le ${jour(d.at)}, comparées aux mêmes dates un an plus tôt. z = 2(√C − √P) : au-delà de ±2, l'écart est peu vraisemblable à rythme égal, quelle que soit la taille des nombres.`),
          h("thead", {}, entete1, entete2),
          h("tbody", {}, lignes),
        ),
      ),
      h(
        "div",
        { class: "cles", "aria-label": "Couleurs de z" },
        [["z-p3", "z ≥ 3"], ["z-p2", "z ≥ 2"], ["z-p1", "z ≥ 1"], ["z-m1", "z ≤ −1"], ["z-m2", "z ≤ −2"], ["z-m3", "z ≤ −3"]].map(([c, t]) =>
          h("span", {}, h("i", { class: c, style: `background:${COULEURS_Z[c]}` }), t),
        ),
      ),
    );
  }
}

const COULEURS_Z = { "z-p3": "#b2182b", "z-p2": "#e58268", "z-p1": "#fbd5c5", "z-m1": "#d1e5f0", "z-m2": "#7fb2d5", "z-m3": "#2166ac" };
