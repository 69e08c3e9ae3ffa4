// Le tableau CompStat : 7 jours, 28 jours, depuis le 1er janvier, contre l'an passé ; couleur selon z.

import { api } from "../api.js";
import { classeZ } from "../classes.js";
import { compte, h, jour, remplir, signe } from "../dom.js";
import { profilCourant } from "../etat.js";
import { noteCompstat } from "../totaux.js";

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
    const partenaire = profilCourant() === "partenaire";
    // Un partenaire : les catégories sont publiées pour la commune entière, pas dans un QPV.
    const parFamille = partenaire && filtres.qpv;
    this.choix.querySelector('option[value="category"]').disabled = Boolean(parFamille);
    const par = parFamille ? "family" : this.par;
    this.choix.value = par;
    const d = await api("/stats/compstat", { parametres: { ...filtres, by: par }, signal });
    if (!d.rows.length) {
      remplir(this.contenu, h("p", {}, "Aucune donnée pour ces filtres."));
      return;
    }
    // Valeurs bruitées (partenaires) : pas de z, qui lirait les comptes comme exacts.
    const avecZ = !d.privacy;
    const colonnes = avecZ ? 4 : 3;
    const entete1 = h("tr", {}, h("th", { scope: "col", rowspan: 2 }, par === "family" ? "Famille" : "Catégorie"), d.periods.map((p) => h("th", { scope: "colgroup", colspan: colonnes, title: `du ${jour(p.start)} au ${jour(p.end)}, contre du ${jour(p.previous_start)} au ${jour(p.previous_end)}` }, p.name)));
    const entete2 = h("tr", {}, d.periods.map(() => [h("th", { scope: "col" }, "faits"), h("th", { scope: "col" }, "an passé"), h("th", { scope: "col" }, "évol."), avecZ ? h("th", { scope: "col" }, "z") : null]));
    const lignes = d.rows.map((r) =>
      h(
        "tr",
        { class: r.key === "total" ? "total" : null },
        h("th", { scope: "row" }, r.label),
        r.periods.map((p) => [
          h("td", {}, compte(p.current, d.suppression_threshold)),
          h("td", {}, compte(p.previous, d.suppression_threshold)),
          h("td", {}, p.change_percent === null ? "—" : `${signe(p.change_percent)} %`),
          avecZ ? h("td", { class: classeZ(p.z), title: "z = 2(√C − √P)" }, p.z === null ? "—" : signe(p.z, 2)) : null,
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
          h(
            "caption",
            {},
            avecZ
              ? `Périodes finissant le ${jour(d.at)}, comparées aux mêmes dates un an plus tôt. z = 2(√C − √P) : au-delà de ±2, l'écart est peu vraisemblable à rythme égal, quelle que soit la taille des nombres.`
              : `Mois entiers finissant le ${jour(d.at)}, comparés aux mêmes mois un an plus tôt. Valeurs bruitées : une petite évolution peut venir du bruit (pas de z ici : il lirait les comptes comme exacts).${parFamille ? " Dans un QPV, le détail est publié par famille." : ""}`,
          ),
          h("thead", {}, entete1, entete2),
          h("tbody", {}, lignes),
        ),
      ),
      noteCompstat(d.periods, filtres, d.at),
      avecZ ? clesZ() : null,
    );
  }
}

function clesZ() {
  return h(
    "div",
    { class: "cles", "aria-label": "Couleurs de z" },
    [["z-p3", "z ≥ 3"], ["z-p2", "z ≥ 2"], ["z-p1", "z ≥ 1"], ["z-m1", "z ≤ −1"], ["z-m2", "z ≤ −2"], ["z-m3", "z ≤ −3"]].map(([c, t]) =>
      h("span", {}, h("i", { class: c, style: `background:${COULEURS_Z[c]}` }), t),
    ),
  );
}

const COULEURS_Z = { "z-p3": "#b2182b", "z-p2": "#e58268", "z-p1": "#fbd5c5", "z-m1": "#d1e5f0", "z-m2": "#7fb2d5", "z-m3": "#2166ac" };
