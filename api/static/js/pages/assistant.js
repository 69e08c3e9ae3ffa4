// L'assistant de correspondance (administrateur) : après un import aux colonnes introuvables ou
// aux libellés inconnus, il les liste, laisse choisir, enregistre le choix sous un nom et relance
// les lignes rejetées du lot (ou, pour un fichier refusé en entier, fait téléverser de nouveau).

import { adresse, annulee, api } from "../api.js";
import { erreur, h, nombre, remplir } from "../dom.js";

const CHAMPS = {
  date: "Date des faits",
  category: "Catégorie (nature du fait)",
  place: "Lieu",
};
const LIEUX = {
  address: ["Adresse", ["address"]],
  xy: ["X et Y (Lambert 93 ou autre projection)", ["x", "y"]],
  lonlat: ["Longitude et latitude", ["lon", "lat"]],
};

/** Vrai quand un lot laisse quelque chose à l'assistant (colonnes introuvables, libellés inconnus). */
export function aAssister(lot) {
  const d = lot.details || {};
  if (lot.kind !== "incidents") return false;
  if (lot.status === "failed") return Array.isArray(d.missing_fields) && d.missing_fields.length > 0;
  return lot.status === "succeeded" && d.unknown_categories && Object.keys(d.unknown_categories).length > 0;
}

export class Assistant {
  constructor(el, lot, { quandEnregistree, quandRelance }) {
    this.el = el;
    this.lot = lot;
    this.quandEnregistree = quandEnregistree;
    this.quandRelance = quandRelance;
  }

  async montrer() {
    try {
      const [vue, categories] = await Promise.all([api(`/imports/${this.lot.batch_id}/assistant`), api("/categories")]);
      this.vue = vue;
      this.categories = categories;
      this.dessiner();
    } catch (e) {
      if (!annulee(e)) erreur(this.el, e.detail);
    }
  }

  dessiner() {
    const vue = this.vue;
    if (!vue.missing_fields.length && !vue.unknown_labels.length) {
      remplir(this.el, h("h3", {}, "Assistant de correspondance"), h("p", { class: "aide" }, "Plus rien à relancer dans ce lot : ses libellés inconnus ont été relancés dans un autre lot."));
      return;
    }
    this.colonnes = {};
    this.libelles = new Map();
    const nom = h("input", { type: "text", id: "assistant-nom", required: true, maxlength: 80, value: vue.mapping || nomPropose(this.lot.file_name) });
    const message = h("div", { id: "assistant-resultat", role: "status", "aria-live": "polite" });
    const refuse = vue.missing_fields.length > 0;
    const bouton = h("button", { type: "submit", class: "principal", id: "assistant-enregistrer" }, refuse ? "Enregistrer la correspondance" : `Enregistrer et relancer ${nombre(vue.rerunnable)} ligne${vue.rerunnable > 1 ? "s" : ""}`);
    const form = h(
      "form",
      { id: "form-assistant", class: "assistant" },
      refuse ? this.partieColonnes() : this.partieLibelles(),
      h(
        "div",
        { class: "formulaire" },
        h("div", { class: "champ" }, h("label", { for: "assistant-nom" }, "Nom de la correspondance"), nom),
        bouton,
      ),
      message,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      bouton.disabled = true;
      // Une fois les lignes relancées, il n'y a plus rien à relancer depuis ce lot.
      bouton.disabled = await this.enregistrer(nom.value.trim(), message, refuse);
    });
    remplir(
      this.el,
      h("h3", { id: "titre-assistant" }, "Assistant de correspondance"),
      h(
        "p",
        { class: "aide" },
        refuse
          ? "Le fichier a été refusé : ces champs n'ont été trouvés dans aucune colonne. Indiquez la colonne qui les contient ; le choix est enregistré sous un nom, réutilisable au prochain import (et en ligne de commande : --mapping NOM)."
          : "Ces libellés de catégorie ne sont pas dans la nomenclature. Choisissez pour chacun une catégorie (les trois plus proches d'abord) ; le choix est enregistré sous un nom, puis les lignes rejetées sont importées de nouveau dans un nouveau lot.",
      ),
      vue.advice ? h("p", { class: "aide" }, vue.advice) : null,
      form,
    );
  }

  partieColonnes() {
    const options = (choisie) => [h("option", { value: "" }, "— choisir une colonne —"), this.vue.header.map((c) => h("option", { value: c, selected: c === choisie }, c))];
    const lignes = this.vue.missing_fields.map((champ) => {
      if (champ !== "place") {
        const cible = champ === "date" ? "datetime" : "category";
        const select = h("select", { id: `assistant-colonne-${champ}`, dataset: { champ: cible } }, options());
        select.addEventListener("change", () => (this.colonnes[cible] = select.value));
        return h("tr", {}, h("th", { scope: "row", class: "texte" }, CHAMPS[champ]), h("td", { class: "texte" }, h("label", { class: "visuellement-cache", for: select.id }, `Colonne de ${CHAMPS[champ]}`), select));
      }
      const genre = h("select", { id: "assistant-lieu-genre", "aria-label": "Forme du lieu" }, Object.entries(LIEUX).map(([v, [t]]) => h("option", { value: v }, t)));
      const premiere = h("select", { id: "assistant-colonne-lieu-1", "aria-label": "Colonne du lieu" }, options());
      const seconde = h("select", { id: "assistant-colonne-lieu-2", "aria-label": "Seconde colonne du lieu", hidden: true }, options());
      const majLieu = () => {
        const cibles = LIEUX[genre.value][1];
        seconde.hidden = cibles.length < 2;
        for (const liste of Object.values(LIEUX)) for (const c of liste[1]) delete this.colonnes[c];
        if (premiere.value) this.colonnes[cibles[0]] = premiere.value;
        if (cibles[1] && seconde.value) this.colonnes[cibles[1]] = seconde.value;
      };
      for (const s of [genre, premiere, seconde]) s.addEventListener("change", majLieu);
      return h("tr", {}, h("th", { scope: "row", class: "texte" }, CHAMPS.place), h("td", { class: "texte" }, h("div", { class: "formulaire" }, genre, premiere, seconde)));
    });
    return h(
      "div",
      { class: "defilement" },
      h(
        "table",
        { id: "assistant-colonnes" },
        h("caption", {}, `Colonnes lues dans le fichier : ${this.vue.header.join(", ")}`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "texte" }, "Champ introuvable"), h("th", { scope: "col", class: "texte" }, "Colonne du fichier"))),
        h("tbody", {}, lignes),
      ),
    );
  }

  partieLibelles() {
    const lignes = this.vue.unknown_labels.map((inconnu, i) => {
      const proches = new Set(inconnu.suggestions.map((s) => s.code));
      const select = h(
        "select",
        { id: `assistant-libelle-${i}`, dataset: { libelle: inconnu.label } },
        h("option", { value: "" }, "— laisser rejeté —"),
        inconnu.suggestions.length ? h("optgroup", { label: "Les plus proches" }, inconnu.suggestions.map((s) => h("option", { value: s.code }, s.label))) : null,
        h("optgroup", { label: "Toutes les catégories" }, this.categories.filter((c) => !proches.has(c.code)).map((c) => h("option", { value: c.code }, c.label))),
      );
      select.addEventListener("change", () => {
        if (select.value) this.libelles.set(inconnu.label, select.value);
        else this.libelles.delete(inconnu.label);
      });
      return h(
        "tr",
        {},
        h("th", { scope: "row", class: "texte" }, inconnu.label),
        h("td", {}, nombre(inconnu.rows)),
        h("td", { class: "texte" }, h("label", { class: "visuellement-cache", for: select.id }, `Catégorie de « ${inconnu.label} »`), select),
      );
    });
    return h(
      "div",
      { class: "defilement" },
      h(
        "table",
        { id: "assistant-libelles" },
        h("caption", {}, `${nombre(this.vue.unknown_labels.length)} libellé${this.vue.unknown_labels.length > 1 ? "s" : ""} inconnu${this.vue.unknown_labels.length > 1 ? "s" : ""}, du plus fréquent au moins fréquent.`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "texte" }, "Libellé du fichier"), h("th", { scope: "col" }, "Lignes"), h("th", { scope: "col", class: "texte" }, "Catégorie"))),
        h("tbody", {}, lignes),
      ),
    );
  }

  async enregistrer(nom, message, refuse) {
    if (!nom) {
      erreur(message, "Donnez un nom à la correspondance.");
      return false;
    }
    if (refuse && this.vue.missing_fields.some((c) => !choisi(c, this.colonnes))) {
      erreur(message, "Choisissez une colonne pour chaque champ introuvable.");
      return false;
    }
    if (!refuse && !this.libelles.size) {
      erreur(message, "Choisissez une catégorie pour au moins un libellé.");
      return false;
    }
    try {
      // La correspondance de ce nom, si elle existe, garde ce qu'elle avait : on y ajoute le choix.
      const existante = await api(`/mappings/${encodeURIComponent(nom)}`).catch((e) => {
        if (e.statut === 404) return null;
        throw e;
      });
      const document = structuredClone(existante ? existante.document : {});
      if (refuse) document.columns = { ...(document.columns || {}), ...this.colonnes };
      else document.categories = { ...(document.categories || {}), ...Object.fromEntries(this.libelles) };
      const corps = new Blob([JSON.stringify({ document })], { type: "application/json" });
      await api(`/mappings/${encodeURIComponent(nom)}`, { methode: "PUT", corps });
      this.quandEnregistree(nom);
      const exporter = h("button", { type: "button", id: "assistant-exporter", onclick: () => telechargerToml(nom, message) }, "Exporter en TOML");
      if (refuse) {
        remplir(
          message,
          h("p", { class: "ok" }, `Correspondance « ${nom} » enregistrée.`),
          h("p", { id: "assistant-televerser" }, `Le fichier refusé n'a pas été conservé : téléversez-le de nouveau avec le formulaire « Importer un fichier » ci-dessus, où la correspondance « ${nom} » est déjà choisie.`),
          exporter,
        );
        return false;
      }
      remplir(message, h("p", {}, `Correspondance « ${nom} » enregistrée ; relance des lignes rejetées…`));
      const corpsRelance = new Blob([JSON.stringify({ mapping: nom })], { type: "application/json" });
      const nouveau = await api(`/imports/${this.lot.batch_id}/remap`, { methode: "POST", corps: corpsRelance });
      remplir(
        message,
        h("p", { class: "ok" }, `Correspondance « ${nom} » enregistrée. Lignes relancées dans le lot ${nouveau.batch_id} : ${nombre(nouveau.rows_imported)} importée${nouveau.rows_imported > 1 ? "s" : ""}, ${nombre(nouveau.rows_duplicate)} doublon${nouveau.rows_duplicate > 1 ? "s" : ""}, ${nombre(nouveau.rows_rejected)} rejetée${nouveau.rows_rejected > 1 ? "s" : ""}.`),
        exporter,
      );
      await this.quandRelance(nouveau);
      return true;
    } catch (e) {
      if (!annulee(e)) erreur(message, e.detail);
      return false;
    }
  }
}

function choisi(champ, colonnes) {
  if (champ === "date") return Boolean(colonnes.datetime);
  if (champ === "category") return Boolean(colonnes.category);
  return Boolean(colonnes.address || (colonnes.x && colonnes.y) || (colonnes.lon && colonnes.lat));
}

/** Un nom proposé d'après le fichier : « export_pm_2024.csv » donne « export_pm_2024 ». */
function nomPropose(fichier) {
  const base = (fichier || "").replace(/ \(relance du lot \d+\)$/, "").replace(/\.[^.]+$/, "");
  const propre = base.replace(/[^\p{L}\p{N} ._()-]/gu, "_").replace(/^[^\p{L}\p{N}_]+/u, "").slice(0, 80);
  return propre || "correspondance";
}

/** Télécharge le fichier TOML d'une correspondance (avec le cookie de session). */
async function telechargerToml(nom, message) {
  try {
    const reponse = await fetch(adresse(`/mappings/${encodeURIComponent(nom)}/toml`), { credentials: "same-origin" });
    if (!reponse.ok) throw new Error(`Export impossible (réponse ${reponse.status}).`);
    const lien = h("a", { href: URL.createObjectURL(await reponse.blob()), download: `${nom}.toml` });
    document.body.append(lien);
    lien.click();
    lien.remove();
    setTimeout(() => URL.revokeObjectURL(lien.href), 10_000);
  } catch (e) {
    erreur(message, e.message);
  }
}
