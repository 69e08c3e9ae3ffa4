// « Liste des faits » (police et administrateur) : les faits de la sélection, par pages, triés par
// colonne, chacun avec sa référence dans la source ; « Localiser » vole au point et ouvre sa fiche.
// Chaque page lue est inscrite au journal d'audit par l'API.

import { api } from "../api.js";
import { h, horodatage, nombre, remplir } from "../dom.js";

const TAILLE = 25;
const PRECISIONS = { housenumber: "au numéro", street: "à la rue", locality: "au lieu-dit" };
// Les colonnes : [clé de tri de l'API (null : pas de tri), titre].
const COLONNES = [
  ["occurred_at", "Date et heure"],
  ["category", "Catégorie"],
  ["address", "Adresse"],
  ["commune", "Commune"],
  ["source_ref", "Référence"],
  ["geocode_type", "Précision"],
  [null, "Carte"],
];

function precision(ligne) {
  if (!ligne.geocode_type) return "coordonnées du fichier";
  const texte = PRECISIONS[ligne.geocode_type] || ligne.geocode_type;
  return ligne.geocode_score === null ? `géocodé ${texte}` : `géocodé ${texte} (score ${nombre(ligne.geocode_score, 2)})`;
}

function quand(ligne) {
  return ligne.occurred_until ? `${horodatage(ligne.occurred_at)} → ${horodatage(ligne.occurred_until)}` : horodatage(ligne.occurred_at);
}

function adresse(ligne) {
  return ligne.address || ligne.geocode_label || "non renseignée";
}

/** La fiche d'un fait (du texte seul, construit par h()). */
function fiche(ligne) {
  const lignes = [
    ["Fait", ligne.category_label],
    ["Date", quand(ligne)],
    ["Adresse", adresse(ligne)],
    ["Commune", ligne.commune_name || ligne.commune || "—"],
    ["Référence", `${ligne.source_ref} (${ligne.source})`],
    ["Position", precision(ligne)],
  ];
  return h("div", { class: "infobulle-fait", dataset: { id: String(ligne.id) } }, h("dl", {}, lignes.map(([t, d]) => [h("dt", {}, t), h("dd", {}, d)])));
}

export class ListeFaits {
  constructor(section, { carte }) {
    this.section = section;
    this.contenu = section.querySelector(".contenu");
    this.carte = carte;
    this.filtres = null;
    this.page = 1;
    this.tri = "-occurred_at";
    section.hidden = false;
  }

  async actualiser(filtres, signal) {
    this.filtres = filtres;
    this.page = 1;
    await this.charger(signal);
  }

  async charger(signal) {
    const d = await api("/incidents", { parametres: { ...this.filtres, page: this.page, size: TAILLE, sort: this.tri }, signal });
    this.dessiner(d);
  }

  async aller(changements) {
    Object.assign(this, changements);
    this.contenu.classList.add("chargement");
    try {
      await this.charger();
    } catch (e) {
      remplir(this.contenu, h("p", { class: "erreur", role: "alert" }, e.detail || String(e)));
    } finally {
      this.contenu.classList.remove("chargement");
    }
  }

  trier(cle) {
    const tri = this.tri === `-${cle}` ? cle : this.tri === cle ? `-${cle}` : cle === "occurred_at" ? `-${cle}` : cle;
    this.aller({ tri, page: 1 });
  }

  localiser(ligne) {
    const carte = this.carte.carte;
    const centre = [ligne.lat, ligne.lon];
    let ouverte = false;
    const ouvrir = () => {
      if (ouverte) return;
      ouverte = true;
      L.popup({ className: "fiche-liste" }).setLatLng(centre).setContent(fiche(ligne)).openOn(carte);
    };
    carte.getContainer().scrollIntoView({ block: "nearest" });
    carte.once("moveend", ouvrir);
    setTimeout(ouvrir, 1500); // déjà sur place : le vol peut ne rien déplacer
    carte.flyTo(centre, Math.max(carte.getZoom(), 17), { duration: 0.6 });
  }

  dessiner(d) {
    const pages = Math.max(1, Math.ceil(d.total / d.size));
    if (!d.total) {
      remplir(this.contenu, h("p", {}, "Aucun fait pour ces filtres."));
      return;
    }
    const entete = COLONNES.map(([cle, titre]) => {
      if (!cle) return h("th", { scope: "col" }, titre);
      const sens = this.tri === cle ? "ascending" : this.tri === `-${cle}` ? "descending" : "none";
      return h(
        "th",
        { scope: "col", "aria-sort": sens, dataset: { tri: cle } },
        h("button", { type: "button", class: "tri", onclick: () => this.trier(cle) }, titre, h("span", { "aria-hidden": "true" }, sens === "ascending" ? " ▲" : sens === "descending" ? " ▼" : "")),
      );
    });
    const lignes = d.items.map((l) =>
      h(
        "tr",
        { dataset: { id: String(l.id) } },
        h("td", {}, quand(l)),
        h("td", {}, l.category_label),
        h("td", {}, adresse(l)),
        h("td", {}, l.commune_name || l.commune || "—"),
        h("td", { class: "reference" }, l.source_ref),
        h("td", {}, precision(l)),
        h("td", {}, h("button", { type: "button", class: "localiser", "aria-label": `Localiser le fait ${l.source_ref} sur la carte`, onclick: () => this.localiser(l) }, "Localiser")),
      ),
    );
    remplir(
      this.contenu,
      h(
        "div",
        { class: "defilement" },
        h(
          "table",
          { class: "table-liste" },
          h("caption", {}, `${nombre(d.total)} fait${d.total > 1 ? "s" : ""} pour ces filtres, heure locale. Chaque page consultée est inscrite au journal d'audit.`),
          h("thead", {}, h("tr", {}, entete)),
          h("tbody", {}, lignes),
        ),
      ),
      h(
        "nav",
        { class: "pagination", "aria-label": "Pages de la liste" },
        h("button", { type: "button", disabled: d.page <= 1, onclick: () => this.aller({ page: d.page - 1 }) }, "‹ Précédente"),
        h("span", { class: "page-liste", role: "status" }, ` Page ${nombre(d.page)} sur ${nombre(pages)} `),
        h("button", { type: "button", disabled: d.page >= pages, onclick: () => this.aller({ page: d.page + 1 }) }, "Suivante ›"),
      ),
    );
  }
}
