// La documentation de l'API (/docs) : Swagger UI, installé par npm et servi sous /vendor.
// Ce fichier remplace le script en ligne de la page de FastAPI, que la CSP refuserait.

const zone = document.getElementById("swagger-ui");

if (typeof SwaggerUIBundle === "function") {
  window.ui = SwaggerUIBundle({
    url: zone.dataset.openapi,
    dom_id: "#swagger-ui",
    // Pas de badge du validateur en ligne : la page ne demande rien hors du serveur.
    validatorUrl: null,
    deepLinking: true,
  });
} else {
  const message = document.getElementById("docs-attente");
  message.textContent =
    "Swagger UI n'est pas installé sur le serveur : lancez « npm ci » à la racine du projet (make run le fait). La description OpenAPI reste lisible ici : ";
  const lien = document.createElement("a");
  lien.href = zone.dataset.openapi;
  lien.textContent = zone.dataset.openapi;
  message.append(lien, ".");
}
