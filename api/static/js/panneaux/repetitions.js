// Les répétitions proches (test de Knox, GET /stats/near-repeat) lues en français : « après un
// cambriolage, le risque d'un autre à moins de 200 m dans les 7 jours est multiplié par 2,1 ».
// Une analyse lourde : lancée au bouton, jamais à chaque filtre ; un 503 (file pleine) dit quand
// réessayer et réessaie seul une fois le délai passé.

import { api } from "../api.js";
import { h, nombre, remplir } from "../dom.js";

const DISTANCES = ["0,100,200,400", "0,50,100,200", "0,200,400,800"];
const DELAIS = ["0,7,14,28", "0,3,7,14", "0,14,28,56"];
const PERMUTATIONS = ["99", "999"];

const bandes = (valeur, unite) => {
  const b = valeur.split(",").map(Number);
  return b.slice(1).map((fin, i) => `${nombre(b[i])} à ${nombre(fin)} ${unite}`).join(" · ");
};

export class Repetitions {
  constructor(section, { sujet }) {
    this.section = section;
    this.sujet = sujet; // () => « un cambriolage de logement » : les faits du filtre, en clair
    this.filtres = null;
    this.minuterie = null;
    const choix = (id, valeurs, unite) =>
      h("select", { id }, valeurs.map((v) => h("option", { value: v }, unite ? bandes(v, unite) : v)));
    this.distances = choix("repetitions-distances", DISTANCES, "m");
    this.delais = choix("repetitions-delais", DELAIS, "j");
    this.permutations = choix("repetitions-permutations", PERMUTATIONS, "");
    this.permutations.value = "999";
    this.bouton = h("button", { type: "button", class: "principal", id: "repetitions-calculer" }, "Calculer");
    this.bouton.addEventListener("click", () => this.calculer());
    this.corps = h("div", { class: "corps-repetitions", "aria-live": "polite" }, h("p", { class: "aide" }, "Choisissez les bandes, puis « Calculer » : le test porte sur les faits du filtre courant."));
    this.contenu = this.corps; // ce que la page marque « chargement » à chaque filtre
    remplir(
      section.querySelector(".contenu"),
      h(
        "div",
        { class: "formulaire" },
        h("label", { class: "champ" }, "Bandes de distance", this.distances),
        h("label", { class: "champ" }, "Bandes de délai", this.delais),
        h("label", { class: "champ" }, "Permutations", this.permutations),
        this.bouton,
      ),
      this.corps,
    );
  }

  /** Le filtre change : l'ancien tableau ne vaut plus, le calcul se relance au bouton. */
  actualiser(filtres) {
    const change = this.filtres && JSON.stringify(filtres) !== JSON.stringify(this.filtres);
    this.filtres = filtres;
    if (change && this.section.dataset.etat === "pret") {
      remplir(this.corps, h("p", { class: "aide" }, "Le filtre a changé : « Calculer » pour mettre le tableau à jour."));
      delete this.section.dataset.etat;
    }
    return Promise.resolve();
  }

  async calculer() {
    clearTimeout(this.minuterie);
    this.section.dataset.etat = "chargement";
    this.bouton.disabled = true;
    remplir(this.corps, h("p", { class: "aide" }, "Calcul en cours (paires de faits et permutations)…"));
    try {
      const r = await api("/stats/near-repeat", {
        parametres: { ...this.filtres, distances: this.distances.value, days: this.delais.value, permutations: this.permutations.value },
      });
      this.montrer(r);
      this.section.dataset.etat = "pret";
    } catch (e) {
      this.section.dataset.etat = "erreur";
      const lignes = [h("p", { class: "erreur", role: "alert" }, e.detail || String(e))];
      if (e.statut === 503) {
        const s = e.attente || 10;
        lignes.push(h("p", { class: "aide", id: "repetitions-attente" }, `Le serveur est occupé par d'autres analyses lourdes : nouvel essai automatique dans ${nombre(s)} s.`));
        this.minuterie = setTimeout(() => this.calculer(), s * 1000);
      }
      remplir(this.corps, lignes);
    } finally {
      this.bouton.disabled = false;
    }
  }

  montrer(r) {
    const d = r.distance_edges;
    const t = r.day_edges;
    const sujet = this.sujet();
    const cases = new Map(r.cells.map((c) => [`${c.distance[0]}|${c.days[0]}`, c]));
    const premiere = cases.get(`${d[0]}|${t[0]}`);
    const phrases = [];
    if (premiere) phrases.push(lecture(premiere, sujet, true));
    for (const c of r.cells) {
      if (c !== premiere && c.significant && c.ratio !== null && c.ratio > 1) phrases.push(lecture(c, sujet, false));
    }
    const enTete = h("tr", {}, h("th", { scope: "col" }, "Distance \\ délai"), t.slice(1).map((fin, j) => h("th", { scope: "col" }, `${nombre(t[j])} à ${nombre(fin)} j`)));
    const lignes = d.slice(1).map((fin, i) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, `${nombre(d[i])} à ${nombre(fin)} m`),
        t.slice(1).map((_, j) => {
          const c = cases.get(`${d[i]}|${t[j]}`);
          const fort = c.significant && c.ratio > 1;
          return h(
            "td",
            { class: fort ? "significatif" : null, title: `observé ${c.observed ?? "< seuil"}, attendu ${nombre(c.expected, 1)}, p = ${nombre(c.p, 2)}` },
            c.ratio === null ? "—" : `× ${nombre(c.ratio, 2)}`,
            fort ? h("span", { class: "etoile", "aria-label": " (significatif)" }, " *") : null,
          );
        }),
      ),
    );
    remplir(
      this.corps,
      h("div", { class: "lecture-repetitions" }, phrases.map((p) => h("p", {}, p))),
      h("div", { class: "defilement" }, h("table", { class: "table-knox", id: "table-knox" }, h("thead", {}, enTete), h("tbody", {}, lignes))),
      h(
        "p",
        { class: "aide" },
        `Rapport de Knox : paires de faits observées / attendues si les dates étaient mélangées entre les faits (${nombre(r.permutations)} permutations). `,
        `* : p < 0,05. ${r.events === null ? "" : `${nombre(r.events)} faits testés.`}`,
      ),
    );
  }
}

/** Une case lue en français. */
function lecture(c, sujet, premiere) {
  const ou = c.distance[0] === 0 ? `à moins de ${nombre(c.distance[1])} m` : `entre ${nombre(c.distance[0])} et ${nombre(c.distance[1])} m`;
  const quand = c.days[0] === 0 ? `dans les ${nombre(c.days[1])} jours` : `entre ${nombre(c.days[0])} et ${nombre(c.days[1])} jours après`;
  if (c.ratio === null) return `Pas de rapport calculable ${ou} ${quand} (trop peu de paires).`;
  const p = `p = ${nombre(c.p, 2)}`;
  if (!c.significant || c.ratio <= 1) {
    return premiere
      ? `Après ${sujet}, le risque d'un autre ${ou} ${quand} n'est pas plus élevé que le hasard ne le voudrait (rapport ${nombre(c.ratio, 2)}, ${p}).`
      : "";
  }
  return `Après ${sujet}, le risque d'un autre ${ou} ${quand} est multiplié par ${nombre(c.ratio, 1)} (${p}).`;
}
