// La barre d'outils de la carte : imprimer la vue, le dossier CLSPD, les exports du filtre ;
// et un bouton CSV sur chaque tableau. Tout se fait en un clic, sans ligne de commande.

import { adresse } from "./api.js";
import { lignesTableau, nomFichier, texteCsv } from "./csv.js";
import { h, moisLong, remplir } from "./dom.js";
import { abonner, etatCourant } from "./etat.js";
import { Impression } from "./impression.js";
import { entetesSession, sessionExpiree } from "./session.js";

const ROLES_FAITS = ["admin", "police"];
const FORMATS = [
  ["csv", "CSV"],
  ["geojson", "GeoJSON"],
  ["gpkg", "GeoPackage"],
];
// Les panneaux à tableau et la souche du nom de leur fichier.
const TABLEAUX = [
  ["panneau-compstat", "compstat"],
  ["panneau-qpv", "territoires"],
  // Les heures en en-tête : « 0 h » plutôt que « 0 », qu'un tableur prendrait pour une donnée.
  ["panneau-creneaux", "creneaux_7x24", (t) => (/^\d+$/.test(t) ? `${t} h` : t)],
  ["panneau-tendance", "tendance_mensuelle"],
];
const ATTENTE_MS = 1000;

/** Le message d'une réponse en erreur (problem+json en français). */
async function detailErreur(reponse) {
  let detail = `Le serveur a répondu ${reponse.status}.`;
  try {
    const probleme = await reponse.json();
    if (probleme && typeof probleme.detail === "string") detail = probleme.detail;
  } catch {
    // Pas de JSON : le message générique suffit.
  }
  if (reponse.status === 401) sessionExpiree();
  return detail;
}

/** Une requête à l'API (une URL faite par adresse(), ou un chemin /api/v1/… donné par l'API). */
async function appeler(url, methode = "GET") {
  let reponse;
  try {
    reponse = await fetch(url instanceof URL ? url : new URL(url, location.origin), {
      method: methode,
      headers: entetesSession(methode),
    });
  } catch {
    throw new Error("Le serveur de l'observatoire ne répond pas : vérifiez le réseau, puis réessayez.");
  }
  if (!reponse.ok) throw new Error(await detailErreur(reponse));
  return reponse;
}

function nomDonne(reponse, defaut) {
  const entete = reponse.headers.get("Content-Disposition") || "";
  const trouve = /filename="([^"]+)"/.exec(entete);
  return trouve ? trouve[1] : defaut;
}

/** Enregistre un contenu sous ce nom (le navigateur le télécharge). */
export function enregistrer(contenu, nom) {
  const url = URL.createObjectURL(contenu);
  const lien = h("a", { href: url, download: nom, hidden: true });
  document.body.append(lien);
  lien.click();
  lien.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const attendre = (ms) => new Promise((fin) => setTimeout(fin, ms));

export class Outils {
  /**
   * element : la barre ; contexte() : { filtres, res } du filtre courant ; plage() : { premier,
   * dernier } jours des données ; communes : le GeoJSON des communes ; carte : la Carte.
   */
  constructor(element, { role, communes, contexte, plage, carte, perimetre = null }) {
    this.contexte = contexte;
    this.plage = plage;
    this.communes = communes?.features || [];
    this.impression = new Impression(carte.carte, document.getElementById("carte"));
    this.etat = h("p", { class: "outils-etat", id: "outils-etat", role: "status", "aria-live": "polite" });
    this.format = h(
      "select",
      { id: "dossier-format" },
      h("option", { value: "pdf" }, "PDF (A4)"),
      h("option", { value: "html" }, "HTML (carte hors ligne)"),
    );
    this.commune = h(
      "select",
      { id: "dossier-commune" },
      // Un périmètre de plusieurs communes (EPCI, CISPD) : d'abord le dossier de toutes ensemble.
      perimetre?.length > 1 ? h("option", { value: "perimetre" }, `Les ${perimetre.length} communes du périmètre`) : null,
      this.communes.map((f) => h("option", { value: f.properties.code }, f.properties.name)),
    );
    // La commune du dossier suit celle du filtre ; sans filtre, la première (ou celle choisie ici).
    const suivre = (e, avant) => {
      if (e.commune && (!avant || e.commune !== avant.commune)) this.commune.value = e.commune;
    };
    suivre(etatCourant(), null);
    abonner(suivre);
    this.boutonDossier = h("button", { type: "button", id: "bouton-dossier", onclick: () => this.dossier() }, "Dossier CLSPD");
    const exports = [h("span", { class: "intitule" }, "Exporter le filtre :")];
    if (ROLES_FAITS.includes(role)) {
      exports.push(this.groupeExport("faits", "Faits", "/exports/incidents"));
    }
    exports.push(this.groupeExport("hexagones", role === "partner" ? "Hexagones (diffusion)" : "Hexagones", "/exports/hexagons"));
    remplir(
      element,
      h(
        "div",
        { class: "outils-ligne" },
        h("button", { type: "button", id: "bouton-imprimer", onclick: () => this.impression.imprimer() }, "Imprimer la vue"),
        h(
          "span",
          { class: "outils-groupe", role: "group", "aria-label": "Dossier CLSPD" },
          h("label", { for: "dossier-commune", class: "visuellement-cache" }, "Commune du dossier"),
          this.commune,
          h("label", { for: "dossier-format", class: "visuellement-cache" }, "Format du dossier"),
          this.format,
          this.boutonDossier,
        ),
      ),
      h("div", { class: "outils-ligne" }, exports),
      this.etat,
    );
    for (const [id, souche, entete] of TABLEAUX) this.boutonCsv(document.getElementById(id), souche, entete);
  }

  groupeExport(id, titre, chemin) {
    return h(
      "span",
      { class: "outils-groupe", role: "group", "aria-label": `Exporter : ${titre}` },
      h("span", {}, titre),
      FORMATS.map(([format, libelle]) =>
        h(
          "button",
          {
            type: "button",
            id: `export-${id}-${format}`,
            title: `${titre} du filtre courant, au format ${libelle}`,
            onclick: (ev) => this.exporter(ev.currentTarget, `${chemin}.${format}`, id, format),
          },
          libelle,
        ),
      ),
    );
  }

  dire(message, classe = "") {
    this.etat.className = `outils-etat ${classe}`.trim();
    this.etat.textContent = message;
  }

  async exporter(bouton, chemin, souche, format) {
    const { filtres, res } = this.contexte();
    const parametres = souche === "hexagones" ? { ...filtres, res } : filtres;
    bouton.disabled = true;
    this.dire(`Export en cours (${format.toUpperCase()})…`);
    try {
      const reponse = await appeler(adresse(chemin, parametres));
      const nom = nomDonne(reponse, nomFichier(souche, filtres.from, filtres.to, format));
      enregistrer(await reponse.blob(), nom);
      this.dire(`Fichier « ${nom} » téléchargé.`, "succes");
    } catch (e) {
      this.dire(e.message, "erreur");
    } finally {
      bouton.disabled = false;
    }
  }

  /** Le pack du CLSPD pour la commune choisie et les mois entiers de la période du filtre. */
  async dossier() {
    const { filtres } = this.contexte();
    const plage = this.plage();
    const du = (filtres.from || plage.premier || "").slice(0, 7);
    const au = (filtres.to || plage.dernier || "").slice(0, 7);
    if (!du || !au) {
      this.dire("Aucune donnée : le dossier ne peut pas être préparé.", "erreur");
      return;
    }
    const format = this.format.value;
    const periode = du === au ? moisLong(du) : `de ${moisLong(du)} à ${moisLong(au)}`;
    this.boutonDossier.disabled = true;
    this.dire(`Dossier CLSPD (${format.toUpperCase()}, ${periode}, mois entiers) : envoi de la demande…`);
    try {
      const lieu = this.commune.value === "perimetre" ? { communes: "perimetre" } : { commune: this.commune.value };
      const parametres = { ...lieu, from: du, to: au, format, generation: filtres.generation };
      let travail = await (await appeler(adresse("/reports/pack/jobs", parametres), "POST")).json();
      while (travail.state === "en_attente" || travail.state === "en_cours") {
        this.dire(`Dossier CLSPD (${periode}) : ${travail.label}`);
        await attendre(ATTENTE_MS);
        travail = await (await appeler(adresse(`/reports/pack/jobs/${encodeURIComponent(travail.id)}`))).json();
      }
      if (travail.state !== "pret") throw new Error(travail.label);
      const reponse = await appeler(travail.file);
      const nom = nomDonne(reponse, travail.filename);
      enregistrer(await reponse.blob(), nom);
      this.dire(`Dossier CLSPD prêt : « ${nom} » téléchargé.`, "succes");
    } catch (e) {
      this.dire(`Dossier CLSPD : ${e.message}`, "erreur");
    } finally {
      this.boutonDossier.disabled = false;
    }
  }

  /** Un bouton « CSV » dans l'en-tête d'un panneau : son tableau tel qu'il est affiché. */
  boutonCsv(section, souche, entete) {
    if (!section) return;
    const titre = section.querySelector("h2");
    const bouton = h(
      "button",
      {
        type: "button",
        class: "bouton-csv",
        id: `csv-${souche}`,
        title: `Télécharger ce tableau en CSV (Excel : « ; », virgule décimale)`,
        "aria-label": `${titre?.textContent || "Tableau"} : télécharger en CSV`,
        onclick: () => {
          const table = section.querySelector(".contenu table");
          if (!table) {
            this.dire("Ce tableau n'est pas encore chargé.", "erreur");
            return;
          }
          const { filtres } = this.contexte();
          const nom = nomFichier(souche, filtres.from, filtres.to);
          enregistrer(new Blob([texteCsv(lignesTableau(table, entete))], { type: "text/csv;charset=utf-8" }), nom);
          this.dire(`Fichier « ${nom} » téléchargé.`, "succes");
        },
      },
      "CSV",
    );
    titre.after(bouton);
  }
}
