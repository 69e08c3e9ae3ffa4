// Le tableau de bord de l'état 4001 : séries annuelles par famille ou indicateur, évolution et z.

import { annulee, api } from "../api.js";
import { classeZ } from "../classes.js";
import { compte, erreur, h, remplir, signe } from "../dom.js";
import { anneesDeLaPlage, legendeEntiere, listeFrancaise } from "../graphiques.js";

const COULEURS = ["#123c69", "#b2182b", "#1b7837", "#762a83", "#e08214", "#2166ac", "#8c510a", "#01665e", "#c51b7d", "#4d4d4d", "#35978f", "#bf812d", "#5aae61", "#9970ab"];

export class PageEtat4001 {
  constructor(section, { communes, seuil = 5 }) {
    this.contenu = section.querySelector(".contenu");
    this.seuil = seuil; // un chiffre masqué (partenaires) s'affiche « < seuil »
    this.communes = new Map(communes.features.map((f) => [f.properties.code, f.properties.name]));
    this.pret = false;
    this.graphique = null;
  }

  async montrer() {
    if (this.pret) return;
    this.pret = true;
    remplir(this.contenu, h("p", {}, "Chargement des services…"));
    let services;
    try {
      services = await api("/etat4001/services");
    } catch (e) {
      if (!annulee(e)) erreur(this.contenu, e.detail);
      this.pret = false;
      return;
    }
    this.construire(services);
    await this.charger();
  }

  construire(services) {
    const communes = new Set(services.flatMap((s) => s.communes || []));
    const departements = [...new Set(services.map((s) => s.department))].sort();
    this.territoire = h(
      "select",
      { id: "e4001-territoire", onchange: () => this.charger() },
      communes.size
        ? h("optgroup", { label: "Communes (leurs services)" }, [...communes].sort().map((c) => h("option", { value: `commune|${c}` }, `${this.communes.get(c) || c} (${c})`)))
        : null,
      h("optgroup", { label: "Départements" }, departements.map((d) => h("option", { value: `department|${d}` }, `Département ${d}`))),
      h(
        "optgroup",
        { label: "Services" },
        services.map((s) => h("option", { value: `service|${s.department}|${s.perimeter}|${s.service}` }, `${s.service} (${s.perimeter === "PN" ? "police" : "gendarmerie"}, ${s.department})`)),
      ),
    );
    this.groupe = h(
      "select",
      { id: "e4001-groupe", onchange: () => this.charger() },
      h("option", { value: "family" }, "par famille"),
      h("option", { value: "indicator" }, "par indicateur SSMSI"),
    );
    this.resultat = h("div", { id: "e4001-resultat" });
    remplir(
      this.contenu,
      services.length
        ? h(
            "div",
            { class: "formulaire" },
            h("div", { class: "champ" }, h("label", { for: "e4001-territoire" }, "Territoire"), this.territoire),
            h("div", { class: "champ" }, h("label", { for: "e4001-groupe" }, "Regroupement"), this.groupe),
          )
        : null,
      this.resultat,
    );
    if (!services.length) erreur(this.resultat, "Aucun chiffre de l'état 4001 n'est importé : importez un fichier (page Imports, ou « observatory import etat4001 »).");
  }

  async charger() {
    if (!this.territoire) return;
    const [genre, ...valeurs] = this.territoire.value.split("|");
    const parametres = { group: this.groupe.value };
    if (genre === "commune") parametres.commune = valeurs[0];
    else if (genre === "department") parametres.department = valeurs[0];
    else Object.assign(parametres, { department: valeurs[0], perimeter: valeurs[1], service: valeurs.slice(2).join("|") });
    this.resultat.classList.add("chargement");
    try {
      const d = await api("/stats/etat4001/series", { parametres });
      this.dessiner(d);
    } catch (e) {
      if (!annulee(e)) erreur(this.resultat, e.detail);
    } finally {
      this.resultat.classList.remove("chargement");
    }
  }

  dessiner(d) {
    const presentes = [...new Set(d.series.flatMap((s) => s.points.map((p) => p.year)))].sort();
    const recentes = presentes.slice(-4);
    // Le graphique montre chaque année de la plage : une année sans chiffre y reste un trou.
    const annees = anneesDeLaPlage(presentes);
    const manquantes = annees.filter((a) => !presentes.includes(a));
    const canevas = h("canvas", { role: "img", "aria-label": "Séries annuelles de l'état 4001" });
    this.graphique?.destroy();
    remplir(
      this.resultat,
      d.series.length ? h("div", { class: "graphique graphique-etat4001" }, canevas) : h("p", {}, "Aucun chiffre pour ce territoire."),
      manquantes.length
        ? h("p", { class: "aide", id: "e4001-annees-manquantes" }, `Aucun chiffre importé pour ${listeFrancaise(manquantes)} : la courbe s'interrompt ${manquantes.length > 1 ? "ces années-là" : "cette année-là"}.`)
        : null,
      d.note ? h("p", { class: "aide" }, d.note) : null,
      d.series.length
        ? h(
            "div",
            { class: "defilement" },
            h(
              "table",
              { id: "table-etat4001" },
              h("caption", {}, "Chaque année comparée à la précédente : évolution et z = 2(√C − √P) (couleur au-delà de ±1). Une année connue en partie est comparée aux mêmes mois de l'année d'avant."),
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Série"), h("th", { scope: "col", class: "texte" }, "Unité"), recentes.map((a) => h("th", { scope: "col" }, String(a))))),
              h(
                "tbody",
                {},
                d.series.map((s) =>
                  h(
                    "tr",
                    {},
                    h("th", { scope: "row" }, s.label),
                    h("td", { class: "texte" }, s.unit_label || s.unit),
                    recentes.map((a) => {
                      const p = s.points.find((x) => x.year === a);
                      if (!p) return h("td", {}, "—");
                      const evolution = p.change_pct === null ? "" : ` (${signe(p.change_pct)} %)`;
                      const valeur = p.suppressed ? `< ${this.seuil}` : compte(p.count);
                      return h("td", { class: classeZ(p.z), title: p.z === null ? "" : `z = ${signe(p.z, 2)}${p.complete ? "" : ` ; ${p.months} mois connus`}` }, `${valeur}${evolution}${p.complete ? "" : " *"}`);
                    }),
                  ),
                ),
              ),
            ),
          )
        : null,
    );
    if (!d.series.length) return;
    this.graphique = new Chart(canevas, {
      type: "line",
      data: {
        labels: annees.map(String),
        datasets: d.series.map((s, i) => ({
          label: `${s.label} (${s.unit_label || s.unit})`,
          data: annees.map((a) => s.points.find((p) => p.year === a)?.count ?? null),
          borderColor: COULEURS[i % COULEURS.length],
          backgroundColor: COULEURS[i % COULEURS.length],
          spanGaps: false,
          tension: 0.15,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: "fr-FR",
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        // Un point par année, centré dans sa case : une seule année ne colle pas à l'axe.
        // Des comptes (faits, victimes, véhicules) : un axe entier, jamais « 17,5 ».
        scales: { x: { offset: true }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    legendeEntiere(this.graphique);
  }
}
