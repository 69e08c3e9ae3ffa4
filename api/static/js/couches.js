// Les couches de la carte. Chacune sait ce dont elle dépend (cle), se charge, et dit sa légende.

import { annulee, api } from "./api.js";
import { METHODES, classer, couleurDe } from "./classes.js";
import { h, horodatage, nombre, texteSeul } from "./dom.js";
import { TuilesHexagones, comptesDeplies, modeTuiles, modeleTuiles, resolutionTuiles, zoomTuiles } from "./tuiles.js";
import { noteHexagonesMasques } from "./totaux.js";

const CONTOURS = "Contours : IGN, INSEE, ANCT (Licence Ouverte)";

export class Couche {
  constructor(id, titre) {
    this.id = id;
    this.titre = titre;
    this.etat = "vide"; // vide, chargement, pret, indisponible, erreur
    this.message = "";
    this.cleChargee = null;
    this.cleEnCours = null;
    this.controleur = null;
    this.promesse = null;
  }

  /** Ce qui, s'il change, oblige à recharger la couche. */
  cle(_contexte) {
    return "";
  }

  /** Charge la couche si ses entrées ont changé ; un même chargement en cours est partagé. */
  actualiser(contexte) {
    const cle = this.cle(contexte);
    if (cle === this.cleEnCours) return this.promesse;
    if (cle === this.cleChargee && ["pret", "indisponible"].includes(this.etat)) return Promise.resolve();
    this.controleur?.abort();
    const controleur = new AbortController();
    this.controleur = controleur;
    this.cleEnCours = cle;
    this.etat = "chargement";
    this.promesse = this.charger(contexte, controleur.signal).then(
      () => {
        this.etat = "pret";
        this.message = "";
        this.cleChargee = cle;
      },
      (e) => {
        if (annulee(e)) return;
        this.groupe.clearLayers();
        this.cleChargee = null;
        if (e.statut === 404 && this.facultative) {
          this.etat = "indisponible";
          this.cleChargee = cle;
        } else {
          this.etat = "erreur";
          this.message = e.detail || String(e);
        }
      },
    ).finally(() => {
      if (this.controleur === controleur) {
        this.controleur = null;
        this.cleEnCours = null;
      }
    });
    return this.promesse;
  }

  legende() {
    const titre = h("h3", {}, this.titre);
    if (this.etat === "indisponible") return [titre, h("p", { class: "indisponible" }, "couche indisponible")];
    if (this.etat === "erreur") return [titre, h("p", { class: "erreur", role: "alert" }, this.message)];
    if (this.etat === "chargement" && !this.cleChargee) return [titre, h("p", { class: "note" }, "Chargement…")];
    return [titre, this.contenuLegende()];
  }

  contenuLegende() {
    return null;
  }

  /** Les métadonnées de la réponse affichée (ce que l'espace de requêtes y a changé). */
  metadonnees() {
    return ["pret", "chargement"].includes(this.etat) ? this.donnees?.metadata : null;
  }
}

export function pastille(couleur, extra = {}) {
  return h("span", { class: "pastille", style: `background:${couleur}`, "aria-hidden": "true", ...extra });
}

/** Nombre de faits par hexagone H3 : choroplèthe séquentielle classée, bornes en légende.
 *  GeoJSON d'ordinaire ; tuiles vectorielles pour une grande zone (tuiles.js dit quand). */
export class Hexagones extends Couche {
  constructor() {
    super("hexagones", "Faits par hexagone");
    this.seuil = null; // sous lui, « < seuil » (partenaires)
    this.classes = [];
    this.methode = "jenks";
    this.mode = "geojson"; // ou « tuiles »
    this.donnees = null; // le GeoJSON (mode geojson)
    this.resume = null; // le TileJSON à la résolution des tuiles (mode tuiles)
    this.base = null; // le TileJSON à la résolution choisie, et ses filtres
    this.comptes = [];
    this.geojson = L.geoJSON(null, {
      pane: "hexagones",
      attribution: "Grille H3",
      style: (f) => this.style(f),
      onEachFeature: (feature, couche) => {
        const p = feature.properties;
        couche.bindTooltip(() => texteSeul(texteHexagone(p, this.seuil)), { sticky: true });
        // Les tests et les outils d'accessibilité lisent le compte de chaque hexagone dessiné.
        couche.on("add", () => {
          const el = couche.getElement();
          if (el) {
            el.dataset.count = p.suppressed ? "" : String(p.count);
            el.dataset.h3 = p.h3;
          }
        });
      },
    });
    this.tuiles = new TuilesHexagones({ style: (p) => this.style({ properties: p }), texte: (p) => texteHexagone(p, this.seuil) });
    this.groupe = L.layerGroup([this.geojson]);
  }

  cle(c) {
    return JSON.stringify([c.filtres, c.res, zoomTuiles(c.zoom)]);
  }

  async charger(c, signal) {
    const parametres = { ...c.filtres, res: c.res };
    const cle = JSON.stringify(parametres);
    // Même filtre, autre zoom : le TileJSON déjà lu suffit (un import remet cleChargee à null).
    const connu = this.cleChargee !== null && this.base?.cle === cle;
    const resume = connu ? this.base.resume : await api("/tiles/hexagons.json", { parametres, signal });
    this.base = { cle, resume };
    if (!modeTuiles(resume, c.zoom) || !TuilesHexagones.disponible()) {
      if (!(connu && this.mode === "geojson" && this.donnees)) {
        const donnees = await api("/layers/hexagons", { parametres, signal });
        this.donnees = donnees;
        this.seuil = donnees.metadata?.suppression_threshold ?? null;
        this.comptes = donnees.features.filter((f) => !f.properties.suppressed).map((f) => f.properties.count);
        this.classer(c.classes);
        this.geojson.clearLayers();
        this.geojson.addData(donnees);
      }
      this.mode = "geojson";
      this.resume = null;
      this.montrer(this.geojson);
      return;
    }
    const res = resolutionTuiles(resume, c.zoom);
    const ici = res === resume.resolution ? resume : await api("/tiles/hexagons.json", { parametres: { ...parametres, res }, signal });
    const avant = JSON.stringify(this.classes);
    this.mode = "tuiles";
    this.resume = ici;
    this.seuil = ici.suppression_threshold ?? null;
    this.donnees = null;
    this.geojson.clearLayers();
    this.comptes = comptesDeplies(ici.histogram);
    this.classer(c.classes);
    const url = modeleTuiles({ ...parametres, v: ici.data_version });
    const neuve = url !== this.tuiles.url;
    this.montrer(this.tuiles.pour(url));
    if (!neuve && JSON.stringify(this.classes) !== avant) this.tuiles.redessiner();
  }

  /** Le groupe montre le GeoJSON ou les tuiles, jamais les deux. */
  montrer(couche) {
    for (const autre of [this.geojson, this.tuiles.couche]) {
      if (autre && autre !== couche && this.groupe.hasLayer(autre)) this.groupe.removeLayer(autre);
    }
    if (!this.groupe.hasLayer(couche)) this.groupe.addLayer(couche);
  }

  classer(methode) {
    this.methode = methode;
    this.classes = classer(this.comptes, methode);
  }

  /** Autre méthode de classes : pas besoin de recharger. */
  restyler(methode) {
    const charge = this.mode === "tuiles" ? this.resume : this.donnees;
    if (methode === this.methode || !charge) return;
    this.classer(methode);
    if (this.mode === "tuiles") this.tuiles.redessiner();
    else this.geojson.setStyle((f) => this.style(f));
  }

  style(f) {
    const p = f.properties;
    if (p.suppressed) return { color: "#8a8a8a", weight: 0.4, opacity: 0.6, fillColor: "#c8c8c8", fillOpacity: 0.45 };
    return { color: "#6b4a2f", weight: 0.5, opacity: 0.6, fillColor: couleurDe(this.classes, p.count), fillOpacity: 0.78 };
  }

  metadonnees() {
    if (!["pret", "chargement"].includes(this.etat)) return null;
    return this.mode === "tuiles" ? this.resume : this.donnees?.metadata;
  }

  get total() {
    return (this.mode === "tuiles" ? this.resume?.total : this.donnees?.metadata?.total) ?? null;
  }

  contenuLegende() {
    const tuiles = this.mode === "tuiles";
    const features = this.donnees?.features || [];
    const n = tuiles ? this.resume.cells : features.length;
    if (!n) return h("p", { class: "note" }, "Aucun fait pour ces filtres.");
    const masques = tuiles ? this.resume.suppressed : features.filter((f) => f.properties.suppressed).length;
    const seuil = tuiles ? this.resume.suppression_threshold : this.donnees.metadata?.suppression_threshold;
    const res = tuiles ? this.resume.resolution : null;
    const choisie = this.base?.resume?.resolution;
    return [
      h(
        "ul",
        { "aria-label": `Classes par ${METHODES[this.methode]}` },
        this.classes.map((c) =>
          h("li", {}, pastille(c.couleur), c.min === c.max ? nombre(c.min) : `${nombre(c.min)} – ${nombre(c.max)}`),
        ),
        masques ? h("li", {}, pastille("#c8c8c8"), `< ${seuil ?? "?"} (valeur non publiée)`) : null,
      ),
      h(
        "p",
        { class: "note" },
        `Classes par ${METHODES[this.methode]}. ${this.total === null ? `< ${seuil}` : nombre(this.total)} fait${this.total === 1 ? "" : "s"}, ${nombre(n)} hexagone${n > 1 ? "s" : ""}.`,
      ),
      noteHexagonesMasques(masques, seuil),
      tuiles
        ? h(
            "p",
            { class: "note", dataset: { mode: "tuiles", resolution: String(res) } },
            `Grande zone : hexagones en tuiles vectorielles, de résolution ${res}`,
            res < choisie ? ` à ce zoom (${choisie} en se rapprochant).` : ".",
          )
        : null,
    ];
  }
}

function texteHexagone(p, seuil) {
  return p.suppressed ? `< ${seuil ?? 5} faits (valeur non publiée)` : `${nombre(p.count)} fait${p.count > 1 ? "s" : ""}`;
}

/** Ce que l'espace de requêtes d'un analyste a changé à une carte (résolution grossie, période
 *  ramenée aux semaines entières des données, catégories sensibles laissées de côté), d'après les métadonnées de la réponse. */
export function notesEspace(meta, libelles = new Map()) {
  const notes = [];
  if (!meta) return notes;
  if (meta.resolution_note) notes.push(meta.resolution_note);
  if (meta.period_widened) notes.push(meta.period_widened);
  if (meta.excluded_categories?.length) {
    const noms = meta.excluded_categories.map((c) => (libelles.get(c) || c.replaceAll("_", " ")).toLowerCase());
    notes.push(`Catégories sensibles non cartographiées (lues par commune ou QPV) : ${noms.join(", ")}.`);
  }
  return notes;
}

/** Un contour nommé : son nom en infobulle (du texte), son code sur l'élément dessiné. */
function contour(couche, p, genre) {
  couche.bindTooltip(() => texteSeul(`${p.name} (${p.code})`), { sticky: true });
  // Les tests et les outils d'accessibilité retrouvent un contour par son code.
  couche.on("add", () => {
    const el = couche.getElement();
    if (el) el.dataset[genre] = p.code;
  });
}

/** Contours des quartiers prioritaires, de la géographie choisie (2015 ou 2024). */
export class Qpv extends Couche {
  constructor() {
    super("qpv", "Quartiers prioritaires (QPV)");
    this.generation = null;
    this.groupe = L.geoJSON(null, {
      pane: "contours",
      attribution: CONTOURS,
      style: { color: "#5b2c83", weight: 2, dashArray: "6 4", fill: false },
      onEachFeature: (f, couche) => contour(couche, f.properties, "qpv"),
    });
  }

  cle(c) {
    return c.generation;
  }

  async charger(c, signal) {
    const donnees = await api("/layers/qpv", { parametres: { generation: c.generation }, signal });
    this.generation = c.generation;
    this.nombre = donnees.features.length;
    this.groupe.clearLayers();
    this.groupe.addData(donnees);
  }

  contenuLegende() {
    return h("ul", {}, h("li", {}, h("span", { class: "trait", style: "border-top:2px dashed #5b2c83", "aria-hidden": "true" }), `Géographie ${this.generation} (${nombre(this.nombre)} QPV)`));
  }
}

/** Contours des communes importées. */
export class Communes extends Couche {
  constructor() {
    super("communes", "Communes");
    this.groupe = L.geoJSON(null, {
      pane: "contours",
      attribution: CONTOURS,
      style: { color: "#222", weight: 2.5, opacity: 0.8, fill: false },
      onEachFeature: (f, couche) => contour(couche, f.properties, "commune"),
    });
  }

  cle() {
    return "communes";
  }

  async charger(_c, signal) {
    const donnees = await api("/layers/communes", { signal });
    this.groupe.clearLayers();
    this.groupe.addData(donnees);
  }

  contenuLegende() {
    return h("ul", {}, h("li", {}, h("span", { class: "trait", "aria-hidden": "true" }), "Limite communale"));
  }
}

export const PAGE_FAITS = 5000;

/** Les faits un par un (police et administrateur), regroupés, dans l'emprise de la carte. */
export class Faits extends Couche {
  constructor() {
    super("faits", "Faits (points)");
    this.meta = null;
    this.groupe = L.markerClusterGroup({
      chunkedLoading: true,
      showCoverageOnHover: false,
      maxClusterRadius: 50,
      // Grappes violettes : ni jaune ni rouge, pour ne pas se confondre avec les hexagones.
      iconCreateFunction: (grappe) => {
        const n = grappe.getChildCount();
        const taille = n < 10 ? 30 : n < 100 ? 36 : 44;
        return L.divIcon({
          html: h("span", {}, String(n)),
          className: "grappe",
          iconSize: [taille, taille],
        });
      },
    });
  }

  cle(c) {
    return JSON.stringify([c.filtres, c.bbox]);
  }

  async charger(c, signal) {
    const donnees = await api("/layers/incidents", {
      parametres: { ...c.filtres, bbox: c.bbox, limit: PAGE_FAITS },
      signal,
    });
    this.meta = donnees.metadata;
    const marqueurs = donnees.features.map((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const marqueur = L.circleMarker([lat, lon], { radius: 6, color: "#fff", weight: 1.5, fillColor: "#3b1f6b", fillOpacity: 0.9 });
      marqueur.bindPopup(() => infobulle(f.properties));
      return marqueur;
    });
    this.groupe.clearLayers();
    this.groupe.addLayers(marqueurs);
  }

  contenuLegende() {
    if (!this.meta) return null;
    const { total, returned } = this.meta;
    const texte = returned < total
      ? `${nombre(returned)} faits affichés sur ${nombre(total)} dans la vue : rapprochez-vous ou resserrez les filtres pour les voir tous.`
      : `${nombre(total)} fait${total > 1 ? "s" : ""} dans la vue.`;
    return [
      h("ul", {}, h("li", {}, pastille("#3b1f6b", { style: "background:#3b1f6b;border-radius:50%" }), "un fait ; les cercles numérotés en regroupent plusieurs")),
      h("p", { class: "note" }, texte),
      h("p", { class: "note" }, "Chaque consultation des faits est inscrite au journal d'audit."),
    ];
  }
}

const PRECISIONS = { housenumber: "numéro", street: "rue", locality: "lieu-dit" };

/** « 12 Rue de la Garonne 31000 Toulouse (rue, score 0,87) » */
function geocodage(p) {
  const precision = PRECISIONS[p.geocode_type] || p.geocode_type;
  return `${p.geocode_label || "—"} (${precision}, score ${nombre(p.geocode_score, 2)})`;
}

function infobulle(p) {
  const lignes = [
    ["Fait", p.category_label],
    ["Date", p.occurred_until ? `entre le ${horodatage(p.occurred_at)} et le ${horodatage(p.occurred_until)}` : `le ${horodatage(p.occurred_at)}`],
    ["Adresse", p.address || "non renseignée"],
    ["Commune", p.commune_name ? `${p.commune_name} (${p.commune})` : p.commune || "—"],
    ["QPV 2024", p.qpv_2024 || "hors QPV"],
    ["QPV 2015", p.qpv_2015 || "hors QPV"],
    ["N° interne", String(p.id)],
  ];
  // Un fait placé par le géocodeur : l'adresse trouvée, sa précision et le score (du texte seul).
  if (p.geocode_type) lignes.splice(3, 0, ["Géocodé", geocodage(p)]);
  return h("div", { class: "infobulle-fait" }, h("dl", {}, lignes.map(([t, d]) => [h("dt", {}, t), h("dd", {}, d)])));
}
