// Le panneau des filtres : période, heures et jours, catégories par famille, lieu, résolution.
// Chaque changement passe par l'état (donc par l'adresse) ; la carte et les panneaux le suivent.

import { reglagesAvances } from "./avance.js";
import { METHODES } from "./classes.js";
import { h, moisLong, remplir } from "./dom.js";
import { familles, qpvs } from "./donnees.js";
import {
  FILTRES,
  bornes,
  debutMois,
  defauts,
  etatCourant,
  finMois,
  modifier,
  periodes,
  profilCourant,
  resolutionMax,
  textePeriode,
} from "./etat.js";

const JOURS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
const JOURS_LONGS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const RESOLUTIONS = {
  6: "6 — ville (36 km²)",
  7: "7 — quartiers (5 km²)",
  8: "8 — secteurs (0,7 km²)",
  9: "9 — îlots (0,1 km²)",
  10: "10 — pâtés de maisons (1,5 ha)",
  11: "11 — rue (0,2 ha)",
};

/** « 22-6 » → « 22 h – 6 h » */
export function texteHeures(spec) {
  return spec
    .split(",")
    .map((plage) => plage.split("-").map((x) => `${x.trim()} h`).join(" – "))
    .join(", ");
}

/** Les jours (1 à 7) d'une valeur « 6,7 » ou « 1-5 ». */
export function joursDe(valeur) {
  const jours = new Set();
  for (const morceau of (valeur || "").split(",")) {
    const [a, b] = morceau.split("-").map(Number);
    if (!a) continue;
    for (let j = a; j <= (b || a); j += 1) jours.add(j);
  }
  return jours;
}

export function texteJours(valeur) {
  const jours = [...joursDe(valeur)].sort();
  if (jours.join() === "1,2,3,4,5") return "du lundi au vendredi";
  if (jours.join() === "6,7") return "le week-end";
  return jours.map((j) => JOURS_LONGS[j - 1]).join(", ");
}

export class Filtres {
  constructor(form, { config, categories, communes, role }) {
    this.form = form;
    this.config = config;
    this.familles = familles(categories);
    this.communes = communes.features.map((f) => f.properties).sort((a, b) => a.name.localeCompare(b.name, "fr"));
    this.role = role;
    // Un partenaire lit la diffusion mensuelle : mois entiers, familles entières, pas d'heures.
    this.partenaire = profilCourant() === "partenaire";
    this.dernierJour = null;
    this.premierJour = null;
    this.moisPublies = null;
    this.avance = reglagesAvances();
    this.construire();
  }

  construire() {
    remplir(
      this.form,
      this.periode(),
      this.partenaire ? null : this.heures(),
      this.categories(),
      this.lieu(),
      this.affichage(),
      // Un partenaire lit les classes de la diffusion, calculées avec les réglages par défaut.
      this.partenaire ? null : this.avance.bloc,
      h(
        "div",
        { class: "actions-filtres" },
        h("button", { type: "button", onclick: () => this.reinitialiser() }, "Réinitialiser"),
        h("button", { type: "button", onclick: () => this.copierLien() }, "Copier le lien"),
        h("p", { class: "precision", id: "lien-copie", role: "status" }),
      ),
    );
  }

  periode() {
    // Un partenaire choisit parmi les mois publiés (des listes : le champ « month » n'existe
    // pas dans tous les navigateurs, et ne dirait pas quels mois sont publiés).
    const champ = (id, name) =>
      this.partenaire
        ? h("select", { id, name, onchange: () => this.datesPerso() })
        : h("input", { type: "date", id, name, onchange: () => this.datesPerso() });
    this.champsPerso = h(
      "div",
      { class: "ligne" },
      h("label", { for: "filtre-from" }, this.partenaire ? "De" : "Du"),
      champ("filtre-from", "from"),
      h("label", { for: "filtre-to" }, this.partenaire ? "à" : "au"),
      champ("filtre-to", "to"),
    );
    this.textePeriode = h("p", { class: "precision", id: "texte-periode" });
    return h(
      "fieldset",
      {},
      h("legend", {}, "Période"),
      h(
        "div",
        { class: "choix" },
        Object.entries(periodes()).map(([code, libelle]) =>
          h(
            "label",
            {},
            h("input", {
              type: "radio",
              name: "periode",
              value: code,
              onchange: () => this.choisirPeriode(code),
            }),
            ` ${libelle}`,
          ),
        ),
      ),
      this.champsPerso,
      this.textePeriode,
    );
  }

  choisirPeriode(code) {
    if (code !== "perso") return modifier({ periode: code, from: "", to: "" });
    // La période personnalisée part des bornes affichées.
    const { from, to } = bornes(etatCourant(), this.dernierJour);
    if (this.partenaire) {
      // « Toute la période » n'a pas de bornes : les mois choisis partent des mois publiés.
      return modifier({ periode: "perso", from: from || this.premierJour || "", to: to || this.dernierJour || "" });
    }
    return modifier({ periode: "perso", from, to });
  }

  datesPerso() {
    let from = this.form.elements.from.value;
    let to = this.form.elements.to.value;
    if (this.partenaire) {
      // Des mois (AAAA-MM) : du premier jour du premier au dernier jour du dernier.
      from = from ? debutMois(`${from}-01`) : "";
      to = to ? finMois(`${to}-01`) : "";
    }
    modifier({ periode: "perso", from, to });
  }

  /** Les jours de données ; pour un partenaire, les mois publiés qu'il peut choisir. */
  plageDonnees(premierJour, dernierJour) {
    if (!this.partenaire) return;
    this.premierJour = premierJour;
    const mois = [];
    if (premierJour && dernierJour) {
      for (let m = debutMois(premierJour); m <= dernierJour; m = debutMois(m, 1)) mois.push(m.slice(0, 7));
    }
    if (mois.join() === this.moisPublies?.join()) return;
    this.moisPublies = mois;
    const options = () =>
      mois.length ? mois.map((m) => h("option", { value: m }, moisLong(m))) : h("option", { value: "" }, "aucun mois publié");
    remplir(this.form.elements.from, options());
    remplir(this.form.elements.to, options());
  }

  heures() {
    const creneaux = Object.entries(this.config.time_slots || {});
    this.boutonsHeures = [
      ["", "Toute la journée"],
      ...creneaux.map(([nom, spec]) => [spec, `${nom} (${texteHeures(spec)})`]),
    ].map(([spec, libelle]) =>
      h("button", { type: "button", "aria-pressed": "false", dataset: { heures: spec }, onclick: () => modifier({ hours: spec }) }, libelle),
    );
    const options = (debut, fin) => [
      h("option", { value: "" }, "—"),
      ...Array.from({ length: fin - debut + 1 }, (_, i) => h("option", { value: String(debut + i) }, `${debut + i} h`)),
    ];
    this.heureDe = h("select", { id: "heure-de", onchange: () => this.plageHeures() }, options(0, 23));
    this.heureA = h("select", { id: "heure-a", onchange: () => this.plageHeures() }, options(1, 24));
    this.casesJours = JOURS.map((court, i) =>
      h("input", { type: "checkbox", value: String(i + 1), onchange: () => this.choisirJours() }),
    );
    const raccourcis = [
      ["", "Tous les jours"],
      ["1,2,3,4,5", "Semaine"],
      ["6,7", "Week-end"],
    ];
    this.boutonsJours = raccourcis.map(([valeur, libelle]) =>
      h("button", { type: "button", "aria-pressed": "false", dataset: { jours: valeur }, onclick: () => modifier({ weekdays: valeur }) }, libelle),
    );
    return h(
      "fieldset",
      { class: "heures" },
      h("legend", {}, "Heures et jours (heure locale)"),
      h("div", { class: "boutons", role: "group", "aria-label": "Créneaux horaires" }, this.boutonsHeures),
      h(
        "div",
        { class: "ligne" },
        h("label", { for: "heure-de" }, "De"),
        this.heureDe,
        h("label", { for: "heure-a" }, "à"),
        this.heureA,
      ),
      h(
        "div",
        { class: "jours", role: "group", "aria-label": "Jours de la semaine" },
        this.casesJours.map((caseJour, i) => h("label", { title: JOURS_LONGS[i] }, caseJour, JOURS[i])),
      ),
      h("div", { class: "boutons", role: "group", "aria-label": "Raccourcis de jours" }, this.boutonsJours),
    );
  }

  plageHeures() {
    const de = this.heureDe.value;
    const a = this.heureA.value;
    if (de === "") return modifier({ hours: "" });
    const fin = a === "" ? String((Number(de) + 1) % 24 || 24) : a;
    modifier({ hours: `${de}-${fin}` });
  }

  choisirJours() {
    const jours = this.casesJours.filter((c) => c.checked).map((c) => c.value);
    modifier({ weekdays: jours.length === 7 ? "" : jours.join(",") });
  }

  categories() {
    this.casesFamilles = new Map();
    this.casesCategories = new Map();
    const blocs = this.familles.map((famille) => {
      const caseFamille = h("input", {
        type: "checkbox",
        id: `famille-${famille.code}`,
        dataset: { famille: famille.code },
        onchange: (ev) => this.cocherFamille(famille, ev.target.checked),
      });
      this.casesFamilles.set(famille.code, caseFamille);
      const cases = famille.categories.map((c) => {
        const caseCategorie = h("input", { type: "checkbox", value: c.code, onchange: () => this.choisirCategories() });
        this.casesCategories.set(c.code, caseCategorie);
        return h("label", {}, caseCategorie, ` ${c.label}`);
      });
      return h(
        "div",
        { class: "famille" },
        h("label", { for: caseFamille.id }, caseFamille, ` ${famille.libelle}`),
        // La diffusion aux partenaires se filtre par familles entières.
        this.partenaire ? null : h("details", {}, h("summary", {}, `Détail (${famille.categories.length})`), cases),
      );
    });
    return h(
      "fieldset",
      {},
      h("legend", {}, this.partenaire ? "Familles de faits" : "Catégories"),
      h("p", { class: "precision" }, this.partenaire ? "Aucune case cochée : toutes les familles." : "Aucune case cochée : toutes les catégories."),
      blocs,
      h("div", { class: "boutons" }, h("button", { type: "button", onclick: () => modifier({ categories: "" }) }, this.partenaire ? "Toutes les familles" : "Toutes les catégories")),
    );
  }

  cocherFamille(famille, coche) {
    for (const c of famille.categories) this.casesCategories.get(c.code).checked = coche;
    this.choisirCategories();
  }

  /** Le paramètre « categories » le plus court : une famille entière s'écrit par son code. */
  choisirCategories() {
    const choix = [];
    for (const famille of this.familles) {
      const cochees = famille.categories.filter((c) => this.casesCategories.get(c.code).checked);
      if (cochees.length === famille.categories.length) choix.push(famille.code);
      else choix.push(...cochees.map((c) => c.code));
    }
    const toutes = choix.length === this.familles.length && this.familles.every((f) => choix.includes(f.code));
    modifier({ categories: toutes ? "" : choix.join(",") });
  }

  lieu() {
    this.choixCommune = h(
      "select",
      { id: "filtre-commune", onchange: (ev) => modifier({ commune: ev.target.value }) },
      h("option", { value: "" }, "Toutes les communes"),
      this.communes.map((c) => h("option", { value: c.code }, `${c.name} (${c.code})`)),
    );
    this.choixQpv = h("select", { id: "filtre-qpv", onchange: (ev) => modifier({ qpv: ev.target.value }) });
    this.generations = ["2024", "2015"].map((g) =>
      h("input", {
        type: "radio",
        name: "generation",
        value: g,
        onchange: () => {
          const e = etatCourant();
          // Un code de QPV appartient à sa géographie : on le laisse en changeant de géographie.
          const qpv = ["in", "out", ""].includes(e.qpv) ? e.qpv : "";
          modifier({ generation: g, qpv });
        },
      }),
    );
    return h(
      "fieldset",
      {},
      h("legend", {}, "Lieu"),
      h("label", { for: "filtre-commune" }, "Commune"),
      this.choixCommune,
      h(
        "div",
        { class: "ligne", role: "radiogroup", "aria-label": "Géographie prioritaire" },
        "QPV :",
        // La diffusion aux partenaires est faite sur la géographie prioritaire 2024.
        this.generations
          .filter((radio) => !this.partenaire || radio.value === "2024")
          .map((radio) => h("label", {}, radio, ` géographie ${radio.value}`)),
      ),
      h("label", { for: "filtre-qpv" }, "Quartiers prioritaires"),
      this.choixQpv,
      this.partenaire ? null : this.casePrecision(),
    );
  }

  /** Sans les faits que le géocodeur n'a placés qu'à la rue ou au lieu-dit (filtre precision). */
  casePrecision() {
    this.choixPrecision = h("input", {
      type: "checkbox",
      id: "filtre-precision",
      onchange: (ev) => modifier({ precision: ev.target.checked ? "housenumber" : "" }),
    });
    return h(
      "div",
      { class: "ligne" },
      h("label", { for: "filtre-precision", title: "Garde les faits aux coordonnées du fichier et ceux géocodés au numéro" }, this.choixPrecision, " Exclure les faits placés à la rue"),
    );
  }

  async remplirQpv(generation, choisi) {
    if (this.qpvAffiches === generation) {
      this.choixQpv.value = choisi;
      return;
    }
    const liste = await qpvs(generation);
    const noms = liste.features.map((f) => f.properties).sort((a, b) => a.name.localeCompare(b.name, "fr"));
    remplir(
      this.choixQpv,
      h("option", { value: "" }, "Partout"),
      h("option", { value: "in" }, "Dans les QPV"),
      h("option", { value: "out" }, "Hors QPV"),
      h("optgroup", { label: `Un QPV (géographie ${generation})` }, noms.map((q) => h("option", { value: q.code }, `${q.name} (${q.code})`))),
    );
    this.qpvAffiches = generation;
    this.choixQpv.value = choisi;
  }

  affichage() {
    this.choixResolution = h(
      "select",
      { id: "filtre-res", onchange: (ev) => modifier({ res: ev.target.value }) },
      Object.entries(RESOLUTIONS)
        .filter(([r]) => Number(r) <= resolutionMax())
        .map(([r, libelle]) => h("option", { value: r }, libelle)),
    );
    this.choixMethode = h(
      "select",
      { id: "filtre-classes", onchange: (ev) => modifier({ classes: ev.target.value }) },
      Object.entries(METHODES).map(([code, libelle]) => h("option", { value: code }, libelle[0].toUpperCase() + libelle.slice(1))),
    );
    return h(
      "fieldset",
      {},
      h("legend", {}, "Hexagones"),
      h("label", { for: "filtre-res" }, "Taille (résolution H3)"),
      this.choixResolution,
      h("label", { for: "filtre-classes" }, "Classes"),
      this.choixMethode,
    );
  }

  reinitialiser() {
    const valeurs = {};
    const d = defauts();
    for (const champ of [...FILTRES, "res", "classes"]) valeurs[champ] = d[champ];
    modifier(valeurs);
  }

  async copierLien() {
    const message = this.form.querySelector("#lien-copie");
    try {
      await navigator.clipboard.writeText(location.href);
      message.textContent = "Lien copié : il rouvre la carte avec ces filtres.";
    } catch {
      message.textContent = `Lien à copier : ${location.href}`;
    }
  }

  /** Met les contrôles à l'image de l'état (chargement, retour arrière, clic dans un panneau). */
  synchroniser(e, dernierJour) {
    this.dernierJour = dernierJour;
    this.avance.synchroniser(e);
    for (const radio of this.form.querySelectorAll('input[name="periode"]')) radio.checked = radio.value === e.periode;
    const { from, to } = bornes(e, dernierJour);
    if (this.partenaire) {
      // Sans borne (toute la période) : les listes montrent le premier et le dernier mois publiés.
      this.form.elements.from.value = from.slice(0, 7) || this.moisPublies?.[0] || "";
      this.form.elements.to.value = to.slice(0, 7) || this.moisPublies?.at(-1) || "";
    } else {
      this.form.elements.from.value = from;
      this.form.elements.to.value = to;
    }
    this.textePeriode.textContent = `Filtre : ${textePeriode(e, dernierJour)}.`;
    if (!this.partenaire) this.synchroniserHeures(e);

    const choisies = new Set((e.categories || "").split(",").filter(Boolean));
    for (const famille of this.familles) {
      const toute = choisies.has(famille.code);
      let n = 0;
      for (const c of famille.categories) {
        const coche = toute || choisies.has(c.code);
        this.casesCategories.get(c.code).checked = coche;
        if (coche) n += 1;
      }
      const caseFamille = this.casesFamilles.get(famille.code);
      caseFamille.checked = n === famille.categories.length;
      caseFamille.indeterminate = n > 0 && n < famille.categories.length;
    }

    this.choixCommune.value = e.commune;
    for (const radio of this.generations) radio.checked = radio.value === e.generation;
    this.remplirQpv(e.generation, e.qpv).catch(() => {});
    if (this.choixPrecision) this.choixPrecision.checked = e.precision === "housenumber";
    this.choixResolution.value = e.res;
    this.choixMethode.value = e.classes;
  }

  synchroniserHeures(e) {
    for (const bouton of this.boutonsHeures) bouton.setAttribute("aria-pressed", String(bouton.dataset.heures === e.hours));
    const plage = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(e.hours);
    this.heureDe.value = plage ? plage[1] : "";
    this.heureA.value = plage ? plage[2] || String(Number(plage[1]) + 1) : "";
    const jours = joursDe(e.weekdays);
    for (const caseJour of this.casesJours) caseJour.checked = jours.size === 0 || jours.has(Number(caseJour.value));
    const joursTexte = [...jours].sort().join(",");
    for (const bouton of this.boutonsJours) bouton.setAttribute("aria-pressed", String(bouton.dataset.jours === joursTexte));
  }
}
