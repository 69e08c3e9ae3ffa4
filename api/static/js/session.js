// Le jeton : saisi dans le formulaire de connexion, gardé le temps de la session du navigateur.

const CLE = "observatoire.jeton";
const MESSAGE = "observatoire.message";

export function jeton() {
  return sessionStorage.getItem(CLE);
}

export function enregistrer(valeur) {
  sessionStorage.setItem(CLE, valeur.trim());
}

/** Oublie le jeton et revient à la connexion, avec un message à montrer (ou aucun). */
export function deconnecter(message = "") {
  sessionStorage.removeItem(CLE);
  if (message) sessionStorage.setItem(MESSAGE, message);
  else sessionStorage.removeItem(MESSAGE);
  // Un rechargement repart d'une page vierge : rien du rôle précédent ne reste affiché.
  location.reload();
}

/** Le message laissé par la déconnexion (jeton refusé…), lu une seule fois. */
export function messageEnAttente() {
  const message = sessionStorage.getItem(MESSAGE) || "";
  sessionStorage.removeItem(MESSAGE);
  return message;
}
