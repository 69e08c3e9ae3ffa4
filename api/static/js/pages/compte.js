// Mon compte : le mot de passe, la double authentification (code QR, codes de secours), les
// jetons personnels pour les scripts et carnets, la déconnexion de tous les appareils.
// Le changement de mot de passe et l'inscription TOTP servent aussi au premier accès (connexion.js).

import { annulee, api } from "../api.js";
import { erreur, h, instant, remplir } from "../dom.js";
import { nomRole } from "../roles.js";
import { fermer } from "../session.js";

/** Une image d'un SVG donné en texte : une adresse data: (la CSP n'admet pas de SVG en ligne). */
function imageSvg(svg, alt) {
  const octets = new TextEncoder().encode(svg);
  let binaire = "";
  for (const o of octets) binaire += String.fromCharCode(o);
  return h("img", { src: `data:image/svg+xml;base64,${btoa(binaire)}`, alt, id: "totp-qr", class: "qr" });
}

/** « JBSW Y3DP EHPK 3PXP » : la clé en groupes de quatre, plus facile à recopier. */
function enGroupes(secret) {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

/** Le formulaire de changement de mot de passe ; quandFait() après un 204. */
export function formulaireMotDePasse(conteneur, { quandFait, premier = false } = {}) {
  const actuel = h("input", { id: "mdp-actuel", type: "password", autocomplete: "current-password", required: true });
  const nouveau = h("input", { id: "mdp-nouveau", type: "password", autocomplete: "new-password", required: true, "aria-describedby": "aide-mdp" });
  const confirmation = h("input", { id: "mdp-confirmation", type: "password", autocomplete: "new-password", required: true });
  const message = h("div", { id: "mdp-resultat", role: "status", "aria-live": "polite" });
  const bouton = h("button", { type: "submit", class: "principal" }, "Changer le mot de passe");
  const formulaire = h(
    "form",
    { class: "formulaire-compte", novalidate: true },
    premier ? h("p", {}, "Votre mot de passe est provisoire : choisissez le vôtre avant d'ouvrir l'observatoire.") : null,
    h("label", { for: "mdp-actuel" }, premier ? "Mot de passe provisoire" : "Mot de passe actuel"),
    actuel,
    h("label", { for: "mdp-nouveau" }, "Nouveau mot de passe"),
    nouveau,
    h("p", { class: "aide", id: "aide-mdp" }, "La longueur protège mieux que les signes compliqués : une phrase de plusieurs mots que vous seul connaissez convient. Les mots de passe trop courants sont refusés."),
    h("label", { for: "mdp-confirmation" }, "Nouveau mot de passe, encore une fois"),
    confirmation,
    message,
    bouton,
  );
  formulaire.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (nouveau.value !== confirmation.value) {
      erreur(message, "Les deux saisies du nouveau mot de passe diffèrent.");
      confirmation.focus();
      return;
    }
    bouton.disabled = true;
    try {
      await api("/auth/password", { methode: "POST", json: { current: actuel.value, new: nouveau.value } });
      for (const champ of [actuel, nouveau, confirmation]) champ.value = "";
      remplir(message, h("p", { class: "ok" }, "Mot de passe changé."));
      if (quandFait) await quandFait();
    } catch (e) {
      if (!annulee(e)) erreur(message, e.detail || String(e));
    } finally {
      bouton.disabled = false;
    }
  });
  remplir(conteneur, formulaire);
  if (premier) actuel.focus();
}

/** L'inscription TOTP : le code QR et la clé, la confirmation par un code, puis les codes de
 *  secours montrés une seule fois ; quandFait() quand la personne dit les avoir notés. */
export async function inscriptionTotp(conteneur, { quandFait } = {}) {
  remplir(conteneur, h("p", { class: "aide" }, "Préparation du code QR…"));
  let inscription;
  try {
    inscription = await api("/auth/totp/enrol", { methode: "POST" });
  } catch (e) {
    erreur(conteneur, e.detail || String(e));
    return;
  }
  const code = h("input", { id: "totp-code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true, spellcheck: "false" });
  const message = h("div", { id: "totp-resultat", role: "status", "aria-live": "polite" });
  const bouton = h("button", { type: "submit", class: "principal" }, "Activer la double authentification");
  const formulaire = h(
    "form",
    { class: "formulaire-compte", novalidate: true },
    h("p", {}, "1. Ouvrez votre application d'authentification (FreeOTP, Aegis, Google Authenticator…) et scannez ce code QR :"),
    imageSvg(inscription.qr_svg, "Code QR à scanner avec l'application d'authentification"),
    h("p", { class: "aide" }, "Sans appareil photo, saisissez cette clé dans l'application : ", h("code", { id: "totp-secret", dataset: { secret: inscription.secret } }, enGroupes(inscription.secret))),
    h("label", { for: "totp-code" }, "2. Saisissez le code à 6 chiffres que l'application affiche"),
    code,
    message,
    bouton,
  );
  formulaire.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    bouton.disabled = true;
    try {
      const reponse = await api("/auth/totp/confirm", { methode: "POST", json: { code: code.value.replace(/\s/g, "") } });
      codesDeSecours(conteneur, reponse.recovery_codes || [], quandFait);
    } catch (e) {
      if (!annulee(e)) erreur(message, e.detail || String(e));
      code.select();
    } finally {
      bouton.disabled = false;
    }
  });
  remplir(conteneur, formulaire);
  code.focus();
}

/** Les codes de secours, une seule fois : imprimer, copier, et dire qu'on les a notés. */
function codesDeSecours(conteneur, codes, quandFait) {
  const note = h("input", { type: "checkbox", id: "codes-notes" });
  const continuer = h("button", { type: "button", class: "principal", id: "codes-continuer", disabled: true }, "Continuer");
  const message = h("p", { class: "aide", role: "status", "aria-live": "polite" });
  note.addEventListener("change", () => {
    continuer.disabled = !note.checked;
  });
  continuer.addEventListener("click", async () => {
    continuer.disabled = true;
    if (quandFait) await quandFait();
  });
  const copier = h("button", { type: "button", id: "codes-copier" }, "Copier");
  copier.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      message.textContent = "Codes copiés : collez-les dans un endroit sûr.";
    } catch {
      message.textContent = "La copie est refusée par le navigateur : recopiez les codes à la main.";
    }
  });
  const imprimer = h("button", { type: "button", id: "codes-imprimer" }, "Imprimer");
  imprimer.addEventListener("click", () => {
    document.body.classList.add("impression-codes");
    window.print();
    document.body.classList.remove("impression-codes");
  });
  remplir(
    conteneur,
    h("div", { class: "codes-secours" },
      h("p", { class: "ok" }, "La double authentification est activée."),
      h("p", {}, "Vos codes de secours servent chacun une fois, si vous perdez votre téléphone. Ils ne seront plus montrés : notez-les et gardez-les à l'abri."),
      h("ul", { id: "liste-codes", class: "liste-codes" }, codes.map((c) => h("li", {}, h("code", {}, c)))),
      h("div", { class: "boutons" }, imprimer, copier),
      message,
      h("label", { class: "case" }, note, " J'ai noté mes codes de secours"),
      continuer,
    ),
  );
  imprimer.focus();
}

/** La page « Mon compte ». */
export class PageCompte {
  constructor(section, { moi, relire }) {
    this.section = section;
    this.moi = moi;
    this.relire = relire;
  }

  montrer() {
    const moi = this.moi();
    remplir(
      this.section.querySelector("#compte-identite .contenu"),
      h("dl", { class: "identite" },
        h("dt", {}, "Adresse"), h("dd", { id: "compte-courriel" }, moi.email),
        h("dt", {}, "Rôle"), h("dd", {}, moi.role_label || nomRole(moi.role)),
        h("dt", {}, "Communes"), h("dd", { id: "compte-portee" }, moi.scope_label || "toutes les communes"),
      ),
      h("button", { type: "button", id: "deconnexion-partout", onclick: () => fermer(true) }, "Me déconnecter de tous mes appareils"),
    );
    formulaireMotDePasse(this.section.querySelector("#compte-mot-de-passe .contenu"));
    this.totp(moi);
    this.jetons();
  }

  totp(moi) {
    const conteneur = this.section.querySelector("#compte-totp .contenu");
    if (moi.totp_enabled) {
      remplir(conteneur, h("p", { class: "ok", id: "totp-etat" }, "Activée : un code de votre application est demandé à chaque connexion."));
      return;
    }
    const bouton = h("button", { type: "button", id: "totp-commencer" }, "Activer la double authentification");
    bouton.addEventListener("click", () => inscriptionTotp(conteneur, { quandFait: async () => {
      await this.relire();
      this.totp(this.moi());
    } }));
    remplir(conteneur, h("p", { id: "totp-etat" }, "Non activée. Un code à 6 chiffres demandé en plus du mot de passe protège votre compte si le mot de passe fuit."), bouton);
  }

  async jetons() {
    const conteneur = this.section.querySelector("#compte-jetons .contenu");
    const liste = h("div", { id: "liste-jetons" });
    const nom = h("input", { type: "text", id: "jeton-nom", required: true, placeholder: "ex. carnet-analyse", spellcheck: "false" });
    const jours = h("input", { type: "number", id: "jeton-jours", min: 1, max: 365, value: 30, required: true });
    const message = h("div", { id: "jeton-resultat", role: "status", "aria-live": "polite" });
    const formulaire = h(
      "form",
      { class: "formulaire-ligne", novalidate: true },
      h("label", { for: "jeton-nom" }, "Nom"), nom,
      h("label", { for: "jeton-jours" }, "Durée (jours)"), jours,
      h("button", { type: "submit" }, "Créer un jeton"),
    );
    formulaire.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const cree = await api("/auth/tokens", { methode: "POST", json: { name: nom.value.trim(), days: Number(jours.value) } });
        remplir(message,
          h("p", {}, "Votre jeton, montré cette fois seulement (à mettre dans l'en-tête « Authorization: Bearer … » de vos scripts) :"),
          h("p", {}, h("code", { id: "jeton-nouveau", class: "secret" }, cree.token)));
        nom.value = "";
        await this.listeJetons(liste, message);
      } catch (e) {
        if (!annulee(e)) erreur(message, e.detail || String(e));
      }
    });
    remplir(conteneur,
      h("p", { class: "aide" }, "Un jeton sert aux scripts et aux carnets (Python, R) : il lit ce que votre compte lit, jamais plus, jusqu'à sa date de fin."),
      liste, formulaire, message);
    await this.listeJetons(liste, message);
  }

  async listeJetons(liste, message) {
    let jetons;
    try {
      jetons = (await api("/auth/tokens")).filter((j) => !j.revoked);
    } catch (e) {
      if (!annulee(e)) erreur(liste, e.detail || String(e));
      return;
    }
    if (!jetons.length) {
      remplir(liste, h("p", { class: "aide" }, "Aucun jeton."));
      return;
    }
    const supprimer = async (nom) => {
      try {
        await api(`/auth/tokens/${encodeURIComponent(nom)}`, { methode: "DELETE" });
        remplir(message, h("p", { class: "ok" }, `Jeton « ${nom} » révoqué.`));
        await this.listeJetons(liste, message);
      } catch (e) {
        if (!annulee(e)) erreur(message, e.detail || String(e));
      }
    };
    remplir(liste, h("table", { class: "tableau gauche", id: "table-jetons" },
      h("thead", {}, h("tr", {}, ["Nom", "Créé", "Fin", "Dernier usage", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, jetons.map((j) => h("tr", {},
        h("td", {}, j.name),
        h("td", {}, instant(j.created_at)),
        h("td", {}, instant(j.expires_at)),
        h("td", {}, instant(j.last_used_at)),
        h("td", {}, h("button", { type: "button", onclick: () => supprimer(j.name) }, "Révoquer")),
      ))),
    ));
  }
}
