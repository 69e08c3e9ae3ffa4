// Les imports : les lots, leurs comptes et leurs lignes rejetées ; le téléversement (administrateur).

import { annulee, api } from "../api.js";
import { erreur, h, instant, nombre, remplir } from "../dom.js";
import { aAssister, Assistant } from "./assistant.js";

const ETATS = { succeeded: "terminé", failed: "échoué", running: "en cours" };
const GENRES = { incidents: "faits", qpv: "QPV", communes: "communes", etat4001: "état 4001" };
const PAGE = 50;
// Les rejets qu'un regéocodage reprend (ingest/incidents/geocoding.py, RERUN_PREFIXES).
const A_REGEOCODER = ["non géolocalisé", "adresse introuvable"];

export class PageImports {
  constructor(section, { role, quandImport }) {
    this.section = section;
    this.role = role;
    this.quandImport = quandImport;
    this.liste = section.querySelector("#liste-lots");
    this.detail = section.querySelector("#detail-lot");
    this.lots = [];
    this.choisi = null;
    if (role === "admin") this.formulaire(section.querySelector("#televersement"));
  }

  async montrer() {
    await Promise.all([this.chargerListe(), this.chargerCorrespondances()]);
  }

  /** Les correspondances enregistrées, dans le formulaire (``choisie`` : celle à présélectionner). */
  async chargerCorrespondances(choisie = null) {
    if (!this.correspondance) return;
    try {
      const liste = await api("/mappings");
      const actuelle = choisie ?? this.correspondance.value;
      remplir(
        this.correspondance,
        h("option", { value: "" }, "aucune"),
        liste.map((m) => h("option", { value: m.name, selected: m.name === actuelle }, m.name)),
      );
      if (choisie) this.profil.value = "";
    } catch (e) {
      if (!annulee(e)) erreur(this.correspondance.parentElement, e.detail);
    }
  }

  formulaire(panneau) {
    panneau.hidden = false;
    const genre = h(
      "select",
      { id: "import-genre", name: "kind" },
      Object.entries({ incidents: "Faits (export de main courante, CSV, XLSX…)", qpv: "Contours de QPV", communes: "Contours de communes", etat4001: "État 4001" }).map(([v, t]) => h("option", { value: v }, t)),
    );
    const profil = h("select", { id: "import-profil", name: "profile" }, h("option", { value: "" }, "municipal (par défaut)"), h("option", { value: "police-uk" }, "police-uk"));
    const source = h("input", { type: "text", id: "import-source", name: "source", placeholder: "ex. main-courante" });
    const correspondance = h("select", { id: "import-correspondance", name: "mapping" }, h("option", { value: "" }, "aucune"));
    this.correspondance = correspondance;
    this.profil = profil;
    const generation = h("select", { id: "import-generation", name: "generation" }, h("option", { value: "" }, "lue dans les codes"), h("option", { value: "2024" }, "2024"), h("option", { value: "2015" }, "2015"));
    const fichier = h("input", { type: "file", id: "import-fichier", name: "file", required: true });
    const message = h("div", { id: "import-resultat", role: "status", "aria-live": "polite" });
    const bouton = h("button", { type: "submit", class: "principal" }, "Importer");
    const champsFaits = [
      h("div", { class: "champ" }, h("label", { for: "import-profil" }, "Profil"), profil),
      h("div", { class: "champ" }, h("label", { for: "import-correspondance" }, "Correspondance enregistrée"), correspondance),
      h("div", { class: "champ" }, h("label", { for: "import-source" }, "Source (facultatif)"), source),
    ];
    const champQpv = h("div", { class: "champ", hidden: true }, h("label", { for: "import-generation" }, "Géographie"), generation);
    genre.addEventListener("change", () => {
      for (const c of champsFaits) c.hidden = genre.value !== "incidents";
      champQpv.hidden = genre.value !== "qpv";
    });
    const form = h(
      "form",
      { class: "formulaire", id: "form-import" },
      h("div", { class: "champ" }, h("label", { for: "import-fichier" }, "Fichier"), fichier),
      h("div", { class: "champ" }, h("label", { for: "import-genre" }, "Contenu"), genre),
      champsFaits,
      champQpv,
      bouton,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!fichier.files.length) {
        erreur(message, "Choisissez un fichier à importer.");
        fichier.focus();
        return;
      }
      const donnees = new FormData();
      donnees.append("file", fichier.files[0]);
      donnees.append("kind", genre.value);
      if (genre.value === "incidents" && correspondance.value) donnees.append("mapping", correspondance.value);
      else if (genre.value === "incidents" && profil.value) donnees.append("profile", profil.value);
      if (genre.value === "incidents" && source.value.trim()) donnees.append("source", source.value.trim());
      if (genre.value === "qpv" && generation.value) donnees.append("generation", generation.value);
      bouton.disabled = true;
      remplir(message, h("p", {}, `Import de ${fichier.files[0].name} en cours…`));
      try {
        const lot = await api("/imports", { methode: "POST", corps: donnees });
        remplir(message, h("p", { class: "ok" }, `Lot ${lot.batch_id} : ${resumeLot(lot)}.`));
        form.reset();
        genre.dispatchEvent(new Event("change"));
        await this.chargerCorrespondances("");
        this.quandImport();
        await this.chargerListe();
        await this.montrerLot(lot.batch_id);
      } catch (e) {
        if (!annulee(e)) erreur(message, e.detail);
        await this.chargerListe().catch(() => {});
        // Le lot refusé s'affiche : l'assistant y propose de choisir les colonnes introuvables.
        if (genre.value === "incidents" && this.lots[0]?.status === "failed") await this.montrerLot(this.lots[0].batch_id);
      } finally {
        bouton.disabled = false;
      }
    });
    remplir(
      panneau.querySelector(".contenu"),
      h("p", { class: "aide" }, "Faits : CSV (séparateur et encodage reconnus), XLSX, GeoJSON, GeoPackage ; colonnes reconnues par leur nom usuel. Un même fichier importé deux fois n'ajoute rien."),
      form,
      message,
    );
  }

  async chargerListe(offset = 0) {
    try {
      const page = await api("/imports", { parametres: { limit: PAGE, offset } });
      this.lots = offset ? [...this.lots, ...page.items] : page.items;
      this.total = page.total;
      this.dessinerListe();
    } catch (e) {
      if (!annulee(e)) erreur(this.liste, e.detail);
    }
  }

  dessinerListe() {
    if (!this.lots.length) {
      remplir(this.liste, h("p", {}, "Aucun import pour l'instant."));
      return;
    }
    const colonnes = ["Lot", "Contenu", "Fichier", "État", "Lues", "Importées", "Doublons", "Rejetées", "Début", "Par"];
    const textes = new Set(["Contenu", "Fichier", "État", "Début", "Par"]);
    remplir(
      this.liste,
      h(
        "div",
        { class: "defilement" },
        h(
          "table",
          { id: "table-lots" },
          h("caption", {}, `${nombre(this.total)} lots, du plus récent au plus ancien. Lignes lues = importées + doublons + rejetées.`),
          h("thead", {}, h("tr", {}, colonnes.map((c) => h("th", { scope: "col", class: textes.has(c) || c === "Lot" ? "texte" : null }, c)))),
          h(
            "tbody",
            {},
            this.lots.map((lot) =>
              h(
                "tr",
                { class: lot.batch_id === this.choisi ? "choisi" : null, dataset: { lot: String(lot.batch_id) } },
                h(
                  "td",
                  { class: "texte" },
                  h("button", { type: "button", onclick: () => this.montrerLot(lot.batch_id, true), "aria-label": `Détail du lot ${lot.batch_id}`, title: "Voir le détail" }, String(lot.batch_id)),
                ),
                h("td", { class: "texte" }, GENRES[lot.kind] || lot.kind),
                h("td", { class: "texte" }, lot.file_name),
                h("td", { class: `texte etat-${lot.status}` }, ETATS[lot.status] || lot.status),
                h("td", {}, nombre(lot.rows_read)),
                h("td", {}, nombre(lot.rows_imported)),
                h("td", {}, nombre(lot.rows_duplicate)),
                h("td", {}, nombre(lot.rows_rejected)),
                h("td", { class: "texte" }, instant(lot.started_at)),
                h("td", { class: "texte" }, lot.run_by || "—"),
              ),
            ),
          ),
        ),
      ),
      this.lots.length < this.total
        ? h("button", { type: "button", onclick: () => this.chargerListe(this.lots.length) }, "Lots plus anciens")
        : null,
    );
  }

  async montrerLot(id, focaliser = false) {
    this.choisi = id;
    this.dessinerListe();
    const contenu = this.detail.querySelector(".contenu");
    this.detail.hidden = false;
    const titre = this.detail.querySelector("h2");
    titre.textContent = `Lot ${id}`;
    if (focaliser) {
      // Au clavier, le détail s'ouvre sous la liste : on y emmène le focus.
      titre.setAttribute("tabindex", "-1");
      titre.focus();
    }
    try {
      const lot = await api(`/imports/${id}`);
      const champs = [
        ["Contenu", GENRES[lot.kind] || lot.kind],
        ["Fichier", lot.file_name],
        ["État", ETATS[lot.status] || lot.status],
        ["Comptes", resumeLot(lot)],
        ["Début", instant(lot.started_at)],
        ["Fin", instant(lot.finished_at)],
        ["Lancé par", lot.run_by || "—"],
        ["Message", lot.message || "—"],
      ];
      if (lot.details && lot.details.regeocode_of) champs.push(["Regéocodage du lot", String(lot.details.regeocode_of)]);
      if (lot.details && lot.details.regeocoded_by) champs.push(["Rejets relancés dans", lot.details.regeocoded_by.map((n) => `lot ${n}`).join(", ")]);
      if (lot.details?.rerun_of) champs.push(["Relance du lot", String(lot.details.rerun_of)]);
      if (lot.details?.mapping) champs.push(["Correspondance", lot.details.mapping]);
      if (lot.details?.rerun_by) champs.push(["Libellés relancés dans", lot.details.rerun_by.map((n) => `lot ${n}`).join(", ")]);
      remplir(contenu, h("dl", {}, champs.map(([t, d]) => [h("dt", {}, t), h("dd", {}, d)])), h("div", { id: "assistant" }), h("div", { id: "rejets" }));
      if (this.role === "admin" && aAssister(lot)) {
        const assistant = new Assistant(contenu.querySelector("#assistant"), lot, {
          quandEnregistree: (nom) => this.chargerCorrespondances(lot.status === "failed" ? nom : null),
          quandRelance: async () => {
            this.quandImport();
            await this.chargerListe();
            await this.rejets(id, contenu.querySelector("#rejets"), lot);
          },
        });
        await assistant.montrer();
      }
      if (lot.rows_rejected > 0) await this.rejets(id, contenu.querySelector("#rejets"), lot);
    } catch (e) {
      if (!annulee(e)) erreur(contenu, e.detail);
    }
  }

  async rejets(id, el, lot) {
    if (!["admin", "police"].includes(this.role)) {
      remplir(el, h("p", { class: "aide" }, "Les lignes rejetées contiennent des données individuelles : elles sont réservées aux rôles police et administrateur."));
      return;
    }
    try {
      const page = await api(`/imports/${id}/rejects`, { parametres: { limit: 100 } });
      remplir(
        el,
        h("h3", {}, `Lignes rejetées (${nombre(page.total)})`),
        this.boutonRegeocoder(lot, page),
        h(
          "div",
          { class: "defilement" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Ligne"), h("th", { scope: "col", class: "texte" }, "Raison"), h("th", { scope: "col", class: "texte" }, "Valeurs lues"))),
            h(
              "tbody",
              {},
              page.items.map((r) =>
                h(
                  "tr",
                  {},
                  h("td", {}, String(r.row_number)),
                  h("td", { class: "texte" }, r.reason, r.rerun_batch_id ? h("span", { class: "aide" }, ` (relancée dans le lot ${r.rerun_batch_id})`) : null),
                  h("td", { class: "texte" }, brut(r.raw)),
                ),
              ),
            ),
          ),
        ),
        page.total > page.items.length ? h("p", { class: "aide" }, `… et ${nombre(page.total - page.items.length)} autres (« observatory imports show ${id} --rejects N »).`) : null,
      );
    } catch (e) {
      if (!annulee(e)) erreur(el, e.detail);
    }
  }

  boutonRegeocoder(lot, page) {
    if (this.role !== "admin" || lot.kind !== "incidents" || lot.status !== "succeeded") return null;
    const reprenables = page.items.some((r) => !r.rerun_batch_id && A_REGEOCODER.some((d) => r.reason.startsWith(d)));
    if (!reprenables && page.total <= page.items.length) return null;
    const message = h("div", { id: "regeocodage-resultat", role: "status", "aria-live": "polite" });
    const bouton = h("button", { type: "button", id: "bouton-regeocoder" }, "Regéocoder les adresses rejetées");
    bouton.addEventListener("click", async () => {
      bouton.disabled = true;
      remplir(message, h("p", {}, "Regéocodage en cours…"));
      try {
        const nouveau = await api(`/imports/${lot.batch_id}/regeocode`, { methode: "POST" });
        remplir(message, h("p", { class: "ok" }, `Lot ${nouveau.batch_id} : ${resumeLot(nouveau)}.`));
        this.quandImport();
        await this.chargerListe();
        await this.montrerLot(nouveau.batch_id);
      } catch (e) {
        if (!annulee(e)) erreur(message, e.detail);
        bouton.disabled = false;
      }
    });
    return h(
      "div",
      { class: "regeocodage" },
      h("p", { class: "aide" }, "Une fois le géocodeur démarré et les adresses de la BAN chargées, les lignes « non géolocalisé » et « adresse introuvable » de ce lot peuvent être importées de nouveau, en un nouveau lot."),
      bouton,
      message,
    );
  }
}

function brut(raw) {
  if (raw === null || raw === undefined) return "—";
  if (typeof raw === "string") return raw;
  return Object.entries(raw).map(([k, v]) => `${k} = ${v}`).join(" ; ");
}

function resumeLot(lot) {
  const s = (n) => (n > 1 ? "s" : "");
  const n = (v) => nombre(v);
  return `${n(lot.rows_read)} ligne${s(lot.rows_read)} lue${s(lot.rows_read)}, ${n(lot.rows_imported)} importée${s(lot.rows_imported)}, ${n(lot.rows_duplicate)} doublon${s(lot.rows_duplicate)}, ${n(lot.rows_rejected)} rejetée${s(lot.rows_rejected)}`;
}
