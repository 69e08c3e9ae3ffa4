// Classes et couleurs : choroplèthe séquentielle des comptes, points chauds rouge/bleu (Esri).

// ColorBrewer YlOrRd, de 3 à 7 classes : lisible en niveaux de gris, sûr pour les daltoniens.
const YLORRD = {
  3: ["#ffeda0", "#feb24c", "#f03b20"],
  4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
  5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
  6: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
  7: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
};

export const METHODES = { jenks: "seuils naturels (Jenks)", quantiles: "quantiles" };

/** Couleurs séquentielles pour n classes (1 à 7). */
export function palette(n) {
  if (n <= 1) return ["#fd8d3c"];
  if (n === 2) return ["#fecc5c", "#e31a1c"];
  return YLORRD[Math.min(n, 7)];
}

/**
 * Classes de comptes entiers : [{min, max, couleur}], de 5 classes au plus, sans classe vide.
 * « quantiles » : autant de cellules par classe que possible ; « jenks » : seuils naturels.
 */
export function classer(valeurs, methode = "jenks", voulues = 5) {
  const tri = valeurs.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (tri.length === 0) return [];
  const hauts = methode === "jenks" ? seuilsJenks(tri, voulues) : seuilsQuantiles(tri, voulues);
  const couleurs = palette(hauts.length);
  const classes = [];
  let bas = tri[0];
  hauts.forEach((haut, i) => {
    classes.push({ min: bas, max: haut, couleur: couleurs[i] });
    bas = Math.floor(haut) + 1;
  });
  return classes;
}

/**
 * Quantiles pris l'un après l'autre : une borne, puis les quantiles du reste en une classe de
 * moins. Des comptes très répétés (beaucoup d'hexagones à 1 fait) gardent ainsi k classes.
 */
function seuilsQuantiles(tri, k) {
  const hauts = [];
  let debut = 0;
  for (let reste = k; reste > 0 && debut < tri.length; reste -= 1) {
    const n = tri.length - debut;
    const v = tri[debut + Math.max(0, Math.ceil(n / reste) - 1)];
    hauts.push(v);
    while (debut < tri.length && tri[debut] <= v) debut += 1;
  }
  if (debut < tri.length) hauts[hauts.length - 1] = tri[tri.length - 1];
  return hauts;
}

/** Fisher–Jenks sur les valeurs distinctes pondérées par leur effectif (exact, O(k·u²)). */
function seuilsJenks(tri, k) {
  const distinctes = [];
  const poids = [];
  for (const v of tri) {
    if (distinctes.length && distinctes[distinctes.length - 1] === v) poids[poids.length - 1] += 1;
    else {
      distinctes.push(v);
      poids.push(1);
    }
  }
  const u = distinctes.length;
  if (u <= k) return distinctes;
  // Sommes cumulées pour la variance intra-classe de [i, j] en O(1).
  const w = [0];
  const s = [0];
  const s2 = [0];
  for (let i = 0; i < u; i += 1) {
    w.push(w[i] + poids[i]);
    s.push(s[i] + poids[i] * distinctes[i]);
    s2.push(s2[i] + poids[i] * distinctes[i] * distinctes[i]);
  }
  const cout = (i, j) => {
    const n = w[j + 1] - w[i];
    const somme = s[j + 1] - s[i];
    return s2[j + 1] - s2[i] - (somme * somme) / n;
  };
  // meilleur[c][j] : coût minimal de [0, j] en c + 1 classes ; debut[c][j] : début de la dernière.
  const meilleur = [Array.from({ length: u }, (_, j) => cout(0, j))];
  const debut = [Array(u).fill(0)];
  for (let c = 1; c < k; c += 1) {
    meilleur.push(Array(u).fill(Infinity));
    debut.push(Array(u).fill(0));
    for (let j = c; j < u; j += 1) {
      for (let i = c; i <= j; i += 1) {
        const total = meilleur[c - 1][i - 1] + cout(i, j);
        if (total < meilleur[c][j]) {
          meilleur[c][j] = total;
          debut[c][j] = i;
        }
      }
    }
  }
  const hauts = [];
  let j = u - 1;
  for (let c = k - 1; c >= 0; c -= 1) {
    hauts.unshift(distinctes[j]);
    j = debut[c][j] - 1;
  }
  return hauts;
}

/** La couleur de la classe d'une valeur. */
export function couleurDe(classes, valeur) {
  for (const c of classes) if (valeur <= c.max) return c.couleur;
  return classes.length ? classes[classes.length - 1].couleur : "#cccccc";
}

// Analyse des points chauds (Getis–Ord Gi*) : les 7 classes et les couleurs d'Esri.
export const CLASSES_GI = [
  { code: "hot_99", libelle: "Point chaud, confiance 99 %", couleur: "#d62f27" },
  { code: "hot_95", libelle: "Point chaud, confiance 95 %", couleur: "#ed7551" },
  { code: "hot_90", libelle: "Point chaud, confiance 90 %", couleur: "#fab984" },
  { code: "not_significant", libelle: "Non significatif", couleur: "#ffffbf" },
  { code: "cold_90", libelle: "Point froid, confiance 90 %", couleur: "#c0ccbe" },
  { code: "cold_95", libelle: "Point froid, confiance 95 %", couleur: "#849eba" },
  { code: "cold_99", libelle: "Point froid, confiance 99 %", couleur: "#4575b5" },
];

// Points chauds émergents : rouges pour les motifs chauds, bleus pour leurs jumeaux froids.
const MOTIFS = ["new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical"];
const ROUGES = ["#fcbba1", "#fc9272", "#ef3b2c", "#a50f15", "#fb6a4a", "#f4a582", "#d6604d", "#67000d"];
const BLEUS = ["#c6dbef", "#9ecae1", "#4292c6", "#08306b", "#6baed6", "#92c5de", "#4393c3", "#08519c"];

export function couleurMotif(code) {
  const [motif, sens] = String(code || "").split("_");
  const i = MOTIFS.indexOf(motif);
  if (i < 0 || !["hot", "cold"].includes(sens)) return null; // « no_pattern » : pas de couleur
  return sens === "hot" ? ROUGES[i] : BLEUS[i];
}

export function ordreMotif(code) {
  const [motif, sens] = String(code || "").split("_");
  const i = MOTIFS.indexOf(motif);
  return (sens === "cold" ? 100 : 0) + (i < 0 ? 50 : i);
}

/** Classe CSS d'un z de Poisson (CompStat, état 4001) : rouge si hausse, bleu si baisse. */
export function classeZ(z) {
  if (z === null || z === undefined) return "";
  if (z >= 3) return "z-p3";
  if (z >= 2) return "z-p2";
  if (z >= 1) return "z-p1";
  if (z <= -3) return "z-m3";
  if (z <= -2) return "z-m2";
  if (z <= -1) return "z-m1";
  return "";
}
