// Les chiffres d'une zone dessinée, choisie ou téléversée, pour le filtre courant
// (POST /stats/zone ; refusé aux partenaires, en hexagones entiers pour un analyste).

import { annulee, api } from "../api.js";
import { choixZone } from "../dessin.js";
import { erreur, h, mois, nombre, remplir } from "../dom.js";

const JOURS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];

export class Zone {
  constructor(section, { dessin, generation = "2024" }) {
    this.section = section;
    this.geometrie = null;
    this.libelle = "";
    this.filtres = null;
    this.graphique = null;
    this.contenu = h("div", { class: "resultats-zone", "aria-live": "polite" });
    const choix = choixZone({
      dessin,
      id: "zone",
      generation,
      quandZone: (g, libelle) => {
        this.geometrie = g;
        this.libelle = libelle;
        this.charger();
      },
    });
    remplir(
      section.querySelector(".contenu"),
      h("p", { class: "aide" }, "Dessinez une zone, prenez un QPV ou une commune, ou téléversez un polygone : ses chiffres suivent les filtres."),
      choix,
      this.contenu,
    );
  }

  /** Même contrat que les autres panneaux : appelé à chaque changement de filtre. */
  async actualiser(filtres, signal) {
    this.filtres = filtres;
    if (this.geometrie) await this.charger(signal);
  }

  async charger(signal) {
    if (!this.geometrie || !this.filtres) return;
    this.section.dataset.etat = "chargement";
    try {
      const r = await api("/stats/zone", { methode: "POST", parametres: this.filtres, json: this.geometrie, signal });
      this.montrer(r);
      this.section.dataset.etat = "pret";
    } catch (e) {
      if (annulee(e)) return;
      this.detruire();
      erreur(this.contenu, e.detail || String(e));
      this.section.dataset.etat = "erreur";
    }
  }

  montrer(r) {
    const total = r.total === null ? "—" : nombre(r.total);
    const max = Math.max(...r.timeslots.flat(), 0);
    this.canevas = h("canvas", { role: "img", "aria-label": "Faits de la zone par mois" });
    remplir(
      this.contenu,
      h(
        "p",
        { class: "total-zone" },
        h("strong", { id: "zone-total", dataset: { total: String(r.total) } }, `${total} fait${r.total > 1 ? "s" : ""}`),
        ` dans la zone (${this.libelle}, ${nombre(r.zone.area_m2 / 10000, 1)} ha).`,
      ),
      r.zone.note ? h("p", { class: "aide" }, r.zone.note) : null,
      h(
        "div",
        { class: "grille-zone" },
        h(
          "table",
          { class: "table-zone" },
          h("caption", {}, "Par famille"),
          h("tbody", {}, r.families.map((f) => h("tr", {}, h("th", { scope: "row" }, f.label), h("td", {}, nombre(f.count))))),
        ),
        h(
          "table",
          { class: "table-zone" },
          h("caption", {}, "Catégories les plus fréquentes"),
          h("tbody", {}, r.categories.slice(0, 8).map((c) => h("tr", {}, h("th", { scope: "row" }, c.label), h("td", {}, nombre(c.count))))),
        ),
        h("div", { class: "graphique graphique-zone" }, this.canevas),
      ),
      // An analyst's resolution-10 zone has no day × hour table (its note says why).
      r.timeslots.length === 0 ? null : h(
        "table",
        { class: "matrice-zone", "aria-label": "Faits de la zone par jour et par heure (heure locale)" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), Array.from({ length: 24 }, (_, i) => h("th", { scope: "col" }, String(i))))),
        h(
          "tbody",
          {},
          r.timeslots.map((ligne, j) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, JOURS[j]),
              ligne.map((v, heure) =>
                h("td", { title: `${JOURS[j]} ${heure} h : ${nombre(v, 1)}`, style: `background:rgba(194,65,12,${max ? (v / max).toFixed(2) : 0})` }, ""),
              ),
            ),
          ),
        ),
      ),
    );
    this.dessiner(r.months);
  }

  detruire() {
    this.graphique?.destroy();
    this.graphique = null;
  }

  dessiner(mois_) {
    this.detruire();
    this.graphique = new Chart(this.canevas, {
      type: "bar",
      data: {
        labels: mois_.map((m) => mois(m.start)),
        datasets: [{ label: "Faits", data: mois_.map((m) => m.count), backgroundColor: mois_.map((m) => (m.complete ? "#c2410c" : "#f0b59a")) }],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: "fr-FR",
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => `${nombre(ctx.parsed.y)} fait${ctx.parsed.y > 1 ? "s" : ""}` } } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }
}
