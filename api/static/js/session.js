// La session : un cookie HttpOnly posé par le serveur à la connexion (le script ne le lit pas),
// et le jeton CSRF que /auth/login et /auth/me donnent, gardé en mémoire seulement.

const MESSAGE = "observatoire.message";
export const EXPIREE = "Votre session a expiré : reconnectez-vous.";

let courante = null;

/** La personne connectée (la réponse de /auth/login ou /auth/me), ou null. */
export function moi() {
  return courante;
}

/** Le jeton CSRF à joindre à chaque requête qui modifie (X-CSRF-Token). */
export function csrf() {
  return courante?.csrf || "";
}

export function retenir(session) {
  courante = session;
}

/** Les en-têtes d'une requête de la page : le jeton CSRF pour ce qui n'est pas une lecture. */
export function entetesSession(methode = "GET") {
  return ["GET", "HEAD"].includes(methode.toUpperCase()) ? {} : { "X-CSRF-Token": csrf() };
}

/** Revient au formulaire de connexion avec un message à montrer (ou aucun) : un rechargement
 *  repart d'une page vierge, rien du compte précédent ne reste affiché. */
export function deconnecter(message = "") {
  courante = null;
  if (message) sessionStorage.setItem(MESSAGE, message);
  else sessionStorage.removeItem(MESSAGE);
  location.reload();
}

/** La session a pris fin côté serveur (expirée, fermée ailleurs) : retour à la connexion. */
export function sessionExpiree() {
  deconnecter(EXPIREE);
}

/** Ferme la session (ou toutes celles du compte) puis revient à la connexion. */
export async function fermer(partout = false) {
  try {
    await fetch(`/api/v1/auth/${partout ? "logout-everywhere" : "logout"}`, {
      method: "POST",
      headers: entetesSession("POST"),
    });
  } catch {
    // Hors ligne : le rechargement montrera la connexion si la session a pris fin.
  }
  deconnecter(partout ? "Vous êtes déconnecté de tous vos appareils." : "Vous êtes déconnecté.");
}

/** Le message laissé par la déconnexion (session expirée…), lu une seule fois. */
export function messageEnAttente() {
  const message = sessionStorage.getItem(MESSAGE) || "";
  sessionStorage.removeItem(MESSAGE);
  return message;
}
