// Les périodes du jour : « Hier », « Cette nuit (18 h – 6 h) », « Semaine dernière ».
//
// Un chef de police les lit par rapport à aujourd'hui (heure de la ville) ; mais des données
// qui s'arrêtent plus tôt (import de la veille, jeu de démonstration) donneraient une carte vide :
// la période se cale alors sur le dernier jour des données, et le texte du filtre le dit.
// « Hier » : la veille, ou le dernier jour des données s'il est plus ancien. « Cette nuit » : la
// nuit de 18 h à 6 h qui finit ce matin, ou le matin du dernier jour des données. « Semaine
// dernière » : la dernière semaine lundi–dimanche complète avant aujourd'hui et dans les données.

import { decaler, jour } from "./dom.js";

export const PERIODES_DU_JOUR = {
  hier: "Hier",
  nuit: "Cette nuit (18 h – 6 h)",
  semaine: "Semaine dernière",
};

const JOURS = ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"];

const config = JSON.parse(document.getElementById("configuration")?.textContent || "{}");

/** Aujourd'hui (AAAA-MM-JJ) à l'heure de la ville (fuseau du serveur, Europe/Paris par défaut). */
export function aujourdhui(maintenant = new Date()) {
  const fuseau = config.timezone || "Europe/Paris";
  return new Intl.DateTimeFormat("en-CA", { timeZone: fuseau, year: "numeric", month: "2-digit", day: "2-digit" }).format(maintenant);
}

function plusAncien(a, b) {
  return a && a < b ? a : b;
}

function jourSemaine(iso) {
  return JOURS[new Date(`${iso}T00:00:00Z`).getUTCDay()];
}

/** Les bornes d'une période du jour : { from, to, night } (night : le soir de « cette nuit »). */
export function bornesDuJour(code, dernierJour, auj = aujourdhui()) {
  const veille = decaler(auj, -1);
  if (code === "hier") {
    const d = plusAncien(dernierJour, veille);
    return { from: d, to: d, night: "" };
  }
  if (code === "nuit") {
    const soir = decaler(plusAncien(dernierJour, auj), -1);
    return { from: soir, to: decaler(soir, 1), night: soir };
  }
  // Le dernier dimanche au plus tard la veille (ou le dernier jour des données).
  const ref = plusAncien(dernierJour, veille);
  const rang = new Date(`${ref}T00:00:00Z`).getUTCDay(); // 0 : dimanche
  const dimanche = decaler(ref, -rang);
  return { from: decaler(dimanche, -6), to: dimanche, night: "" };
}

/** Le texte du filtre : la période exacte, et quand elle suit les données plutôt qu'aujourd'hui. */
export function texteDuJour(code, dernierJour, auj = aujourdhui()) {
  const { from, to } = bornesDuJour(code, dernierJour, auj);
  const veille = decaler(auj, -1);
  if (code === "hier") {
    const texte = `${jourSemaine(from)} ${jour(from)}`;
    return from === veille ? `hier (${texte})` : `dernier jour des données (${texte}) : elles s'arrêtent avant hier`;
  }
  if (code === "nuit") {
    const texte = `du ${jourSemaine(from)} ${jour(from)} 18 h au ${jourSemaine(to)} ${jour(to)} 6 h`;
    return to === auj ? `cette nuit (${texte})` : `dernière nuit des données (${texte}) : elles s'arrêtent avant ce matin`;
  }
  const texte = `du lundi ${jour(from)} au dimanche ${jour(to)}`;
  const derniere = decaler(to, 7) > veille;
  return derniere ? `semaine dernière (${texte})` : `dernière semaine complète des données (${texte})`;
}
