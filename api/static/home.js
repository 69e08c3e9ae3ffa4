// Tells whether the service is ready, from /readyz.
(async () => {
  const el = document.getElementById("etat");
  try {
    const res = await fetch("/readyz");
    const body = await res.json();
    el.textContent = res.ok ? "Service prêt : base de données joignable et à jour."
                            : "Service indisponible : " + body.detail;
    el.className = res.ok ? "ok" : "ko";
  } catch (e) {
    el.textContent = "Service injoignable.";
    el.className = "ko";
  }
})();
