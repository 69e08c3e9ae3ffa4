// Dessiner un polygone sur la carte, en choisir un (QPV, commune) ou en téléverser un (GeoJSON).
//
// Le tracé : un clic par sommet ; double-clic, clic sur le premier point ou « Terminer » pour
// fermer ; Retour arrière ou « Annuler le dernier point » ; Échap ou « Abandonner » pour
// renoncer. Le polygone rendu est une géométrie GeoJSON (WGS84, longitude puis latitude).

import * as donnees from "./donnees.js";
import { h, nombre, remplir } from "./dom.js";

const COULEUR = "#111827"; // sombre : se voit sur les hexagones rouges comme sur les jaunes
export const MAX_SOMMETS = 2000;
export const MAX_OCTETS = 1_000_000;

/** L'outil de tracé d'une carte Leaflet : un seul tracé à la fois. */
export class Dessin {
  constructor(carte) {
    this.carte = carte;
    this.points = [];
    this.fin = null;
    this.calque = L.layerGroup().addTo(carte);
    // Le dernier polygone choisi, montré jusqu'au suivant.
    this.forme = L.geoJSON(null, { pane: "contours", style: { color: COULEUR, weight: 3, fillOpacity: 0.08 } }).addTo(carte);
    this.barre = L.control({ position: "bottomright" });
    this.aide = h("span", { class: "aide-dessin", role: "status" });
    this.barre.onAdd = () => {
      const div = h(
        "div",
        { class: "barre-dessin leaflet-bar", id: "barre-dessin" },
        this.aide,
        h("button", { type: "button", id: "dessin-terminer", onclick: () => this.terminer() }, "Terminer"),
        h("button", { type: "button", id: "dessin-defaire", onclick: () => this.defaire() }, "Annuler le dernier point"),
        h("button", { type: "button", id: "dessin-abandonner", onclick: () => this.abandonner() }, "Abandonner"),
      );
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    this.clic = (ev) => this.ajouter(ev.latlng);
    // Un clic de tracé sur une couche (hexagone, contour) n'ouvre pas sa fiche.
    this.bulle = (ev) => this.carte.closePopup(ev.popup);
    this.double = (ev) => {
      L.DomEvent.stop(ev);
      this.terminer();
    };
    this.touche = (ev) => {
      if (ev.key === "Escape") this.abandonner();
      else if (ev.key === "Backspace" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement?.tagName || "")) {
        ev.preventDefault();
        this.defaire();
      }
    };
  }

  get actif() {
    return this.fin !== null;
  }

  /** Un polygone tracé par l'utilisateur : la géométrie GeoJSON, ou null s'il abandonne. */
  dessiner() {
    this.abandonner();
    this.points = [];
    this.carte.doubleClickZoom.disable();
    this.carte.getContainer().classList.add("en-dessin");
    this.carte.on("click", this.clic);
    this.carte.on("dblclick", this.double);
    this.carte.on("popupopen", this.bulle);
    document.addEventListener("keydown", this.touche);
    this.barre.addTo(this.carte);
    this.redessiner();
    this.carte.getContainer().scrollIntoView({ block: "nearest" });
    return new Promise((resoudre) => {
      this.fin = resoudre;
    });
  }

  ajouter(latlng) {
    // Un double-clic envoie aussi deux clics : le second au même endroit ne fait pas de sommet.
    const dernier = this.points.at(-1);
    if (dernier && this.carte.latLngToContainerPoint(dernier).distanceTo(this.carte.latLngToContainerPoint(latlng)) < 4) return;
    if (this.points.length >= 3 && this.carte.latLngToContainerPoint(this.points[0]).distanceTo(this.carte.latLngToContainerPoint(latlng)) < 10) {
      this.terminer();
      return;
    }
    if (this.points.length >= MAX_SOMMETS) return;
    this.points.push(latlng);
    this.redessiner();
  }

  defaire() {
    this.points.pop();
    this.redessiner();
  }

  redessiner() {
    this.calque.clearLayers();
    const n = this.points.length;
    if (n >= 2) L.polygon(this.points, { pane: "contours", color: COULEUR, weight: 2, dashArray: "4 4", fillOpacity: 0.1, interactive: false }).addTo(this.calque);
    this.points.forEach((p, i) => {
      const sommet = L.circleMarker(p, { pane: "contours", radius: i === 0 ? 6 : 4, color: COULEUR, fillColor: "#fff", fillOpacity: 1, weight: 2 });
      if (i === 0) sommet.on("click", (ev) => {
        L.DomEvent.stop(ev);
        if (this.points.length >= 3) this.terminer();
      });
      sommet.addTo(this.calque);
    });
    this.aide.textContent =
      n === 0
        ? "Cliquez sur la carte pour poser le premier sommet (Échap : abandonner)."
        : n < 3
          ? `${n} sommet${n > 1 ? "s" : ""} : il en faut au moins 3.`
          : `${n} sommets : double-cliquez ou cliquez le premier point pour fermer la zone.`;
    const terminer = document.getElementById("dessin-terminer");
    if (terminer) terminer.disabled = n < 3;
  }

  terminer() {
    if (this.points.length < 3) return;
    const anneau = this.points.map((p) => [arrondi(p.lng), arrondi(p.lat)]);
    anneau.push(anneau[0]);
    this.conclure({ type: "Polygon", coordinates: [anneau] });
  }

  abandonner() {
    this.conclure(null);
  }

  conclure(geometrie) {
    if (this.fin === null) return;
    const fin = this.fin;
    this.fin = null;
    this.points = [];
    this.calque.clearLayers();
    this.carte.off("click", this.clic);
    this.carte.off("dblclick", this.double);
    this.carte.off("popupopen", this.bulle);
    document.removeEventListener("keydown", this.touche);
    this.carte.doubleClickZoom.enable();
    this.carte.getContainer().classList.remove("en-dessin");
    this.barre.remove();
    fin(geometrie);
  }

  /** Montre une zone choisie (et y cadre la carte). */
  montrer(geometrie) {
    this.forme.clearLayers();
    if (!geometrie) return;
    this.forme.addData(geometrie);
    const bornes = this.forme.getBounds();
    if (bornes.isValid()) this.carte.fitBounds(bornes, { maxZoom: 16, padding: [20, 20] });
  }
}

function arrondi(v) {
  return Math.round(v * 1e6) / 1e6;
}

/** Les sommets d'une géométrie polygonale. */
function sommets(g) {
  const anneaux = g.type === "Polygon" ? g.coordinates : g.coordinates.flat();
  return anneaux.reduce((n, a) => n + a.length, 0);
}

/** Un polygone d'un texte GeoJSON (géométrie, Feature, FeatureCollection), vérifié ; lève une
 *  Error au message français. Le serveur vérifie de nouveau (validité du contour, surface). */
export function polygoneDe(texte) {
  let doc;
  try {
    doc = JSON.parse(texte);
  } catch {
    throw new Error("Le fichier n'est pas un GeoJSON lisible (JSON invalide).");
  }
  const polygones = [];
  const lire = (o) => {
    if (!o || typeof o !== "object") throw new Error("Le fichier n'est pas un objet GeoJSON.");
    if (o.type === "FeatureCollection") (o.features || []).forEach(lire);
    else if (o.type === "Feature") lire(o.geometry);
    else if (o.type === "Polygon") polygones.push(o.coordinates);
    else if (o.type === "MultiPolygon") polygones.push(...o.coordinates);
    else throw new Error(`Le fichier doit contenir des polygones ; il contient une géométrie « ${String(o.type)} ».`);
  };
  lire(doc);
  if (!polygones.length) throw new Error("Le fichier ne contient aucun polygone.");
  const g = polygones.length === 1 ? { type: "Polygon", coordinates: polygones[0] } : { type: "MultiPolygon", coordinates: polygones };
  for (const anneau of polygones.flat()) {
    if (!Array.isArray(anneau) || anneau.length < 4) throw new Error("Un contour du fichier a moins de 4 points.");
    for (const p of anneau) {
      const [x, y] = p || [];
      if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > 180 || Math.abs(y) > 90) {
        throw new Error("Coordonnées hors de WGS84 (longitude, latitude en degrés) : un fichier en Lambert-93 doit être reprojeté en EPSG:4326.");
      }
    }
  }
  if (sommets(g) > MAX_SOMMETS) throw new Error(`Le polygone a ${nombre(sommets(g))} sommets ; ${nombre(MAX_SOMMETS)} au plus (simplifiez-le).`);
  return g;
}

/** Le choix d'une zone : dessiner, prendre un QPV ou une commune, ou téléverser un GeoJSON.
 *  quandZone(geometrie, libelle) reçoit chaque zone choisie. */
export function choixZone({ dessin, id, generation = "2024", quandZone, communes = null }) {
  const etat = h("p", { class: "aide etat-zone", id: `${id}-etat`, "aria-live": "polite" }, "Aucune zone choisie.");
  const choisir = (g, libelle) => {
    remplir(etat, `Zone : ${libelle}.`);
    dessin.montrer(g);
    quandZone(g, libelle);
  };
  const bouton = h("button", { type: "button", id: `${id}-dessiner` }, "Dessiner sur la carte");
  bouton.addEventListener("click", async () => {
    bouton.setAttribute("aria-pressed", "true");
    const g = await dessin.dessiner();
    bouton.setAttribute("aria-pressed", "false");
    if (g) choisir(g, `polygone dessiné (${sommets(g) - 1} sommets)`);
  });
  const liste = h("select", { id: `${id}-territoire`, "aria-label": "Prendre un QPV ou une commune" }, h("option", { value: "" }, "QPV ou commune…"));
  const contours = new Map();
  Promise.all([donnees.qpvs(generation), communes ? Promise.resolve(communes) : donnees.communes()])
    .then(([q, c]) => {
      const groupe = (titre, fc, prefixe) =>
        h("optgroup", { label: titre }, (fc.features || []).map((f) => {
          const cle = `${prefixe}:${f.properties.code}`;
          contours.set(cle, f);
          return h("option", { value: cle }, `${f.properties.name || f.properties.nom || f.properties.code} (${f.properties.code})`);
        }));
      liste.append(groupe(`QPV ${generation}`, q, "qpv"), groupe("Communes", c, "commune"));
    })
    .catch(() => liste.append(h("option", { disabled: true }, "Contours indisponibles")));
  liste.addEventListener("change", () => {
    const f = contours.get(liste.value);
    if (f) choisir(f.geometry, liste.selectedOptions[0].textContent);
  });
  const fichier = h("input", { type: "file", id: `${id}-fichier`, accept: ".geojson,.json,application/geo+json,application/json" });
  fichier.addEventListener("change", async () => {
    const f = fichier.files?.[0];
    if (!f) return;
    try {
      if (f.size > MAX_OCTETS) throw new Error(`Fichier trop gros (${nombre(f.size / 1e6, 1)} Mo) : 1 Mo au plus.`);
      choisir(polygoneDe(await f.text()), `fichier « ${f.name} »`);
    } catch (e) {
      remplir(etat, h("span", { class: "erreur", role: "alert" }, e.message));
    }
    fichier.value = "";
  });
  return h(
    "div",
    { class: "choix-zone" },
    h("div", { class: "formulaire" }, bouton, liste, h("label", { class: "champ fichier-zone" }, "ou un fichier GeoJSON (WGS84)", fichier)),
    etat,
  );
}
