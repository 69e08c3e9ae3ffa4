// Les appels à l'API : le cookie de session (même origine) et le jeton CSRF en en-tête pour ce
// qui modifie ; les erreurs problem+json montrées telles quelles (en français).

import { entetesSession, retenir, sessionExpiree } from "./session.js";

export class ErreurApi extends Error {
  constructor(statut, detail, attente = null) {
    super(detail);
    this.statut = statut;
    this.detail = detail;
    // Secondes à attendre avant de redemander (Retry-After d'un 503 : serveur saturé).
    this.attente = attente;
  }
}

/** L'URL d'un chemin de l'API avec ses paramètres (les vides sont omis). */
export function adresse(chemin, parametres = {}) {
  const url = new URL(`/api/v1${chemin}`, location.origin);
  for (const [nom, valeur] of Object.entries(parametres)) {
    if (valeur === null || valeur === undefined || valeur === "") continue;
    url.searchParams.set(nom, valeur);
  }
  return url;
}

/** Vrai pour le refus d'un jeton CSRF périmé (une autre page s'est reconnectée entre-temps). */
export function refusCsrf(statut, detail) {
  return statut === 403 && /^Jeton CSRF/.test(detail || "");
}

/** Relit la session (/auth/me) : son jeton CSRF à jour ; null quand il n'y en a plus. */
export async function relireSession() {
  const reponse = await fetch(adresse("/auth/me"), { headers: { Accept: "application/json" } });
  if (!reponse.ok) return null;
  const session = await reponse.json();
  retenir(session);
  return session;
}

/** GET (ou autre méthode) sur l'API ; renvoie le JSON, ou lève une ErreurApi au détail français.
 *  json : un objet envoyé en corps JSON (à la place de corps). libre : un 401 est rendu à
 *  l'appelant (le formulaire de connexion) au lieu de ramener à la connexion. */
export async function api(chemin, options = {}) {
  try {
    return await appel(chemin, options);
  } catch (e) {
    // Un jeton CSRF périmé : relu une fois sur /auth/me, la requête repart une seule fois.
    if (e instanceof ErreurApi && refusCsrf(e.statut, e.detail) && !options.deuxieme) {
      if (await relireSession()) return appel(chemin, { ...options, deuxieme: true });
    }
    throw e;
  }
}

async function appel(chemin, { parametres = {}, signal, methode = "GET", corps, json, libre = false } = {}) {
  let reponse;
  const entetes = {
    ...entetesSession(methode),
    Accept: "application/json, application/geo+json, application/problem+json",
  };
  if (json !== undefined) entetes["Content-Type"] = "application/json";
  try {
    reponse = await fetch(adresse(chemin, parametres), {
      method: methode,
      body: json !== undefined ? JSON.stringify(json) : corps,
      signal,
      headers: entetes,
    });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ErreurApi(0, "Le serveur de l'observatoire ne répond pas : vérifiez le réseau, puis réessayez.");
  }
  if (reponse.ok) {
    return reponse.status === 204 ? null : reponse.json();
  }
  let detail = `Le serveur a répondu ${reponse.status}.`;
  let probleme = null;
  try {
    probleme = await reponse.json();
    if (probleme && typeof probleme.detail === "string") detail = probleme.detail;
  } catch {
    // Pas de JSON : le message générique suffit.
  }
  if (reponse.status === 401 && !libre) sessionExpiree();
  const attente = Number(reponse.headers.get("Retry-After")) || null;
  const e = new ErreurApi(reponse.status, detail, attente);
  e.probleme = probleme || {};
  throw e;
}

/** Vrai pour une requête annulée par une plus récente (à ignorer sans message). */
export function annulee(e) {
  return e && e.name === "AbortError";
}
