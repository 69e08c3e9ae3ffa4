// L'administration : les comptes (ouvrir, modifier, désactiver, réinitialiser le mot de passe ou
// la double authentification), les groupes de communes, et le journal des connexions et des
// changements. Tout texte venu du serveur entre comme texte (dom.js).

import { annulee, api } from "../api.js";
import { erreur, h, instant, remplir } from "../dom.js";
import { NOMS_ROLES, nomRole } from "../roles.js";

/** Le choix d'une portée : toutes les communes, ou des communes et des groupes cochés. */
class ChoixPortee {
  constructor(prefixe, communes, groupes) {
    this.toutes = h("input", { type: "checkbox", id: `${prefixe}-toutes`, checked: true });
    this.cases = communes.map((c) => h("input", { type: "checkbox", value: c.code, id: `${prefixe}-c-${c.code}` }));
    this.groupes = groupes.map((g) => h("input", { type: "checkbox", value: g.name, id: `${prefixe}-g-${g.name}` }));
    const liste = (cases, libelles) => h("div", { class: "cases" }, cases.map((c, i) => h("label", { for: c.id }, c, ` ${libelles[i]}`)));
    this.detail = h("div", { class: "portee-detail" },
      h("p", { class: "aide" }, "Communes :"), liste(this.cases, communes.map((c) => `${c.name} (${c.code})`)),
      groupes.length ? [h("p", { class: "aide" }, "Groupes :"), liste(this.groupes, groupes.map((g) => g.label || g.name))] : null);
    this.toutes.addEventListener("change", () => this.afficher());
    this.element = h("fieldset", { class: "portee" }, h("legend", {}, "Communes vues"),
      h("label", { for: this.toutes.id }, this.toutes, " Toutes les communes"), this.detail);
    this.afficher();
  }

  afficher() {
    this.detail.hidden = this.toutes.checked;
  }

  regler(communes, groupes) {
    this.toutes.checked = communes === null && !(groupes || []).length;
    for (const c of this.cases) c.checked = (communes || []).includes(c.value);
    for (const g of this.groupes) g.checked = (groupes || []).includes(g.value);
    this.afficher();
  }

  valeur() {
    if (this.toutes.checked) return { communes: null, groups: [] };
    const coches = (cases) => cases.filter((c) => c.checked).map((c) => c.value);
    return { communes: coches(this.cases), groups: coches(this.groupes) };
  }
}

function choixRole(id, actuel = "analyst") {
  return h("select", { id }, Object.entries(NOMS_ROLES).map(([code, nom]) => h("option", { value: code, selected: code === actuel }, nom)));
}

export class PageAdmin {
  constructor(section, { communes }) {
    this.section = section;
    this.communes = communes.features.map((f) => ({ code: f.properties.code, name: f.properties.name }));
    this.groupes = [];
    this.comptes = [];
    this.zone = (id) => section.querySelector(`#${id} .contenu`);
  }

  async montrer() {
    await this.chargerGroupes();
    await Promise.all([this.chargerComptes(), this.journal()]);
    this.formulaireCompte();
    this.formulaireGroupe();
  }

  async chargerGroupes() {
    try {
      this.groupes = await api("/admin/groups");
    } catch (e) {
      if (!annulee(e)) erreur(this.zone("admin-groupes"), e.detail);
      this.groupes = [];
    }
  }

  async chargerComptes() {
    const zone = this.zone("admin-comptes");
    try {
      this.comptes = await api("/admin/accounts");
    } catch (e) {
      if (!annulee(e)) erreur(zone, e.detail);
      return;
    }
    this.message = h("div", { id: "admin-message", role: "status", "aria-live": "polite" });
    remplir(zone, h("div", { class: "defilant" }, h("table", { class: "tableau gauche", id: "table-comptes" },
      h("thead", {}, h("tr", {}, ["Adresse", "Rôle", "Communes", "2FA", "Dernière connexion", "État", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, this.comptes.map((c) => this.ligneCompte(c))),
    )), this.message, h("div", { id: "admin-edition" }));
  }

  ligneCompte(c) {
    const bouton = (texte, action) => h("button", { type: "button", onclick: () => action(c) }, texte);
    return h("tr", { dataset: { courriel: c.email } },
      h("td", {}, c.email),
      h("td", {}, c.role_label || nomRole(c.role)),
      h("td", {}, c.scope_label || (c.communes ? c.communes.join(", ") : "toutes")),
      h("td", {}, c.totp_enabled ? "oui" : "non"),
      h("td", {}, instant(c.last_sign_in_at || c.last_login_at)),
      h("td", {}, c.disabled ? "désactivé" : "actif"),
      h("td", { class: "actions" },
        bouton("Modifier", (x) => this.editer(x)),
        bouton(c.disabled ? "Réactiver" : "Désactiver", (x) => this.changer(x, { disabled: !x.disabled })),
        bouton("Nouveau mot de passe", (x) => this.nouveauMotDePasse(x)),
        c.totp_enabled ? bouton("Réinitialiser la 2FA", (x) => this.reinitialiserTotp(x)) : null),
    );
  }

  async changer(compte, changements) {
    try {
      await api(`/admin/accounts/${compte.id}`, { methode: "PUT", json: changements });
      await Promise.all([this.chargerComptes(), this.journal()]);
      remplir(this.message, h("p", { class: "ok" }, `Compte ${compte.email} enregistré.`));
    } catch (e) {
      if (!annulee(e)) erreur(this.message, e.detail);
    }
  }

  async nouveauMotDePasse(compte) {
    if (!window.confirm(`Remplacer le mot de passe de ${compte.email} par un mot de passe provisoire ?`)) return;
    try {
      const r = await api(`/admin/accounts/${compte.id}/reset-password`, { methode: "POST" });
      remplir(this.message, h("p", {}, `Mot de passe provisoire de ${compte.email}, montré cette fois seulement : `,
        h("code", { class: "secret", id: "mot-de-passe-provisoire" }, r.temporary_password)));
    } catch (e) {
      if (!annulee(e)) erreur(this.message, e.detail);
    }
  }

  async reinitialiserTotp(compte) {
    if (!window.confirm(`Réinitialiser la double authentification de ${compte.email} ? Il devra l'activer de nouveau.`)) return;
    try {
      await api(`/admin/accounts/${compte.id}/reset-totp`, { methode: "POST" });
      await Promise.all([this.chargerComptes(), this.journal()]);
      remplir(this.message, h("p", { class: "ok" }, `Double authentification de ${compte.email} réinitialisée.`));
    } catch (e) {
      if (!annulee(e)) erreur(this.message, e.detail);
    }
  }

  editer(compte) {
    const role = choixRole("edition-role", compte.role);
    const portee = new ChoixPortee("edition", this.communes, this.groupes);
    portee.regler(compte.communes ?? null, compte.groups || []);
    const form = h("form", { class: "formulaire-compte", novalidate: true },
      h("h3", {}, `Modifier ${compte.email}`),
      h("label", { for: "edition-role" }, "Rôle"), role, portee.element,
      h("div", { class: "boutons" }, h("button", { type: "submit", class: "principal" }, "Enregistrer"),
        h("button", { type: "button", onclick: () => remplir(this.section.querySelector("#admin-edition")) }, "Annuler")));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.changer(compte, { role: role.value, ...portee.valeur() });
    });
    remplir(this.section.querySelector("#admin-edition"), form);
    role.focus();
  }

  formulaireCompte() {
    const zone = this.zone("admin-nouveau");
    const courriel = h("input", { type: "email", id: "nouveau-courriel", required: true, spellcheck: "false" });
    const role = choixRole("nouveau-role");
    const portee = new ChoixPortee("nouveau", this.communes, this.groupes);
    const message = h("div", { id: "nouveau-resultat", role: "status", "aria-live": "polite" });
    const form = h("form", { class: "formulaire-compte", novalidate: true },
      h("label", { for: "nouveau-courriel" }, "Adresse électronique"), courriel,
      h("label", { for: "nouveau-role" }, "Rôle"), role, portee.element,
      message, h("button", { type: "submit", class: "principal" }, "Ouvrir le compte"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("/admin/accounts", { methode: "POST", json: { email: courriel.value.trim(), role: role.value, ...portee.valeur() } });
        remplir(message, h("p", { class: "ok" }, `Compte ${r.email || courriel.value.trim()} ouvert.`),
          h("p", {}, "Mot de passe provisoire, montré cette fois seulement (à remettre à la personne, qui le changera à sa première connexion) : ",
            h("code", { class: "secret", id: "nouveau-mot-de-passe" }, r.temporary_password)));
        courriel.value = "";
        portee.regler(null, []);
        await Promise.all([this.chargerComptes(), this.journal()]);
      } catch (e) {
        if (!annulee(e)) erreur(message, e.detail);
      }
    });
    remplir(zone, form);
  }

  formulaireGroupe(groupe = null) {
    const zone = this.zone("admin-groupes");
    const nom = h("input", { type: "text", id: "groupe-nom", required: true, spellcheck: "false", placeholder: "ex. cispd-nord", value: groupe?.name, readonly: Boolean(groupe) });
    const libelle = h("input", { type: "text", id: "groupe-libelle", required: true, placeholder: "ex. CISPD du Nord toulousain", value: groupe?.label });
    const cases = this.communes.map((c) => h("input", { type: "checkbox", value: c.code, id: `groupe-c-${c.code}`, checked: (groupe?.communes || []).includes(c.code) }));
    const message = h("div", { id: "groupe-resultat", role: "status", "aria-live": "polite" });
    const form = h("form", { class: "formulaire-compte", novalidate: true },
      h("h3", {}, groupe ? `Modifier le groupe ${groupe.name}` : "Nouveau groupe"),
      h("label", { for: "groupe-nom" }, "Nom court (minuscules, chiffres, tirets)"), nom,
      h("label", { for: "groupe-libelle" }, "Libellé"), libelle,
      h("fieldset", {}, h("legend", {}, "Communes du groupe"), h("div", { class: "cases" }, cases.map((c, i) => h("label", { for: c.id }, c, ` ${this.communes[i].name} (${this.communes[i].code})`)))),
      message,
      h("div", { class: "boutons" }, h("button", { type: "submit", class: "principal" }, groupe ? "Enregistrer le groupe" : "Créer le groupe"),
        groupe ? h("button", { type: "button", onclick: () => this.formulaireGroupe() }, "Annuler") : null));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const corps = { label: libelle.value.trim() || null, communes: cases.filter((c) => c.checked).map((c) => c.value) };
      try {
        if (groupe) await api(`/admin/groups/${encodeURIComponent(groupe.name)}`, { methode: "PUT", json: corps });
        else await api("/admin/groups", { methode: "POST", json: { name: nom.value.trim(), ...corps } });
        await Promise.all([this.chargerGroupes(), this.journal()]);
        this.formulaireGroupe();
        this.formulaireCompte(); // les groupes à cocher pour un compte
      } catch (e) {
        if (!annulee(e)) erreur(message, e.detail);
      }
    });
    remplir(zone, this.tableGroupes(), form);
  }

  tableGroupes() {
    if (!this.groupes.length) return h("p", { class: "aide" }, "Aucun groupe : un groupe (EPCI, CISPD) donne plusieurs communes en un mot.");
    const supprimer = async (g) => {
      if (!window.confirm(`Supprimer le groupe ${g.name} ?`)) return;
      try {
        await api(`/admin/groups/${encodeURIComponent(g.name)}`, { methode: "DELETE" });
        await this.chargerGroupes();
        this.formulaireGroupe();
      } catch (e) {
        if (!annulee(e)) erreur(this.zone("admin-groupes"), e.detail);
      }
    };
    const noms = new Map(this.communes.map((c) => [c.code, c.name]));
    return h("table", { class: "tableau gauche", id: "table-groupes" },
      h("thead", {}, h("tr", {}, ["Nom", "Libellé", "Communes", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, this.groupes.map((g) => h("tr", { dataset: { groupe: g.name } },
        h("td", {}, g.name), h("td", {}, g.label || "—"),
        h("td", {}, (g.communes || []).map((c) => noms.get(c) || c).join(", ")),
        h("td", { class: "actions" },
          h("button", { type: "button", onclick: () => this.formulaireGroupe(g) }, "Modifier"),
          h("button", { type: "button", onclick: () => supprimer(g) }, "Supprimer"))))));
  }

  async journal() {
    const zone = this.zone("admin-journal");
    let page;
    try {
      page = await api("/audit", { parametres: { limit: 50 } });
    } catch (e) {
      if (!annulee(e)) erreur(zone, e.detail);
      return;
    }
    // L'adresse IP quand l'API la donne (le journal l'enregistre depuis les comptes nommés).
    const adresses = page.entries.some((e) => "address" in e);
    const titres = ["Quand", "Qui", "Rôle", "Action", "Sur quoi", "Faits lus", adresses ? "Adresse IP" : null];
    remplir(zone, h("div", { class: "defilant" }, h("table", { class: "tableau gauche", id: "table-journal" },
      h("thead", {}, h("tr", {}, titres.filter(Boolean).map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, page.entries.map((e) => h("tr", {},
        h("td", {}, instant(e.at)), h("td", {}, e.actor), h("td", {}, nomRole(e.role)),
        h("td", {}, e.action), h("td", { class: "objet" }, objet(e.filters)),
        h("td", {}, e.row_count ? String(e.row_count) : ""),
        adresses ? h("td", {}, e.address || "—") : null))))));
  }
}

/** Ce que vise une entrée du journal : le compte, le groupe ou le jeton, la raison d'un refus. */
function objet(filtres) {
  const f = filtres || {};
  const parties = [
    f.email ? `compte ${f.email}` : null,
    f.group ? `groupe ${f.group}` : null,
    typeof f.name === "string" ? `jeton ${f.name}` : null,
    f.reason ? `motif : ${f.reason}` : null,
    f.commune ? `commune ${f.commune}` : null,
  ];
  return parties.filter(Boolean).join(" · ") || "—";
}
