// Les tableaux de la page en CSV pour Excel : UTF-8 avec BOM, séparateur « ; », virgule décimale.
//
// Le fichier reprend le tableau tel que le panneau l'a construit à partir du JSON de l'API : les
// en-têtes sur plusieurs lignes (CompStat) sont mis bout à bout, les nombres écrits « 1 093 » ou
// « −3,5 % » redeviennent des nombres qu'Excel lit (1093 ; -3,5 %), et une cellule de texte qui
// commence comme une formule (= + - @) est neutralisée par une apostrophe, comme les exports du
// serveur.

// « 1 093 », « −3,5 % », « +1,49 » : des chiffres groupés par trois, comme dom.js les écrit.
const NOMBRE = /^[+\u2212-]?(\d+|\d{1,3}( \d{3})+)(,\d+)?( ?%)?$/;
const FORMULE = /^[=+\-@\t\r]/;

/** La valeur d'une cellule telle qu'elle ira dans le fichier. */
export function valeurCsv(texte) {
  const propre = texte.replace(/\s+/g, " ").trim();
  if (NOMBRE.test(propre)) {
    const pourcent = propre.endsWith("%");
    const chiffres = propre.replace(/[\s\u00a0\u202f%+]/g, "").replace("\u2212", "-");
    return pourcent ? `${chiffres} %` : chiffres;
  }
  return FORMULE.test(propre) ? `'${propre}` : propre;
}

/** Les lignes d'un tableau HTML, fusions (colspan, rowspan) dépliées ; l'en-tête en une ligne,
 *  chaque titre passé par « entete » s'il est donné. */
export function lignesTableau(table, entete = (t) => t) {
  const grille = [];
  const hauteur = table.tHead ? table.tHead.rows.length : 0;
  [...table.rows].forEach((tr, i) => {
    grille[i] = grille[i] || [];
    let col = 0;
    for (const cellule of tr.cells) {
      while (grille[i][col] !== undefined) col += 1;
      const texte = cellule.textContent;
      for (let r = 0; r < cellule.rowSpan; r += 1) {
        for (let c = 0; c < cellule.colSpan; c += 1) {
          grille[i + r] = grille[i + r] || [];
          grille[i + r][col + c] = texte;
        }
      }
      col += cellule.colSpan;
    }
  });
  const largeur = Math.max(0, ...grille.map((l) => l.length));
  const titres = [];
  for (let c = 0; c < largeur; c += 1) {
    const morceaux = [];
    for (let r = 0; r < hauteur; r += 1) {
      const t = (grille[r][c] || "").replace(/\s+/g, " ").trim();
      if (t && !morceaux.includes(t)) morceaux.push(t);
    }
    titres.push(entete(morceaux.join(" – ")));
  }
  const corps = grille.slice(hauteur).map((l) => Array.from({ length: largeur }, (_, c) => valeurCsv(l[c] || "")));
  return hauteur ? [titres.map(valeurCsv), ...corps] : corps;
}

function cellule(valeur) {
  return /[;"\r\n]/.test(valeur) ? `"${valeur.replace(/"/g, '""')}"` : valeur;
}

/** Le texte CSV de ces lignes (BOM, « ; », fins de ligne CRLF). */
export function texteCsv(lignes) {
  return `\ufeff${lignes.map((l) => l.map(cellule).join(";")).join("\r\n")}\r\n`;
}

/** « compstat_2025-01-01_au_2025-12-31.csv », comme les exports du serveur. */
export function nomFichier(souche, du, au, extension = "csv") {
  const periode = du && au ? `${du}_au_${au}` : du ? `depuis_le_${du}` : au ? `jusqu_au_${au}` : "toute_la_periode";
  return `${souche}_${periode}.${extension}`;
}
