// Point d'entrée : connexion, puis la carte, ses filtres et ses panneaux, l'état 4001, les imports,
// le compte et l'administration.

import { annulee, api, relireSession } from "./api.js";
import { ouvrirSession } from "./connexion.js";
import { parametresChauds } from "./avance.js";
import { Carte } from "./carte.js";
import { Dessin } from "./dessin.js";
import { erreur, h, nombre, remplir } from "./dom.js";
import * as donnees from "./donnees.js";
import { FILTRES, abonner, change, definirProfil, etatCourant, filtresApi, modifier, textePeriode } from "./etat.js";
import { Filtres, texteHeures, texteJours } from "./filtres.js";
import { Outils } from "./outils.js";
import { PageAdmin } from "./pages/admin.js";
import { PageCompte } from "./pages/compte.js";
import { PageEtat4001 } from "./pages/etat4001.js";
import { PageImports } from "./pages/imports.js";
import { PanneauComparaison } from "./couches/comparaison.js";
import { ActionsClspd } from "./panneaux/actionsclspd.js";
import { ComparaisonCommunes } from "./panneaux/communes.js";
import { Compstat } from "./panneaux/compstat.js";
import { Creneaux } from "./panneaux/creneaux.js";
import { EvaluationAction } from "./panneaux/evaluation.js";
import { ListeFaits } from "./panneaux/liste.js";
import { Repetitions } from "./panneaux/repetitions.js";
import { Tendance } from "./panneaux/tendance.js";
import { Territoires } from "./panneaux/territoires.js";
import { Zone } from "./panneaux/zone.js";
import { suivreDefilements } from "./defilement.js";
import { menusDuRole, nomRole, pagesPermises } from "./roles.js";
import { fermer, moi } from "./session.js";

const config = JSON.parse(document.getElementById("configuration")?.textContent || "{}");
const PAGES = ["carte", "etat4001", "imports", "admin", "compte"];
const $ = (id) => document.getElementById(id);

const app = {
  moi: null,
  dernierJour: null,
  premierJour: null,
  categories: [],
  communes: null,
  filtres: null,
  carte: null,
  panneaux: [],
  controleur: null,
  premiereCarte: false,
  donneesChangees: false,
  pageEtat4001: null,
  pageImports: null,
  pageCompte: null,
  pageAdmin: null,
};

$("deconnexion").addEventListener("click", () => fermer($("partout").checked));

async function demarrer() {
  if (typeof L === "undefined" || typeof L.markerClusterGroup !== "function" || typeof Chart === "undefined") {
    $("demarrage").hidden = false;
    $("demarrage").className = "erreur";
    $("demarrage").textContent = "Les bibliothèques de la carte (Leaflet, Chart.js) ne sont pas installées sur le serveur : lancez « npm ci » à la racine du projet (make run le fait).";
    return;
  }
  try {
    app.moi = await ouvrirSession();
  } catch (e) {
    $("demarrage").hidden = false;
    $("demarrage").className = "erreur";
    $("demarrage").textContent = e.detail || String(e);
    return;
  }
  $("demarrage").hidden = false;
  $("demarrage").textContent = "Chargement des données…";
  try {
    await ouvrir();
  } catch (e) {
    if (e.statut === 401) return;
    $("demarrage").className = "erreur";
    $("demarrage").textContent = e.detail || String(e);
  }
}

/** Le premier et le dernier jour des données : les périodes « 7 derniers jours »… finissent là.
 *  Pour un partenaire, ceux des mois publiés (le dernier jour du dernier mois publié). */
async function chercherPlage() {
  const s = await api("/stats/summary");
  return s.data_range || { first: null, last: null };
}

async function ouvrir() {
  const role = app.moi.role;
  document.body.dataset.role = role;
  ecrireQui();
  $("utilisateur").hidden = false;
  $("navigation").hidden = false;

  const [categories, communes, plage] = await Promise.all([
    donnees.categories(),
    donnees.communes(),
    chercherPlage(),
  ]);
  app.categories = categories;
  app.communes = communes;
  app.dernierJour = plage.last;
  app.premierJour = plage.first;
  // Ce que le rôle peut demander : mois et familles entiers pour un partenaire, résolution.
  definirProfil(role, [...new Set(categories.map((c) => c.family))]);

  const e = etatCourant();
  app.filtres = new Filtres($("form-filtres"), { config, categories, communes, role });
  app.filtres.plageDonnees(app.premierJour, app.dernierJour);
  app.carte = new Carte($("carte"), {
    config,
    role,
    communes,
    categories,
    visibles: e.couches.split(","),
    vue: e.vue,
    quandVue: (changements) => modifier(changements),
  });
  const filtrer = (changements) => modifier(changements);
  app.panneaux = [
    new Creneaux($("panneau-creneaux"), { filtrer }),
    new Tendance($("panneau-tendance")),
    new Compstat($("panneau-compstat")),
    new Territoires($("panneau-qpv")),
    new ComparaisonCommunes($("panneau-communes"), { perimetre: app.moi.communes ?? null }),
  ];
  if (role !== "partner") new EvaluationAction($("panneau-evaluation"));
  // La liste des faits : police et administrateur ; la comparaison : tous sauf les partenaires.
  if (["admin", "police"].includes(role)) app.panneaux.push(new ListeFaits($("panneau-liste"), { carte: app.carte }));
  if (role !== "partner") new PanneauComparaison($("panneau-comparaison"), { carte: app.carte, dernierJour: () => app.dernierJour });
  if (role !== "partner") ajouterOutilsDessin(categories);
  new Outils($("outils"), {
    role,
    communes,
    perimetre: app.moi.communes ?? null,
    carte: app.carte,
    contexte: () => contexte(etatCourant()),
    plage: () => ({ premier: app.premierJour, dernier: app.dernierJour }),
  });
  menusDuRole($("navigation"), role);
  app.pageEtat4001 = new PageEtat4001($("page-etat4001"), { communes, seuil: config.secrecy_threshold });
  app.pageCompte = new PageCompte($("page-compte"), { moi, relire });
  if (role === "admin") app.pageAdmin = new PageAdmin($("page-admin"), { communes });
  app.pageImports = new PageImports($("page-imports"), {
    role,
    quandImport: () => {
      app.donneesChangees = true;
    },
  });

  for (const lien of document.querySelectorAll("#navigation a")) {
    lien.addEventListener("click", (ev) => {
      ev.preventDefault();
      modifier({ page: lien.dataset.page }, { historique: true });
    });
  }
  $("bouton-filtres").addEventListener("click", () => {
    const replie = $("filtres").classList.toggle("replie");
    $("bouton-filtres").setAttribute("aria-expanded", String(!replie));
  });

  $("demarrage").hidden = true;
  suivreDefilements($("contenu"));
  abonner(surChangement);
  surChangement(etatCourant(), null);
}

/** Dessin d'une zone, ses chiffres, les actions du CLSPD et les répétitions proches (issue 20). */
function ajouterOutilsDessin(categories) {
  const dessin = new Dessin(app.carte.carte);
  for (const id of ["panneau-actions-clspd", "panneau-zone", "panneau-repetitions"]) $(id).hidden = false;
  new ActionsClspd($("panneau-actions-clspd"), {
    dessin,
    categories,
    quandEnregistre: () => {
      const couche = app.carte.couche("actions");
      if (couche) {
        couche.cleChargee = null;
        couche.actualiser().then(() => app.carte.actualiser(contexte(etatCourant())));
      }
    },
  });
  app.panneaux.push(
    new Zone($("panneau-zone"), { dessin, generation: etatCourant().generation }),
    new Repetitions($("panneau-repetitions"), { sujet: sujetRepetitions }),
  );
}

function sujetRepetitions() {
  const codes = (etatCourant().categories || "").split(",").filter(Boolean);
  if (codes.length !== 1) return "un fait de la sélection";
  const c = app.categories.find((x) => x.code === codes[0] || x.family === codes[0]);
  const libelle = c ? (c.code === codes[0] ? c.label : c.family_label) : codes[0];
  return `un fait « ${libelle.toLowerCase()} »`;
}

function surChangement(e, avant) {
  app.filtres.synchroniser(e, app.dernierJour);
  if (!avant || e.page !== avant.page) montrerPage(e.page);
  if (avant && e.couches !== avant.couches) app.carte.appliquerCouches(e.couches.split(","));
  if (!avant || change(e, avant, FILTRES)) actualiserPanneaux(e);
  if (!avant || change(e, avant, [...FILTRES, "res", "classes", "vue", "couches", "hs_k", "hs_conf", "hs_perm"])) actualiserCarte(e);
}

function montrerPage(page) {
  const choisie = PAGES.includes(page) && pagesPermises(app.moi.role).includes(page) ? page : "carte";
  for (const p of PAGES) $(`page-${p}`).hidden = p !== choisie;
  for (const lien of document.querySelectorAll("#navigation a")) {
    if (lien.dataset.page === choisie) lien.setAttribute("aria-current", "page");
    else lien.removeAttribute("aria-current");
  }
  if (choisie === "carte") {
    app.carte.redimensionner();
    if (app.donneesChangees) rechargerApresImport();
  } else if (choisie === "etat4001") {
    app.pageEtat4001.montrer();
  } else if (choisie === "compte") {
    app.pageCompte.montrer();
  } else if (choisie === "admin") {
    app.pageAdmin.montrer();
  } else {
    app.pageImports.montrer();
  }
}

/** Qui est connecté, dans le bandeau : adresse, rôle, communes. */
function ecrireQui() {
  const m = app.moi;
  remplir(
    $("qui"),
    h("span", { class: "courriel" }, m.email),
    ` (${m.role_label || nomRole(m.role)}`,
    m.scope_label ? h("span", { class: "portee" }, ` · ${m.scope_label}`) : null,
    ")",
  );
}

/** La session relue (après une inscription TOTP…), et le bandeau à jour. */
async function relire() {
  const session = await relireSession();
  if (session) {
    app.moi = session;
    ecrireQui();
  }
  return session;
}

/** Un import a eu lieu : nouvelles bornes, nouvelles couches, nouveaux chiffres. */
async function rechargerApresImport() {
  app.donneesChangees = false;
  donnees.oublier();
  try {
    const plage = await chercherPlage();
    app.dernierJour = plage.last;
    app.premierJour = plage.first;
    app.filtres.plageDonnees(app.premierJour, app.dernierJour);
  } catch {
    // Les chiffres diront l'erreur.
  }
  for (const c of app.carte.couches) c.cleChargee = null;
  const e = etatCourant();
  app.filtres.synchroniser(e, app.dernierJour);
  actualiserPanneaux(e);
  actualiserCarte(e);
}

function contexte(e) {
  return { filtres: filtresApi(e, app.dernierJour), res: e.res, classes: e.classes, generation: e.generation, chauds: parametresChauds(e) };
}

let tourCarte = 0;

async function actualiserCarte(e) {
  const zone = $("carte");
  zone.dataset.etat = "chargement";
  tourCarte += 1;
  const tour = tourCarte;
  await app.carte.actualiser(contexte(e));
  if (tour !== tourCarte) return; // une mise à jour plus récente est en cours
  zone.dataset.etat = "pret";
  if (!app.premiereCarte && app.carte.couche("hexagones").etat === "pret") {
    app.premiereCarte = true;
    // Mesure lue par les tests de bout en bout : de l'ouverture de la page aux hexagones dessinés.
    performance.mark("observatoire:hexagones-dessines");
  }
}

async function actualiserPanneaux(e) {
  app.controleur?.abort();
  const controleur = new AbortController();
  app.controleur = controleur;
  const filtres = filtresApi(e, app.dernierJour);
  const resume = $("resume");
  resume.classList.add("chargement");
  const travaux = [
    api("/stats/summary", { parametres: filtres, signal: controleur.signal }).then((s) => ecrireResume(e, s)),
    ...app.panneaux.map(async (panneau) => {
      const contenu = panneau.contenu;
      contenu.classList.add("chargement");
      try {
        await panneau.actualiser(filtres, controleur.signal);
      } catch (err) {
        if (!annulee(err)) erreur(contenu, err.detail || String(err));
      } finally {
        if (app.controleur === controleur) contenu.classList.remove("chargement");
      }
    }),
  ];
  try {
    await Promise.all(travaux);
  } catch (err) {
    if (!annulee(err)) erreur(resume, err.detail || String(err));
  } finally {
    if (app.controleur === controleur) resume.classList.remove("chargement");
  }
}

function ecrireResume(e, s) {
  const morceaux = [textePeriode(e, app.dernierJour)];
  if (e.hours) morceaux.push(`de ${texteHeures(e.hours)}`);
  if (e.weekdays) morceaux.push(texteJours(e.weekdays));
  if (e.categories) morceaux.push(texteCategories(e.categories));
  if (e.commune) {
    const c = app.communes.features.find((f) => f.properties.code === e.commune);
    morceaux.push(c ? c.properties.name : e.commune);
  }
  if (e.qpv === "in") morceaux.push(`dans les QPV (${e.generation})`);
  else if (e.qpv === "out") morceaux.push(`hors QPV (${e.generation})`);
  else if (e.qpv) morceaux.push(`QPV ${e.qpv}`);
  const seuil = s.suppression_threshold;
  const total = s.total === null ? `< ${seuil} faits` : `${nombre(s.total)} fait${s.total > 1 ? "s" : ""}`;
  remplir(
    $("resume"),
    h("strong", { id: "total-faits", dataset: { total: String(s.total) } }, total),
    ` · ${morceaux.join(" · ")}.`,
  );
  // Un partenaire lit la diffusion publiée : il doit savoir que les valeurs sont bruitées.
  const note = $("note-confidentialite");
  note.hidden = !s.privacy;
  if (s.privacy) {
    remplir(
      note,
      `${s.privacy.note.replace(/\.$/, "")} ; sous ${seuil}, une valeur s'affiche « < ${seuil} ». `,
      h("a", { href: "/static/confidentialite.html", target: "_blank", rel: "noopener" }, "en savoir plus"),
    );
  }
}

function texteCategories(valeur) {
  const libelles = new Map();
  for (const c of app.categories) {
    libelles.set(c.code, c.label.toLowerCase());
    libelles.set(c.family, c.family_label.toLowerCase());
  }
  const noms = valeur.split(",").map((code) => libelles.get(code) || code);
  return noms.length > 3 ? `${noms.slice(0, 3).join(", ")} et ${noms.length - 3} autre${noms.length > 4 ? "s" : ""}` : noms.join(", ");
}

demarrer();
