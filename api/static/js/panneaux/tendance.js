// L'évolution mensuelle (Chart.js) et le verdict du test de Mann–Kendall.

import { api } from "../api.js";
import { compte, h, jour, mois, nombre, remplir, signe } from "../dom.js";

const MOIS_TENDANCE = 24;

/**
 * La fenêtre de la tendance : la période du filtre quand elle couvre un an ou plus, sinon les
 * 24 mois qui finissent avec elle (un test de tendance sur 28 jours n'aurait qu'un point).
 */
export function fenetreTendance(from, to) {
  if (!to) return { from, to, elargie: false };
  const jours = from ? (Date.parse(to) - Date.parse(from)) / 86400000 + 1 : Infinity;
  if (jours >= 365) return { from, to, elargie: false };
  const [a, m] = to.split("-").map(Number);
  const index = a * 12 + (m - 1) - (MOIS_TENDANCE - 1);
  const debut = `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}-01`;
  return { from: debut, to, elargie: true };
}

export class Tendance {
  constructor(section) {
    this.contenu = section.querySelector(".contenu");
    this.canevas = h("canvas", { role: "img", "aria-label": "Nombre de faits par mois" });
    this.fenetre = h("p", { class: "aide" });
    this.verdict = h("p", { class: "verdict", role: "status" });
    this.table = h("details", {});
    remplir(this.contenu, this.fenetre, h("div", { class: "graphique" }, this.canevas), this.verdict, this.table);
    this.graphique = null;
  }

  async actualiser(filtres, signal) {
    const fenetre = fenetreTendance(filtres.from, filtres.to);
    const d = await api("/stats/trends", {
      // « Cette nuit » sur douze mois : toutes les nuits de 18 h à 6 h.
      parametres: { ...filtres, night: "", hours: filtres.night ? filtres.hours || "18-6" : filtres.hours, from: fenetre.from, to: fenetre.to, step: "month", by: "total" },
      signal,
    });
    const serie = d.series[0];
    const seuil = d.suppression_threshold;
    // Un mois sous le seuil (partenaires) n'a pas de point : la courbe s'interrompt.
    const masques = serie ? serie.counts.filter((c) => c === null).length : 0;
    this.fenetre.textContent = [
      fenetre.elargie
        ? `Sur ${MOIS_TENDANCE} mois, du ${jour(fenetre.from)} au ${jour(fenetre.to)} : mêmes catégories, heures et lieux que la carte, sur une durée assez longue pour juger d'une tendance.`
        : "Mêmes filtres que la carte. Mois incomplets en pointillés, hors du test.",
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
          tooltip: { callbacks: { label: (ctx) => `${nombre(ctx.parsed.y)} faits${incomplets[ctx.dataIndex] ? " (mois incomplet)" : ""}` } },
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
