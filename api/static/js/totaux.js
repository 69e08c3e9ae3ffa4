// Un seul total par filtre : le bandeau. Là où un chiffre en diffère forcément (valeurs sous le
// seuil non publiées, périodes fixes du CompStat), une phrase courte le dit à côté de lui.

import { h, jour, nombre } from "./dom.js";

/** Légende des hexagones : les hexagones gris comptent dans le total, pas dans les classes. */
export function noteHexagonesMasques(masques, seuil) {
  if (!masques) return null;
  const qui = masques > 1 ? `Les ${nombre(masques)} hexagones gris` : "L'hexagone gris";
  return h(
    "p",
    { class: "note note-total", id: "note-total-hexagones" },
    `${qui} (moins de ${seuil ?? 5} faits) ${masques > 1 ? "comptent" : "compte"} dans ce total, qui dépasse la somme des hexagones chiffrés.`,
  );
}

/** Créneaux : les cases « < seuil » comptent dans le total du bandeau et dans les parts. */
export function noteCreneauxMasques(masques, seuil) {
  if (!masques) return null;
  return h(
    "p",
    { class: "note note-total", id: "note-total-creneaux" },
    `Les cases « < ${seuil} » comptent dans le total du bandeau et dans les parts ci-dessous : la somme des cases chiffrées est plus petite.`,
  );
}

/** La colonne du CompStat qui couvre exactement la période du filtre (son total est celui du
 *  bandeau), ou null. */
export function periodeDuFiltre(periodes, filtres) {
  return periodes.find((p) => p.start === filtres.from && p.end === filtres.to) || null;
}

/** CompStat : dit quand aucune colonne ne reprend la période du bandeau. */
export function noteCompstat(periodes, filtres, fin) {
  if (!periodes.length || periodeDuFiltre(periodes, filtres)) return null;
  return h(
    "p",
    { class: "note note-total", id: "note-total-compstat" },
    `Ces colonnes sont des périodes fixes finissant le ${jour(fin)} : aucune ne couvre la période choisie, dont le total est celui du bandeau.`,
  );
}
