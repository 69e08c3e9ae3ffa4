// Les actions du CLSPD saisies dans la page : la fiche (intitulé, dates, nature, faits visés,
// zone traitée et zone témoin dessinées, choisies ou téléversées), la liste, et l'évaluation
// ouverte dans son panneau (panneaux/evaluation.js).

import { api } from "../api.js";
import { EVENEMENT_EVALUER } from "../couches/actions.js";
import { choixZone } from "../dessin.js";
import * as donnees from "../donnees.js";
import { erreur, h, jour, remplir } from "../dom.js";

export class ActionsClspd {
  constructor(section, { dessin, categories, quandEnregistre }) {
    this.section = section;
    this.quandEnregistre = quandEnregistre;
    this.enCours = null; // l'action modifiée ; null : une nouvelle
    this.zone = null;
    this.temoin = null;
    const champ = (libelle, el) => h("label", { class: "champ" }, libelle, el);
    this.f = {
      title: h("input", { id: "action-titre", required: true, maxlength: 500, autocomplete: "off" }),
      reference: h("input", { id: "action-reference", maxlength: 500, autocomplete: "off", placeholder: "FA-1.2" }),
      kind: h("select", { id: "action-nature" }),
      start: h("input", { id: "action-debut", type: "date", required: true }),
      end: h("input", { id: "action-fin", type: "date" }),
      note: h("textarea", { id: "action-note", rows: 2, maxlength: 5000 }),
      categories: h(
        "select",
        { id: "action-categories", multiple: true, size: 6 },
        donnees.familles(categories).map((f) =>
          h("optgroup", { label: f.libelle }, h("option", { value: f.code }, `${f.libelle} (toute la famille)`), f.categories.map((c) => h("option", { value: c.code }, c.label))),
        ),
      ),
    };
    this.zoneTraitee = choixZone({ dessin, id: "action-zone", quandZone: (g) => (this.zone = g) });
    this.zoneTemoin = choixZone({ dessin, id: "action-temoin", quandZone: (g) => (this.temoin = g) });
    this.message = h("div", { class: "message-action", "aria-live": "polite" });
    this.titreFiche = h("h3", {}, "Nouvelle action");
    this.formulaire = h(
      "form",
      { class: "fiche-saisie", id: "form-action", novalidate: true },
      this.titreFiche,
      h("div", { class: "formulaire" }, champ("Intitulé", this.f.title), champ("Fiche action", this.f.reference), champ("Nature", this.f.kind)),
      h("div", { class: "formulaire" }, champ("Début", this.f.start), champ("Fin (vide : en cours)", this.f.end)),
      champ("Faits visés (Ctrl+clic : plusieurs ; aucun : tous)", this.f.categories),
      champ("Description", this.f.note),
      h("fieldset", {}, h("legend", {}, "Zone traitée"), this.zoneTraitee),
      h("fieldset", {}, h("legend", {}, "Zone témoin (facultative ; vide : le reste de la commune)"), this.zoneTemoin),
      h(
        "div",
        { class: "formulaire" },
        h("button", { type: "submit", class: "principal", id: "action-enregistrer" }, "Enregistrer l'action"),
        h("button", { type: "button", id: "action-nouvelle", onclick: () => this.nouvelle() }, "Nouvelle fiche"),
      ),
      this.message,
    );
    this.formulaire.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.enregistrer();
    });
    this.liste = h("div", { class: "liste-actions defilement" });
    // Repliée : la fiche est longue, et la liste se lit d'abord.
    this.volet = h("details", { class: "volet-saisie" }, h("summary", {}, "Saisir une action"), this.formulaire);
    remplir(section.querySelector(".contenu"), this.liste, this.volet);
    this.charger();
  }

  async charger() {
    try {
      const couche = await api("/actions");
      if (!this.f.kind.options.length) {
        for (const [code, libelle] of Object.entries(couche.metadata.kinds)) this.f.kind.append(h("option", { value: code }, libelle));
      }
      this.actions = couche.features;
      this.montrerListe();
    } catch (e) {
      erreur(this.liste, e.detail || String(e));
    }
  }

  montrerListe() {
    if (!this.actions.length) {
      remplir(this.liste, h("p", { class: "aide" }, "Aucune action enregistrée : « Saisir une action », ci-dessous, ouvre la fiche."));
      return;
    }
    remplir(
      this.liste,
      h(
        "table",
        { class: "table-actions", id: "table-actions" },
        h("thead", {}, h("tr", {}, ["Action", "Nature", "Période", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          this.actions.map((f) => {
            const p = f.properties;
            return h(
              "tr",
              { dataset: { action: String(p.id) } },
              h("th", { scope: "row" }, p.title, p.reference ? ` (${p.reference})` : ""),
              h("td", {}, p.kind_label),
              h("td", {}, p.end ? `${jour(p.start)} – ${jour(p.end)}` : `depuis le ${jour(p.start)}`),
              h(
                "td",
                { class: "boutons-action" },
                h("button", { type: "button", class: "modifier", onclick: () => this.modifier(f) }, "Modifier"),
                h("button", { type: "button", class: "principal evaluer", onclick: () => this.evaluer(p) }, "Évaluer"),
              ),
            );
          }),
        ),
      ),
    );
  }

  evaluer(p) {
    document.dispatchEvent(new CustomEvent(EVENEMENT_EVALUER, { detail: { id: p.id, titre: p.title } }));
  }

  nouvelle() {
    this.enCours = null;
    this.formulaire.reset();
    this.zone = null;
    this.temoin = null;
    for (const id of ["action-zone-etat", "action-temoin-etat"]) remplir(document.getElementById(id), "Aucune zone choisie.");
    this.titreFiche.textContent = "Nouvelle action";
    remplir(this.message);
  }

  modifier(f) {
    const p = f.properties;
    this.enCours = p.id;
    this.titreFiche.textContent = `Modifier : ${p.title}`;
    this.f.title.value = p.title;
    this.f.reference.value = p.reference || "";
    this.f.kind.value = p.kind;
    this.f.start.value = p.start;
    this.f.end.value = p.end || "";
    this.f.note.value = p.note || "";
    for (const o of this.f.categories.options) o.selected = p.categories.includes(o.value);
    // La zone traitée enregistrée (le rayon ou le tampon d'un point ou d'une ligne y est déjà).
    this.volet.open = true;
    this.zone = f.geometry;
    this.temoin = p.control_geometry || null;
    remplir(document.getElementById("action-zone-etat"), "Zone : la zone traitée enregistrée (redessinez-la pour la changer).");
    remplir(document.getElementById("action-temoin-etat"), this.temoin ? "Zone : la zone témoin enregistrée." : "Aucune zone choisie.");
    remplir(this.message);
    this.formulaire.scrollIntoView({ block: "start" });
    this.f.title.focus();
  }

  async enregistrer() {
    if (!this.zone) {
      remplir(this.message, h("p", { class: "erreur", role: "alert" }, "Choisissez la zone traitée : dessinez-la, prenez un QPV ou une commune, ou téléversez un polygone."));
      return;
    }
    const corps = {
      title: this.f.title.value,
      reference: this.f.reference.value || null,
      kind: this.f.kind.value,
      start: this.f.start.value || null,
      end: this.f.end.value || null,
      note: this.f.note.value || null,
      categories: [...this.f.categories.selectedOptions].map((o) => o.value),
      place: { kind: "polygon", geometry: this.zone },
      control: this.temoin,
    };
    const modification = this.enCours !== null;
    try {
      const f = await api(modification ? `/actions/${this.enCours}` : "/actions", { methode: modification ? "PUT" : "POST", json: corps });
      this.enCours = f.properties.id;
      this.titreFiche.textContent = `Modifier : ${f.properties.title}`;
      remplir(
        this.message,
        h("p", { class: "succes", role: "status", id: "action-enregistree", dataset: { action: String(f.properties.id) } }, modification ? "Action modifiée." : "Action enregistrée.", " "),
        h("button", { type: "button", class: "principal", id: "action-evaluer", onclick: () => this.evaluer(f.properties) }, "Évaluer maintenant"),
      );
      await this.charger();
      this.quandEnregistre?.();
    } catch (e) {
      remplir(this.message, h("p", { class: "erreur", role: "alert" }, e.detail || String(e)));
    }
  }
}
