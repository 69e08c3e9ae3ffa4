// Les tableaux plus larges que leur panneau (tablette) : un repère visible au bord coupé, tant
// qu'il reste à faire défiler de ce côté (classes lues par css/tablette.css).

function marquer(boite) {
  const reste = boite.scrollWidth - boite.clientWidth - boite.scrollLeft;
  boite.classList.toggle("deborde-droite", reste > 1);
  boite.classList.toggle("deborde-gauche", boite.scrollLeft > 1);
}

/** Suit chaque « .defilement » de la racine, même ceux que les panneaux redessinent. */
export function suivreDefilements(racine = document.body) {
  let prevu = false;
  const tout = () => {
    prevu = false;
    for (const boite of racine.querySelectorAll(".defilement")) marquer(boite);
  };
  const plusTard = () => {
    if (prevu) return;
    prevu = true;
    requestAnimationFrame(tout);
  };
  // Le défilement ne remonte pas : on l'écoute en phase de capture.
  document.addEventListener("scroll", (ev) => ev.target.classList?.contains("defilement") && marquer(ev.target), true);
  window.addEventListener("resize", plusTard);
  // Les changements de la carte (Leaflet, à chaque déplacement) ne touchent aucun tableau.
  const horsCarte = (r) => !(r.target.closest && r.target.closest(".leaflet-container"));
  new MutationObserver((changements) => changements.some(horsCarte) && plusTard()).observe(racine, { childList: true, subtree: true });
  tout();
}
