// Les appels à l'API : jeton en en-tête, erreurs problem+json montrées telles quelles (en français).

import { deconnecter, jeton } from "./session.js";

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

/** GET (ou autre méthode) sur l'API ; renvoie le JSON, ou lève une ErreurApi au détail français.
 *  json : un objet envoyé en corps JSON (à la place de corps). */
export async function api(chemin, { parametres = {}, signal, methode = "GET", corps, json } = {}) {
  let reponse;
  const entetes = {
    Authorization: `Bearer ${jeton() || ""}`,
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
  try {
    const probleme = await reponse.json();
    if (probleme && typeof probleme.detail === "string") detail = probleme.detail;
  } catch {
    // Pas de JSON : le message générique suffit.
  }
  if (reponse.status === 401) {
    deconnecter(detail);
  }
  const attente = Number(reponse.headers.get("Retry-After")) || null;
  throw new ErreurApi(reponse.status, detail, attente);
}

/** Vrai pour une requête annulée par une plus récente (à ignorer sans message). */
export function annulee(e) {
  return e && e.name === "AbortError";
}
