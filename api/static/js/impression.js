// « Imprimer la vue » : la carte en A4 paysage avec sa légende, le filtre en mots, la date,
// l'échelle et le nord (css/impression.css). Leaflet doit connaître la taille de la carte
// imprimée avant que la page ne soit mise en pages : la classe « impression » donne à l'écran
// les dimensions de la feuille, puis invalidateSize() ; « afterprint » rend la page normale.

import { h, remplir } from "./dom.js";

const MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
  "septembre", "octobre", "novembre", "décembre"];

/** « 6 décembre 2026 à 23 h 05 » (heure du navigateur : celle de qui imprime). */
export function dateImpression(d = new Date()) {
  const minutes = String(d.getMinutes()).padStart(2, "0");
  return `${d.getDate() === 1 ? "1er" : d.getDate()} ${MOIS[d.getMonth()]} ${d.getFullYear()} à ${d.getHours()} h ${minutes}`;
}

export class Impression {
  /** carte : la carte Leaflet ; element : son conteneur (#carte). */
  constructor(carte, element) {
    this.carte = carte;
    this.element = element;
    this.entete = h("div", { class: "impression-entete", id: "impression-entete", "aria-hidden": "true" });
    element.before(this.entete);
    const nord = L.control({ position: "topright" });
    nord.onAdd = () => h("div", { class: "nord", title: "Nord", "aria-label": "Nord en haut" }, h("span", { class: "fleche" }, "▲"), h("span", {}, "N"));
    nord.addTo(carte);
    this.legendeFermee = false;
    window.addEventListener("beforeprint", () => this.preparer());
    window.addEventListener("afterprint", () => this.finir());
  }

  imprimer() {
    this.preparer();
    window.print();
  }

  /** La carte aux dimensions de la feuille, la légende ouverte, le titre et la date écrits. */
  preparer() {
    const resume = document.getElementById("resume")?.textContent.trim() || "";
    remplir(
      this.entete,
      h("p", { class: "titre" }, "Observatoire de la tranquillité publique — carte des faits"),
      h("p", { class: "filtre" }, resume),
      h("p", { class: "date" }, `Imprimé le ${dateImpression()}`),
    );
    const legende = this.element.querySelector("details.legende");
    if (legende && !legende.open) {
      legende.open = true;
      this.legendeFermee = true;
    }
    if (!document.body.classList.contains("impression")) {
      this.centre = this.carte.getCenter();
      document.body.classList.add("impression");
    }
    this.carte.invalidateSize({ pan: false });
    if (this.centre) this.carte.setView(this.centre, this.carte.getZoom(), { animate: false });
  }

  finir() {
    if (!document.body.classList.contains("impression")) return;
    document.body.classList.remove("impression");
    const legende = this.element.querySelector("details.legende");
    if (legende && this.legendeFermee) legende.open = false;
    this.legendeFermee = false;
    this.carte.invalidateSize({ pan: false });
    if (this.centre) this.carte.setView(this.centre, this.carte.getZoom(), { animate: false });
    this.centre = null;
  }
}
