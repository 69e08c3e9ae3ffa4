// « Comparer deux périodes » : une couche de la carte (l'écart par hexagone, lu avec le z de
// Poisson du tableau CompStat) et le panneau qui choisit les deux périodes. Police,
// administrateur et analyste ; les partenaires n'ont pas cette comparaison (diffusion bruitée).

import { api } from "../api.js";
import { Couche, pastille } from "../couches.js";
import { decaler, h, jour, nombre, remplir, texteSeul } from "../dom.js";
import { bornesDuJour } from "../periodes.js";

// Divergente : hausses en rouge, baisses en bleu, pas d'écart démontré en gris.
export const NIVEAUX = [
  { code: "hausse_forte", couleur: "#b2182b", libelle: "hausse nette (p < 0,1 %)" },
  { code: "hausse", couleur: "#ef8a62", libelle: "hausse (p < 5 %)" },
  { code: "stable", couleur: "#bdbdbd", libelle: "pas d'écart démontré" },
  { code: "baisse", couleur: "#67a9cf", libelle: "baisse (p < 5 %)" },
  { code: "baisse_forte", couleur: "#2166ac", libelle: "baisse nette (p < 0,1 %)" },
];
const COULEURS = Object.fromEntries(NIVEAUX.map((n) => [n.code, n.couleur]));

const virgule = (v, chiffres = 1) => new Intl.NumberFormat("fr-FR", { maximumFractionDigits: chiffres, minimumFractionDigits: chiffres }).format(v);
// Ce qui s'arrondit à zéro s'écrit « 0,0 », sans signe : jamais « −0,0 ».
const signe = (v) => {
  const texte = virgule(Math.abs(v));
  return texte === virgule(0) ? texte : (v > 0 ? "+" : "−") + texte;
};
const faits = (n) => `${nombre(n)} fait${n > 1 ? "s" : ""}`;

function periode(p) {
  return p.from === p.to ? `le ${jour(p.from)}` : `du ${jour(p.from)} au ${jour(p.to)}`;
}

function texteCellule(p) {
  return `A : ${faits(p.count_a)} · B : ${faits(p.count_b)} (A ramené à la durée de B : ${virgule(p.expected_b)}) · z = ${signe(p.z)} · ${p.level === "stable" ? "pas d'écart démontré" : `p = ${virgule(p.p * 100, 2)} %`}`;
}

/** La couche : un hexagone coloré par la lecture de son z (période B contre période A). */
export class Comparaison extends Couche {
  constructor() {
    super("comparaison", "Écart entre deux périodes (z)");
    this.periodes = null; // { from_a, to_a, from_b, to_b }
    this.donnees = null;
    this.groupe = L.geoJSON(null, {
      pane: "hexagones",
      style: (f) => ({ color: "#555", weight: 0.5, opacity: 0.7, fillColor: COULEURS[f.properties.level] || "#bdbdbd", fillOpacity: 0.75 }),
      onEachFeature: (feature, couche) => {
        const p = feature.properties;
        couche.bindTooltip(() => texteSeul(texteCellule(p)), { sticky: true });
        couche.on("add", () => {
          const el = couche.getElement();
          if (el) Object.assign(el.dataset, { h3: p.h3, level: p.level, z: String(p.z), countA: String(p.count_a), countB: String(p.count_b) });
        });
      },
    });
  }

  cle(c) {
    return JSON.stringify([c.filtres, c.res, this.periodes]);
  }

  async charger(c, signal) {
    if (!this.periodes) {
      this.donnees = null;
      this.groupe.clearLayers();
      return;
    }
    // Les deux périodes remplacent celle des filtres ; le reste (catégories, lieux, heures) suit.
    const { from: _f, to: _t, night: _n, ...autres } = c.filtres;
    const donnees = await api("/layers/change", { parametres: { ...autres, ...this.periodes, res: c.res }, signal });
    this.donnees = donnees;
    this.groupe.clearLayers();
    this.groupe.addData(donnees);
  }

  contenuLegende() {
    if (!this.donnees) return h("p", { class: "note" }, "Choisissez deux périodes dans le panneau « Comparer deux périodes ».");
    const m = this.donnees.metadata;
    return [
      h("p", { class: "note" }, `A : ${periode(m.period_a)} (${faits(m.period_a.total)}) · B : ${periode(m.period_b)} (${faits(m.period_b.total)}) · ensemble : z = ${signe(m.z_total)}`),
      h("ul", { class: "legende-ecart" }, NIVEAUX.map((n) => h("li", { dataset: { level: n.code } }, pastille(n.couleur), n.libelle))),
      h("p", { class: "note" }, m.reading),
    ];
  }
}

/** Le panneau : deux périodes (A, la référence ; B, la période comparée), puis « Comparer ». */
export class PanneauComparaison {
  constructor(section, { carte, dernierJour }) {
    this.section = section;
    this.carte = carte;
    this.dernierJour = dernierJour; // une fonction : le dernier jour des données
    this.couche = carte.couche("comparaison");
    this.champs = {};
    const champ = (nom, libelle) => {
      this.champs[nom] = h("input", { type: "date", id: `comparer-${nom}`, name: nom, required: true });
      return [h("label", { for: `comparer-${nom}` }, libelle), this.champs[nom]];
    };
    this.message = h("p", { class: "note", role: "status", id: "comparer-message" });
    this.form = h(
      "form",
      { class: "form-comparaison", onsubmit: (ev) => { ev.preventDefault(); this.comparer(); } },
      h("fieldset", {}, h("legend", {}, "Période A (référence)"), champ("from_a", "Du"), champ("to_a", "au")),
      h("fieldset", {}, h("legend", {}, "Période B (comparée)"), champ("from_b", "Du"), champ("to_b", "au")),
      h(
        "div",
        { class: "actions-filtres" },
        h("button", { type: "button", onclick: () => this.preremplir("semaines") }, "Semaine dernière contre la précédente"),
        h("button", { type: "button", onclick: () => this.preremplir("annee") }, "28 jours contre un an plus tôt"),
        h("button", { type: "submit", class: "principal" }, "Comparer"),
      ),
      this.message,
    );
    remplir(
      section.querySelector(".contenu"),
      h("p", { class: "aide" }, "La carte colore chaque hexagone selon l'écart de B à A (A ramené à la durée de B) : rouge, une hausse que le hasard explique mal ; bleu, une baisse ; gris, pas d'écart démontré, même si le pourcentage paraît grand. Chaque hexagone donne ses deux comptes et le z de Poisson du tableau CompStat. Les autres filtres (catégories, heures, lieu, résolution) sont ceux de la carte."),
      this.form,
    );
    section.hidden = false;
  }

  preremplir(modele) {
    const dernier = this.dernierJour();
    if (!dernier) return;
    let a;
    let b;
    if (modele === "semaines") {
      const s = bornesDuJour("semaine", dernier);
      b = [s.from, s.to];
      a = [decaler(s.from, -7), decaler(s.to, -7)];
    } else {
      b = [decaler(dernier, -27), dernier];
      a = [decaler(b[0], -364), decaler(b[1], -364)];
    }
    [this.champs.from_a.value, this.champs.to_a.value] = a;
    [this.champs.from_b.value, this.champs.to_b.value] = b;
    this.comparer();
  }

  comparer() {
    const v = Object.fromEntries(Object.entries(this.champs).map(([nom, champ]) => [nom, champ.value]));
    if (Object.values(v).some((x) => !x)) {
      this.message.textContent = "Choisissez le premier et le dernier jour de chacune des deux périodes.";
      return;
    }
    if (v.from_a > v.to_a || v.from_b > v.to_b) {
      this.message.textContent = "Une période finit avant de commencer : vérifiez les dates.";
      return;
    }
    this.message.textContent = `Comparaison affichée sur la carte : B (${periode({ from: v.from_b, to: v.to_b })}) contre A (${periode({ from: v.from_a, to: v.to_a })}).`;
    this.couche.periodes = v;
    const carte = this.carte;
    if (!carte.carte.hasLayer(this.couche.groupe)) {
      // Deux aplats sur les mêmes hexagones ne se lisent pas : les faits par hexagone laissent la
      // place à l'écart (leur case les remet).
      const faits = carte.couche("hexagones");
      if (faits && carte.carte.hasLayer(faits.groupe)) carte.carte.removeLayer(faits.groupe);
      this.couche.groupe.addTo(carte.carte);
      carte.quandVue({ couches: carte.visibles().join(",") }); // l'adresse, puis la carte se recharge
    } else if (carte.contexte) {
      carte.actualiser(carte.contexte);
    }
    carte.carte.getContainer().scrollIntoView({ block: "nearest" });
  }
}
