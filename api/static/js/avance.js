// « Avancé » : les réglages des points chauds (voisinage k, confiance, permutations), gardés
// dans l'adresse (etat.js : hs_k, hs_conf, hs_perm) et passés à /layers/hotspots.

import { modifier } from "./etat.js";
import { h } from "./dom.js";

const CONFIANCES = { 90: 0.1, 95: 0.05, 99: 0.01 };

/** Les paramètres de /layers/hotspots d'un état de la page (k vide : choisi par l'API). */
export function parametresChauds(e) {
  return { k: e.hs_k, alpha: CONFIANCES[e.hs_conf] ?? 0.1, permutations: e.hs_perm === "0" ? "" : e.hs_perm };
}

/** Le bloc « Avancé » des filtres, et de quoi le synchroniser avec l'état. */
export function reglagesAvances() {
  const liste = (id, nom, options) =>
    h("select", { id, name: nom, onchange: (ev) => modifier({ [nom]: ev.target.value }) }, options.map(([v, t]) => h("option", { value: v }, t)));
  const champs = [
    liste("chauds-k", "hs_k", [["", "choisi selon les données"], ...[1, 2, 3, 4, 5, 6].map((k) => [String(k), `${k} anneau${k > 1 ? "x" : ""}`])]),
    liste("chauds-confiance", "hs_conf", [["90", "90 % et plus"], ["95", "95 % et plus"], ["99", "99 % seulement"]]),
    liste("chauds-permutations", "hs_perm", [["0", "aucune (p analytique)"], ["99", "99"], ["999", "999 (plus lent)"]]),
  ];
  const libelles = ["Voisinage (k)", "Confiance montrée", "Permutations"];
  const bloc = h(
    "details",
    { class: "avance", id: "filtres-avance" },
    h("summary", {}, "Avancé : points chauds (Gi*)"),
    champs.map((c, i) => h("label", { class: "champ" }, libelles[i], c)),
    h("p", { class: "precision" }, "Avec des permutations, la carte passe par la file des analyses lourdes."),
  );
  return {
    bloc,
    synchroniser(e) {
      champs[0].value = e.hs_k;
      champs[1].value = e.hs_conf;
      champs[2].value = e.hs_perm;
    },
  };
}
