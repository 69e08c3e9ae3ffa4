// Les actions du CLSPD (fiches action du STSPD) : leur zone traitée, et l'anneau de l'évaluation.

import { annulee, api } from "../api.js";
import { h, jour, nombre, texteSeul } from "../dom.js";

const COULEUR = "#0b7a75";
export const EVENEMENT_EVALUER = "observatoire:evaluer-action";
export const EVENEMENT_EVALUATION = "observatoire:evaluation-action";

/** Les actions : polygones verts, infobulle au survol, fiche et bouton « Évaluer » au clic. */
export class Actions {
  constructor() {
    this.id = "actions";
    this.titre = "Actions du CLSPD";
    this.etat = "vide";
    this.message = "";
    this.cleChargee = null;
    this.promesse = null;
    this.donnees = null;
    this.zones = L.geoJSON(null, {
      pane: "contours",
      style: { color: COULEUR, weight: 2, fillColor: COULEUR, fillOpacity: 0.25 },
      onEachFeature: (f, couche) => {
        const p = f.properties;
        couche.bindTooltip(() => texteSeul(intitule(p)), { sticky: true });
        couche.bindPopup(() => fiche(p), { maxWidth: 320 });
        couche.on("add", () => {
          const el = couche.getElement();
          if (el) el.dataset.action = String(p.id);
        });
      },
    });
    // L'anneau de la dernière évaluation ouverte, en tirets : où se lit le déplacement.
    this.anneau = L.geoJSON(null, {
      pane: "contours",
      style: { color: COULEUR, weight: 1.5, dashArray: "5 4", fill: false },
    });
    this.groupe = L.layerGroup([this.zones, this.anneau]);
    document.addEventListener(EVENEMENT_EVALUATION, (ev) => {
      this.anneau.clearLayers();
      if (ev.detail?.buffer_geometry) this.anneau.addData(ev.detail.buffer_geometry);
    });
  }

  /** Même contrat que les couches de couches.js : chargée une fois, rechargée après un import. */
  actualiser() {
    if (this.cleChargee === "actions" && this.etat === "pret") return Promise.resolve();
    if (this.promesse) return this.promesse;
    this.etat = "chargement";
    this.promesse = api("/actions")
      .then((donnees) => {
        this.donnees = donnees;
        this.zones.clearLayers();
        this.zones.addData(donnees);
        this.etat = "pret";
        this.message = "";
        this.cleChargee = "actions";
      })
      .catch((e) => {
        if (annulee(e)) return;
        this.etat = "erreur";
        this.message = e.detail || String(e);
      })
      .finally(() => {
        this.promesse = null;
      });
    return this.promesse;
  }

  legende() {
    const titre = h("h3", {}, this.titre);
    if (this.etat === "erreur") return [titre, h("p", { class: "erreur", role: "alert" }, this.message)];
    if (this.etat !== "pret") return [titre, h("p", { class: "note" }, "Chargement…")];
    const n = this.donnees?.features?.length || 0;
    return [
      titre,
      h(
        "ul",
        {},
        h("li", {}, h("span", { class: "pastille", style: `background:${COULEUR}80;border-color:${COULEUR}`, "aria-hidden": "true" }), `zone traitée (${nombre(n)} action${n > 1 ? "s" : ""})`),
        h("li", {}, h("span", { class: "trait", style: `border-top:2px dashed ${COULEUR}`, "aria-hidden": "true" }), "anneau de l'évaluation ouverte"),
      ),
      n ? h("p", { class: "note" }, "Cliquez une zone pour l'évaluer.") : h("p", { class: "note" }, "Aucune action enregistrée : saisissez-en une dans le panneau « Actions du CLSPD », sous la carte."),
    ];
  }
}

function fiche(p) {
  const periode = p.end ? `du ${jour(p.start)} au ${jour(p.end)}` : `depuis le ${jour(p.start)} (en cours)`;
  const cibles = p.category_labels.length ? p.category_labels.join(", ") : "toutes catégories";
  const lignes = [
    ["Fiche", p.reference || "—"],
    ["Nature", p.kind_label],
    ["Période", periode],
    ["Faits visés", cibles],
    ["Surface", `${nombre(p.area_m2 / 10000, 2)} ha`],
  ];
  if (p.note) lignes.push(["Note", p.note]);
  const bouton = h(
    "button",
    {
      type: "button",
      class: "principal evaluer",
      onclick: () => document.dispatchEvent(new CustomEvent(EVENEMENT_EVALUER, { detail: { id: p.id, titre: p.title } })),
    },
    "Évaluer l'action",
  );
  return h(
    "div",
    { class: "infobulle-fait fiche-action" },
    h("strong", {}, p.title),
    h("dl", {}, lignes.map(([t, d]) => [h("dt", {}, t), h("dd", {}, d)])),
    bouton,
  );
}

/** « Titre (FA-2.3) », ou « Titre — fiche FA-2.3 (exemple) » : pas de parenthèses autour d'une
 *  référence qui en porte déjà. */
export function intitule(p) {
  if (!p.reference) return p.title;
  return p.reference.includes("(") ? `${p.title} — fiche ${p.reference}` : `${p.title} (${p.reference})`;
}
