// L'évaluation avant/après d'une action : chiffres, graphique (Chart.js) et lecture en français.
// Les évolutions, le WDQ et la lecture sont écrits par le serveur (observatory/actions/reading.py) :
// la page les affiche sans les recalculer.

import { api } from "../api.js";
import { EVENEMENT_EVALUATION, EVENEMENT_EVALUER } from "../couches/actions.js";
import { erreur, h, jour, nombre, remplir } from "../dom.js";

const MOIS = [3, 6, 12, 24];
const ANNEAUX = [100, 200, 300, 500];
const COULEURS = { avant: "#9e9e9e", apres: "#123c69", attendu: "#f4a261" };

export class EvaluationAction {
  constructor(section) {
    this.section = section;
    this.titre = section.querySelector("h2");
    this.contenu = section.querySelector(".contenu");
    this.action = null;
    this.graphique = null;
    this.mois = h("select", { id: "evaluation-mois" }, MOIS.map((m) => h("option", { value: String(m), selected: m === 12 }, `${m} mois`)));
    this.anneau = h("select", { id: "evaluation-anneau" }, ANNEAUX.map((m) => h("option", { value: String(m), selected: m === 200 }, `${m} m`)));
    this.mois.addEventListener("change", () => this.charger());
    this.anneau.addEventListener("change", () => this.charger());
    const fermer = h("button", { type: "button", class: "fermer", "aria-label": "Fermer l'évaluation" }, "Fermer");
    fermer.addEventListener("click", () => this.fermer());
    this.reglages = h(
      "div",
      { class: "formulaire reglages-evaluation" },
      h("label", { class: "champ" }, "Durée de chaque période", this.mois),
      h("label", { class: "champ" }, "Anneau autour de la zone", this.anneau),
      fermer,
    );
    this.corps = h("div", { class: "corps-evaluation", "aria-live": "polite" });
    remplir(this.contenu, this.reglages, this.corps);
    document.addEventListener(EVENEMENT_EVALUER, (ev) => this.ouvrir(ev.detail));
  }

  ouvrir({ id, titre }) {
    this.action = { id, titre };
    this.section.hidden = false;
    this.titre.textContent = `Évaluation avant/après : ${titre}`;
    this.section.scrollIntoView({ behavior: "smooth", block: "start" });
    this.charger();
  }

  fermer() {
    this.section.hidden = true;
    this.action = null;
    document.dispatchEvent(new CustomEvent(EVENEMENT_EVALUATION, { detail: null }));
  }

  async charger() {
    if (!this.action) return;
    this.section.dataset.etat = "chargement";
    this.corps.classList.add("chargement");
    try {
      const e = await api(`/actions/${this.action.id}/evaluation`, {
        parametres: { months: this.mois.value, buffer: this.anneau.value },
      });
      this.montrer(e);
      document.dispatchEvent(new CustomEvent(EVENEMENT_EVALUATION, { detail: e }));
      this.section.dataset.etat = "pret";
    } catch (err) {
      this.detruireGraphique();
      erreur(this.corps, err.detail || String(err));
      this.section.dataset.etat = "erreur";
    } finally {
      this.corps.classList.remove("chargement");
    }
  }

  montrer(e) {
    const a = e.areas;
    const croissance = a.control.before ? a.control.after / a.control.before : null;
    const attendu = (z) => (croissance === null ? null : z.before * croissance);
    const ligne = (nom, z, temoin = false) =>
      h(
        "tr",
        { dataset: { zone: nom } },
        h("th", { scope: "row" }, { treated: "Zone traitée", buffer: `Anneau de ${nombre(e.parameters.buffer_m)} m`, control: "Zone témoin" }[nom]),
        h("td", { class: "avant" }, nombre(z.before)),
        h("td", { class: "apres" }, nombre(z.after)),
        h("td", {}, e.display.changes[nom]),
        h("td", {}, temoin ? "—" : nombre(attendu(z))),
        h("td", {}, nombre(z.area_m2 / 10000, 1)),
      );
    const p = e.periods;
    const effet = e.relative_effect;
    const d = e.display;
    const alertes = e.warnings.filter((w) => w.code !== "regression_to_mean" || e.regression_to_mean.warning);
    this.canevas = h("canvas", { role: "img", "aria-label": "Faits avant, après et attendus dans la zone traitée et l'anneau" });
    remplir(
      this.corps,
      h(
        "p",
        { class: "aide" },
        `Avant : du ${jour(p.before.from)} au ${jour(p.before.to)} · après : du ${jour(p.after.from)} au ${jour(p.after.to)}`,
        p.seasonal ? " (mêmes jours de l'année)." : " (saisonnalité non respectée).",
        ` Zone témoin : ${e.parameters.control.label}.`,
      ),
      h("p", { class: "verdict-evaluation", id: "evaluation-verdict" }, h("strong", {}, d.verdict)),
      alertes.length ? h("ul", { class: "alertes-evaluation" }, alertes.map((w) => h("li", { dataset: { code: w.code } }, w.message))) : null,
      h(
        "div",
        { class: "evaluation-grille" },
        h("div", { class: "graphique" }, this.canevas),
        h(
          "div",
          {},
          h(
            "table",
            { class: "table-evaluation" },
            h("thead", {}, h("tr", {}, ["Zone", "Avant", "Après", "Évolution", "Attendu*", "Surface (ha)"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, ligne("treated", a.treated), ligne("buffer", a.buffer), ligne("control", a.control, true)),
            h("caption", {}, "* Attendu : le compte d'avant suivant l'évolution de la zone témoin."),
          ),
          h(
            "dl",
            { class: "chiffres-evaluation" },
            h("dt", {}, "Évolution relative (zone traitée / témoin)"),
            h("dd", { id: "evaluation-effet", dataset: { valeur: String(effet.relative_change) } }, d.treated_effect),
            h("dt", {}, "Rapport des cotes (RES), p"),
            h("dd", {}, d.treated_verdict),
            h("dt", {}, "Anneau / témoin"),
            h("dd", {}, `${d.buffer_effect} ; ${d.buffer_verdict}`),
            h("dt", {}, "Quotient de déplacement (WDQ)"),
            h("dd", { id: "evaluation-wdq" }, d.wdq),
            h("dt", {}, "Effet net total"),
            h("dd", { id: "evaluation-effet-net" }, d.net_effect),
          ),
        ),
      ),
      h("div", { class: "lecture-evaluation" }, e.reading.map((t) => h("p", {}, t))),
      h("p", { class: "aide" }, e.direction),
    );
    this.dessiner(e, attendu);
  }

  detruireGraphique() {
    this.graphique?.destroy();
    this.graphique = null;
  }

  dessiner(e, attendu) {
    this.detruireGraphique();
    const zones = [e.areas.treated, e.areas.buffer];
    const jeu = (label, couleur, valeurs) => ({ label, data: valeurs, backgroundColor: couleur });
    this.graphique = new Chart(this.canevas, {
      type: "bar",
      data: {
        labels: ["Zone traitée", `Anneau (${nombre(e.parameters.buffer_m)} m)`],
        datasets: [
          jeu("Avant", COULEURS.avant, zones.map((z) => z.before)),
          jeu("Après", COULEURS.apres, zones.map((z) => z.after)),
          jeu("Attendu (tendance témoin)", COULEURS.attendu, zones.map((z) => attendu(z))),
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: "fr-FR",
        plugins: { tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label} : ${nombre(ctx.parsed.y)} fait${ctx.parsed.y > 1 ? "s" : ""}` } } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }
}
