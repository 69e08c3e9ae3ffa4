// L'évolution mensuelle (Chart.js) et le verdict du test de Mann–Kendall.

import { api } from "../api.js";
import { compte, h, jour, mois, nombre, remplir, signe } from "../dom.js";

// Moins de mois complets que cela : pas de test de tendance qui vaille (Mann–Kendall, n ≥ 4).
const MOIS_TEST = 4;

export class Tendance {
  constructor(section) {
    this.contenu = section.querySelector(".contenu");
    this.titre = section.querySelector("h2");
    this.canevas = h("canvas", { role: "img", "aria-label": "Nombre de faits par mois" });
    this.fenetre = h("p", { class: "aide" });
    this.verdict = h("p", { class: "verdict", role: "status" });
    this.table = h("details", {});
    remplir(this.contenu, this.fenetre, h("div", { class: "graphique" }, this.canevas), this.verdict, this.table);
    this.graphique = null;
  }

  /** Les mois de la période choisie, et eux seuls : la courbe suit le filtre de la carte. */
  async actualiser(filtres, signal) {
    const d = await api("/stats/trends", {
      parametres: { ...filtres, step: "month", by: "total" },
      signal,
    });
    const serie = d.series[0];
    const seuil = d.suppression_threshold;
    // Un mois sous le seuil (partenaires) n'a pas de point : la courbe s'interrompt.
    const masques = serie ? serie.counts.filter((c) => c === null).length : 0;
    const premier = d.periods[0]?.start;
    const dernier = d.periods[d.periods.length - 1]?.start;
    const etendue = !premier ? "" : premier === dernier ? mois(premier) : `de ${mois(premier)} à ${mois(dernier)}`;
    if (this.titre) this.titre.textContent = etendue ? `Évolution mensuelle, ${etendue}` : "Évolution mensuelle";
    const complets = d.periods.filter((p) => p.complete).length;
    this.fenetre.textContent = [
      filtres.from && filtres.to
        ? `Les mois de la période choisie (du ${jour(filtres.from)} au ${jour(filtres.to)}), mêmes filtres que la carte.`
        : "Les mois de toute la période des données, mêmes filtres que la carte.",
      d.periods.some((p) => !p.complete) ? " Mois entamés par la période en pointillés, hors du test." : "",
      complets < MOIS_TEST ? " Pour juger d'une tendance, choisissez une période d'un an ou plus." : "",
      masques && seuil ? ` Mois à moins de ${seuil} faits : « < ${seuil} », sans point sur la courbe.` : "",
    ].join("");
    // Valeurs bruitées (partenaires) : pas de z sur un an, qui lirait les comptes comme exacts.
    const avecZ = !d.privacy;
    const etiquettes = d.periods.map((p) => mois(p.start));
    const comptes = serie ? serie.counts : [];
    const incomplets = d.periods.map((p) => !p.complete);
    this.dessiner(etiquettes, comptes, incomplets);
    this.canevas.setAttribute("aria-label", `Nombre de faits par mois, de ${etiquettes[0] || "—"} à ${etiquettes[etiquettes.length - 1] || "—"}`);
    remplir(this.verdict, serie?.withheld ? serie.withheld : verdict(serie?.mann_kendall));
    remplir(
      this.table,
      h("summary", {}, "Voir les chiffres"),
      h(
        "div",
        { class: "defilement" },
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Mois"), h("th", { scope: "col" }, "Faits"), h("th", { scope: "col" }, "Sur un an"), avecZ ? h("th", { scope: "col" }, "z") : null)),
          h(
            "tbody",
            {},
            d.periods.map((p, i) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, etiquettes[i], p.complete ? "" : " (incomplet)"),
                h("td", {}, serie ? compte(comptes[i], seuil) : "—"),
                h("td", {}, serie?.yoy_percent[i] === null || !serie ? "—" : `${signe(serie.yoy_percent[i])} %`),
                avecZ ? h("td", {}, serie?.yoy_z[i] === null || !serie ? "—" : signe(serie.yoy_z[i], 2)) : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  dessiner(etiquettes, comptes, incomplets) {
    const jeu = {
      label: "Faits par mois",
      data: comptes,
      borderColor: "#123c69",
      backgroundColor: "rgba(18, 60, 105, 0.12)",
      fill: true,
      tension: 0.2,
      pointRadius: 3,
      pointBackgroundColor: comptes.map((_, i) => (incomplets[i] ? "#ffffff" : "#123c69")),
      segment: { borderDash: (ctx) => (incomplets[ctx.p0DataIndex] || incomplets[ctx.p1DataIndex] ? [5, 4] : undefined) },
    };
    if (this.graphique) {
      this.graphique.data.labels = etiquettes;
      this.graphique.data.datasets = [jeu];
      this.graphique.update("none");
      return;
    }
    this.graphique = new Chart(this.canevas, {
      type: "line",
      data: { labels: etiquettes, datasets: [jeu] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: "fr-FR",
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => `${nombre(ctx.parsed.y)} fait${ctx.parsed.y > 1 ? "s" : ""}${incomplets[ctx.dataIndex] ? " (mois incomplet)" : ""}` } },
        },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }
}

function verdict(mk) {
  if (!mk) return "Pas de série pour ces filtres.";
  const pente = `pente de Sen ${signe(mk.slope, 1)} fait${Math.abs(mk.slope) >= 2 ? "s" : ""} par mois`;
  const p = mk.p === null ? "" : `p = ${nombre(mk.p, 2)}`;
  if (mk.n < 4) return `Tendance : trop peu de mois complets (${mk.n}) pour le test de Mann–Kendall.`;
  if (mk.trend === "hausse" || mk.trend === "baisse") {
    return [
      "Tendance (Mann–Kendall, ",
      `${mk.n} mois complets) : `,
      h("span", { class: mk.trend }, mk.trend === "hausse" ? "hausse significative" : "baisse significative"),
      ` (${p}, ${pente}).`,
    ];
  }
  return `Tendance (Mann–Kendall, ${mk.n} mois complets) : pas de tendance significative au seuil de 5 % (${p}, ${pente}).`;
}
