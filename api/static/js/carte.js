// La carte Leaflet : fond facultatif (réglage), couches, contrôle des couches, légende.

import { Actions } from "./couches/actions.js";
import { echapper, h, remplir } from "./dom.js";
import { Communes, Faits, Hexagones, Qpv, notesEspace } from "./couches.js";
import { Emergents, PointsChauds } from "./couches/chauds.js";
import { Comparaison } from "./couches/comparaison.js";
import { TauxCommunes } from "./couches/communes.js";
import { Lieux, fondLocal } from "./lieux.js";

const ROLES_FAITS = ["admin", "police"];
const ROLES_ACTIONS = ["admin", "analyst", "police"];

export class Carte {
  constructor(element, { config, role, communes, categories = [], visibles, vue, quandVue }) {
    // maxZoom : sans fond de carte rien d'autre ne le fixe, et le regroupement des points en a besoin.
    this.carte = L.map(element, { zoomSnap: 0.5, keyboard: true, minZoom: 4, maxZoom: 19, zoomControl: false });
    L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(this.carte);
    this.carte.on("popupopen", (ev) => {
      const bouton = ev.popup.getElement()?.querySelector(".leaflet-popup-close-button");
      if (bouton) {
        bouton.setAttribute("aria-label", "Fermer");
        bouton.setAttribute("title", "Fermer");
      }
    });
    this.carte.attributionControl.setPrefix('<a href="https://leafletjs.com" title="Bibliothèque de cartographie">Leaflet</a>');
    for (const [nom, z] of [["hexagones", 410], ["chauds", 420], ["contours", 450]]) {
      this.carte.createPane(nom).style.zIndex = String(z);
    }

    const bases = {};
    // Le plan de la ville (OBS_BASEMAP_FILE, servi par l'API) passe avant un serveur de tuiles.
    const local = fondLocal(config);
    if (local) bases["Plan local"] = local.addTo(this.carte);
    if (config.tile_url) {
      // Le fond de carte n'existe que si un serveur de tuiles est configuré (OBS_TILE_URL).
      // L'attribution est un réglage (OBS_TILE_ATTRIBUTION) : du texte, que Leaflet lirait en HTML.
      bases["Fond de carte"] = L.tileLayer(config.tile_url, { attribution: echapper(config.tile_attribution), maxZoom: 19 });
      if (!local) bases["Fond de carte"].addTo(this.carte);
    }
    if (local || config.tile_url) bases["Sans fond"] = L.layerGroup();
    this.lieux = new Lieux(this.carte);

    // Les libellés des catégories : la note de la légende nomme celles qu'une carte laisse de côté.
    this.libelles = new Map(categories.map((c) => [c.code, c.label]));
    this.couches = [new Hexagones(), new PointsChauds(), new Emergents()];
    if (ROLES_FAITS.includes(role)) this.couches.push(new Faits());
    this.couches.push(new Qpv(), new Communes(), new TauxCommunes());
    if (ROLES_ACTIONS.includes(role)) this.couches.push(new Actions());
    if (role !== "partner") this.couches.push(new Comparaison());
    this.parId = new Map(this.couches.map((c) => [c.id, c]));

    const overlays = {};
    for (const couche of this.couches) {
      // Le contrôle des couches met ces noms en innerHTML.
      overlays[echapper(couche.titre)] = couche.groupe;
      if (visibles.includes(couche.id)) couche.groupe.addTo(this.carte);
    }
    const etroit = window.matchMedia("(max-width: 1100px)").matches;
    this.controle = L.control.layers(bases, overlays, { collapsed: etroit, position: "topright" }).addTo(this.carte);
    const bascule = this.controle.getContainer().querySelector(".leaflet-control-layers-toggle");
    bascule?.setAttribute("title", "Couches");
    bascule?.setAttribute("aria-label", "Choisir les couches");
    this.controle.getContainer().setAttribute("aria-label", "Couches de la carte");

    this.legende = L.control({ position: "bottomleft" });
    this.corpsLegende = h("div", { class: "corps" });
    this.legende.onAdd = () => {
      // Repliable : sur une tablette, la légende ouverte cacherait une bonne part de la carte.
      const div = h(
        "details",
        { class: "legende", "aria-label": "Légende", open: !etroit },
        h("summary", {}, "Légende"),
        this.corpsLegende,
      );
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    this.legende.addTo(this.carte);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(this.carte);

    this.placer(vue, communes);
    this.contexte = null;
    this.quandVue = quandVue;
    this.synchro = false;
    this.carte.on("overlayadd overlayremove", () => {
      if (this.synchro) return;
      this.quandVue({ couches: this.visibles().join(",") });
    });
    this.carte.on("moveend", () => {
      const c = this.carte.getCenter();
      this.quandVue({ vue: `${c.lat.toFixed(5)},${c.lng.toFixed(5)},${this.carte.getZoom()}` });
    });
  }

  placer(vue, communes) {
    const morceaux = (vue || "").split(",").map(Number);
    if (morceaux.length === 3 && morceaux.every(Number.isFinite)) {
      this.carte.setView([morceaux[0], morceaux[1]], morceaux[2]);
      return;
    }
    const emprise = communes?.features?.length ? L.geoJSON(communes).getBounds() : null;
    if (!emprise || !emprise.isValid()) {
      this.carte.setView([46.6, 2.4], 6); // la France, faute de commune importée
      return;
    }
    // Une carte encore cachée n'a pas de taille : elle se cadre quand elle devient visible.
    this.carte.setView(emprise.getCenter(), 12);
    this.emprisePendante = emprise;
    this.cadrer();
  }

  cadrer() {
    const taille = this.carte.getSize();
    if (!this.emprisePendante || taille.x === 0 || taille.y === 0) return;
    this.carte.fitBounds(this.emprisePendante, { padding: [10, 10] });
    this.emprisePendante = null;
  }

  visibles() {
    return this.couches.filter((c) => this.carte.hasLayer(c.groupe)).map((c) => c.id);
  }

  /** Montre exactement ces couches (adresse relue, retour arrière). */
  appliquerCouches(ids) {
    this.synchro = true;
    try {
      for (const c of this.couches) {
        const voulue = ids.includes(c.id);
        if (voulue && !this.carte.hasLayer(c.groupe)) c.groupe.addTo(this.carte);
        if (!voulue && this.carte.hasLayer(c.groupe)) this.carte.removeLayer(c.groupe);
      }
    } finally {
      this.synchro = false;
    }
  }

  couche(id) {
    return this.parId.get(id);
  }

  /** L'emprise de la vue, élargie d'un dixième, pour ne charger que les faits visibles. */
  emprise() {
    const b = this.carte.getBounds().pad(0.1);
    const borne = (v, m) => Math.max(-m, Math.min(m, v)).toFixed(5);
    return [borne(b.getWest(), 180), borne(b.getSouth(), 90), borne(b.getEast(), 180), borne(b.getNorth(), 90)].join(",");
  }

  /** Recharge les couches visibles dont les entrées ont changé ; les autres attendent d'être montrées. */
  async actualiser(contexte) {
    this.contexte = { ...contexte, bbox: this.emprise(), zoom: this.carte.getZoom() };
    this.lieux.actualiser(contexte);
    this.couche("hexagones").restyler(contexte.classes);
    const visibles = this.couches.filter((c) => this.carte.hasLayer(c.groupe));
    const travaux = visibles.map((c) => {
      const promesse = c.actualiser(this.contexte);
      this.majLegende();
      return promesse.then(() => this.majLegende());
    });
    this.majLegende();
    await Promise.all(travaux);
  }

  majLegende() {
    const div = this.corpsLegende;
    const visibles = this.couches.filter((c) => this.carte.hasLayer(c.groupe));
    const blocs = visibles.map((c) => h("section", { dataset: { couche: c.id, etat: c.etat } }, c.legende()));
    // Un analyste : ce que son espace de requêtes a changé aux cartes affichées, dit une fois.
    const notes = new Set(visibles.flatMap((c) => notesEspace(c.metadonnees?.(), this.libelles)));
    remplir(
      div,
      blocs.length ? blocs : h("p", { class: "note" }, "Aucune couche affichée : choisissez-en dans le sélecteur."),
      notes.size ? h("p", { class: "note note-espace", id: "note-espace" }, [...notes].join(" ")) : null,
    );
  }

  redimensionner() {
    this.carte.invalidateSize();
    this.cadrer();
  }
}
