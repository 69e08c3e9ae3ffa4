// La matrice 7 × 24 (jour × heure locale) et les créneaux nommés ; un clic filtre un jour ou une heure.

import { api } from "../api.js";
import { palette } from "../classes.js";
import { h, nombre, pourcent, remplir } from "../dom.js";
import { profilCourant } from "../etat.js";
import { texteHeures } from "../filtres.js";
import { noteCreneauxMasques } from "../totaux.js";

const COULEURS = palette(7);

export class Creneaux {
  constructor(section, { filtrer }) {
    this.contenu = section.querySelector(".contenu");
    this.filtrer = filtrer;
  }

  async actualiser(filtres, signal) {
    const partenaire = profilCourant() === "partenaire";
    if (partenaire && (filtres.categories || filtres.qpv)) {
      const retirer = [filtres.categories ? "de familles" : null, filtres.qpv ? "de QPV" : null].filter(Boolean).join(" et ");
      remplir(
        this.contenu,
        h(
          "p",
          { class: "aide", id: "creneaux-commune" },
          `Les créneaux horaires sont publiés pour l'ensemble des faits de chaque commune, sans détail par famille ni par quartier : retirez le filtre ${retirer} pour les voir.`,
        ),
      );
      return;
    }
    const d = await api("/stats/timeslots", { parametres: filtres, signal });
    const seuil = d.suppression_threshold;
    // Un partenaire ne filtre pas par heure ni par jour (la diffusion ne les croise pas avec
    // le reste) : ses en-têtes sont du texte, pas des boutons.
    const bouton = (attributs, texte) => (partenaire ? texte : h("button", { type: "button", ...attributs }, texte));
    const valeurs = d.matrix.flat().filter((v) => v !== null);
    const max = Math.max(0, ...valeurs);
    const entete = h(
      "tr",
      {},
      h("th", { scope: "col" }, h("span", { class: "visuellement-cache" }, "Jour")),
      d.hours.map((heure) =>
        h(
          "th",
          { scope: "col" },
          bouton({ title: `Ne garder que ${heure} h – ${heure + 1} h`, onclick: () => this.filtrer({ hours: String(heure) }) }, String(heure)),
        ),
      ),
    );
    const lignes = d.matrix.map((ligne, j) =>
      h(
        "tr",
        {},
        h(
          "th",
          { scope: "row" },
          bouton(
            { title: `Ne garder que les ${d.weekdays[j]}s`, "aria-label": `${d.weekdays[j]} : ne garder que ce jour`, onclick: () => this.filtrer({ weekdays: String(j + 1) }) },
            `${d.weekdays[j].slice(0, 3)}.`,
          ),
        ),
        ligne.map((v, heure) => {
          const rang = v === null || max === 0 ? -1 : Math.min(6, Math.floor((v / max) * 7));
          const texte = v === null ? `< ${seuil}` : nombre(v);
          return h(
            "td",
            {
              class: rang >= 5 ? "fonce" : "clair",
              style: v === null ? "background:#d9d9d9" : v === 0 ? "background:#fbfbf8" : `background:${COULEURS[rang]}`,
              title: `${d.weekdays[j]}, ${heure} h – ${heure + 1} h : ${v === null ? `< ${seuil} faits (valeur non publiée)` : `${nombre(v, 1)} fait${v >= 2 ? "s" : ""}`}`,
            },
            texte,
          );
        }),
      ),
    );
    remplir(
      this.contenu,
      h(
        "div",
        { class: "defilement" },
        h(
          "table",
          { class: "matrice", id: "matrice-creneaux" },
          h(
            "caption",
            {},
            partenaire
              ? `Faits par jour et créneau (${d.timezone}), valeurs bruitées : la diffusion publie chaque créneau nommé, réparti également sur ses heures.`
              : `Faits par jour et heure de début (${d.timezone}). Un fait connu seulement dans un intervalle est réparti sur les heures qu'il couvre. Cliquez un jour ou une heure pour filtrer.`,
          ),
          h("thead", {}, entete),
          h("tbody", {}, lignes),
        ),
      ),
      noteTotal(d),
      h(
        "ul",
        { class: "creneaux" },
        d.slots.map((s) =>
          h("li", {}, h("strong", {}, `${s.name} (${texteHeures(s.hours)})`), s.value === null && seuil ? ` : < ${seuil} faits` : ` : ${pourcent(s.share)} des faits`),
        ),
      ),
      noteCreneauxMasques(d.suppressed_cells, seuil),
    );
  }
}

/**
 * Le vrai total de la matrice, et pourquoi les cases affichées peuvent ne pas le faire : un fait
 * à horaire incertain compte pour une fraction dans chaque heure qu'il couvre (méthode aoristique).
 */
export function noteTotal(d) {
  if (d.total === null || d.total === undefined) return null;
  const cases = d.matrix.flat().filter((v) => v !== null);
  const total = Math.abs(d.total - Math.round(d.total)) < 1e-6 ? nombre(Math.round(d.total)) : nombre(d.total, 1);
  const faits = `${total} fait${Math.round(d.total) > 1 ? "s" : ""}`;
  const fractionnaires = cases.some((v) => Math.abs(v - Math.round(v)) > 1e-6);
  if (!fractionnaires || d.privacy) return h("p", { class: "note", id: "creneaux-total" }, `Total de la matrice : ${faits}.`);
  const arrondie = cases.reduce((somme, v) => somme + Math.round(v), 0);
  return h(
    "p",
    { class: "note", id: "creneaux-total" },
    `Total de la matrice : ${faits}. Les parts horaires des faits à horaire incertain sont réparties (méthode aoristique) : `,
    `les cases, arrondies à l'unité, peuvent ne pas faire le total exact de ${total}`,
    arrondie !== Math.round(d.total) ? ` (leur somme affichée : ${nombre(arrondie)}).` : ".",
  );
}
