// La connexion : la session en cours (/auth/me), sinon le formulaire (adresse, mot de passe, puis
// le code TOTP quand le serveur le demande) ; puis, avant la carte, ce que le compte doit faire
// d'abord : changer un mot de passe provisoire, inscrire la double authentification.

import { api, relireSession } from "./api.js";
import { h, remplir } from "./dom.js";
import { formulaireMotDePasse, inscriptionTotp } from "./pages/compte.js";
import { fermer, messageEnAttente, retenir, sessionExpiree } from "./session.js";

const $ = (id) => document.getElementById(id);

/** La personne connectée, une fois son compte en règle (la session est retenue). */
export async function ouvrirSession() {
  let session = await relireSession();
  if (!session) session = await formulaire(messageEnAttente());
  retenir(session);
  return parcours(session);
}

/** Le formulaire de connexion ; la session quand le serveur l'accepte. */
function formulaire(message) {
  $("demarrage").hidden = true;
  $("connexion").hidden = false;
  const erreur = $("connexion-erreur");
  erreur.textContent = message;
  erreur.classList.toggle("info", Boolean(message) && !/expiré/.test(message));
  $("courriel").focus();
  return new Promise((resolu) => {
    const form = $("form-connexion");
    const bouton = form.querySelector("button[type=submit]");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      // Le message précédent s'efface : celui qui suivra est la réponse à cet envoi.
      erreur.textContent = "";
      erreur.classList.remove("info");
      const email = $("courriel").value.trim();
      const motDePasse = $("mot-de-passe").value;
      const code = $("code").value.replace(/\s/g, "");
      if (!email || !motDePasse) {
        erreur.textContent = "Saisissez votre adresse électronique et votre mot de passe.";
        (email ? $("mot-de-passe") : $("courriel")).focus();
        return;
      }
      if (!$("bloc-code").hidden && !code) {
        erreur.textContent = "Saisissez le code de vérification.";
        $("code").focus();
        return;
      }
      bouton.disabled = true;
      try {
        const corps = { email, password: motDePasse };
        if (code) corps.code = code;
        const session = await api("/auth/login", { methode: "POST", json: corps, libre: true });
        $("mot-de-passe").value = "";
        $("code").value = "";
        $("connexion").hidden = true;
        resolu(session);
      } catch (e) {
        refus(e);
      } finally {
        bouton.disabled = false;
      }
    });
  });
}

/** Le message d'un refus de connexion, et le champ où reprendre. */
function refus(e) {
  const erreur = $("connexion-erreur");
  const second = e.probleme?.second_factor;
  if (e.statut === 429) {
    // L'attente en minutes plutôt qu'en secondes (« dans 900 s ») ; celle de Retry-After
    // quand le détail du serveur ne la dit pas.
    const detail = e.detail.replace(/dans (\d+) s\b/, (_, n) => `dans ${dureeLisible(Number(n))}`);
    const attente = e.attente && !/réessayez/i.test(detail) ? ` Réessayez dans ${dureeLisible(e.attente)}.` : "";
    erreur.textContent = `${detail}${attente}`;
    return;
  }
  if (second === "required" || second === "wrong") {
    $("bloc-code").hidden = false;
    erreur.textContent = second === "required" ? "Saisissez le code de votre application d'authentification." : e.detail;
    if (second === "required") erreur.classList.add("info");
    $("code").value = "";
    $("code").focus();
    return;
  }
  erreur.textContent = e.detail || String(e);
  $("mot-de-passe").select();
  $("mot-de-passe").focus();
}

function dureeLisible(secondes) {
  if (secondes < 60) return `${secondes} seconde${secondes > 1 ? "s" : ""}`;
  const minutes = Math.ceil(secondes / 60);
  return `${minutes} minute${minutes > 1 ? "s" : ""}`;
}

/** Ce que le compte doit faire avant la carte, une étape après l'autre ; la session à jour. */
async function parcours(session) {
  const section = $("parcours");
  const contenu = section.querySelector(".contenu");
  $("parcours-sortir").onclick = () => fermer(false);
  while (session.must_change_password || session.enrolment_required) {
    $("demarrage").hidden = true;
    section.hidden = false;
    await new Promise((fini) => {
      if (session.must_change_password) {
        $("titre-parcours").textContent = "Choisir votre mot de passe";
        formulaireMotDePasse(contenu, { quandFait: fini, premier: true });
      } else {
        $("titre-parcours").textContent = "Activer la double authentification";
        remplir(contenu, h("p", {}, "Votre rôle donne accès à des données sensibles : un code à 6 chiffres, donné par une application de votre téléphone, sera demandé à chaque connexion en plus du mot de passe."));
        const etape = h("div");
        contenu.append(etape);
        inscriptionTotp(etape, { quandFait: fini });
      }
    });
    const relue = await relireSession();
    if (!relue) {
      sessionExpiree();
      return new Promise(() => {}); // la page se recharge
    }
    session = relue;
  }
  section.hidden = true;
  return session;
}
