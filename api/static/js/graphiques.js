// Aides communes aux graphiques Chart.js : une légende jamais coupée, des années sans trou caché.

/** Agrandit la boîte du graphique jusqu'à ce que toute la légende y tienne : Chart.js réserve à
 *  la légende au plus la moitié de la hauteur et coupe les entrées qui dépassent (tablette). */
export function legendeEntiere(graphique, essais = 6) {
  const boite = graphique.canvas.parentElement;
  for (let i = 0; i < essais; i += 1) {
    const legende = graphique.legend;
    if (!legende?.legendHitBoxes?.length) return;
    const bas = Math.max(...legende.legendHitBoxes.map((b) => b.top + b.height));
    const manque = Math.ceil(bas - legende.bottom);
    if (manque <= 0) return;
    boite.style.height = `${boite.clientHeight + manque * 2 + 8}px`;
    graphique.resize();
  }
}

/** Chaque année de la première à la dernière, même celles sans chiffre. */
export function anneesDeLaPlage(presentes) {
  if (!presentes.length) return [];
  const debut = Math.min(...presentes);
  const fin = Math.max(...presentes);
  return Array.from({ length: fin - debut + 1 }, (_, i) => debut + i);
}

/** « 2021, 2022 et 2023 » */
export function listeFrancaise(valeurs) {
  const textes = valeurs.map(String);
  return textes.length > 1 ? `${textes.slice(0, -1).join(", ")} et ${textes.at(-1)}` : textes.join("");
}
