"""Make an HTML page self-contained: every script, style sheet and image inlined.

folium's templates load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs. The pack asks
folium for Leaflet only, by file name; each ``<script src>`` and ``<link href>`` is then
replaced by the file's content, read from the copy that ``npm ci`` installs (node_modules,
exactly as package-lock.json says), the images of the style sheet as data: URIs. An asset with
no local copy is refused: the pack must open in a room with no network.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from observatory.errors import ObservatoryError
from observatory.settings import PROJECT_ROOT

LEAFLET_DIST = PROJECT_ROOT / "node_modules" / "leaflet" / "dist"
LOCAL_ASSETS = {
    "leaflet.js": LEAFLET_DIST / "leaflet.js",
    "leaflet.css": LEAFLET_DIST / "leaflet.css",
}

SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]*)\"[^>]*>\s*</script>", re.IGNORECASE)
LINK_HREF = re.compile(r"<link\b[^>]*\bhref=\"([^\"]*)\"[^>]*/?>", re.IGNORECASE)
CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+\.png)\1\)")
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


def _read(name: str) -> str:
    path = LOCAL_ASSETS.get(Path(name).name)
    if path is None:
        raise ObservatoryError(
            f"Ressource « {name} » sans copie locale : le pack HTML ne peut pas la contenir."
        )
    if not path.is_file():
        raise ObservatoryError(
            f"Leaflet est introuvable ({path}) : lancez « npm ci » à la racine du projet "
            "(« make run » et « make test » le font)."
        )
    return path.read_text(encoding="utf-8")


def _css_with_images(css: str, folder: Path) -> str:
    """The style sheet with its PNG images as data: URIs."""

    def data_uri(found: re.Match[str]) -> str:
        image = (folder / found.group(2)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(image).decode('ascii')})"

    return CSS_URL.sub(data_uri, css)


def inline_assets(html: str) -> str:
    """The page with each script and style sheet it links to written inside it."""

    def script(found: re.Match[str]) -> str:
        code = _read(found.group(1)).replace("</script", "<\\/script")
        return f"<script>\n{code}\n</script>"

    def link(found: re.Match[str]) -> str:
        if "stylesheet" not in found.group(0).lower():
            raise ObservatoryError(f"Lien « {found.group(1)} » inattendu dans le pack HTML.")
        css = _css_with_images(_read(found.group(1)), LEAFLET_DIST).replace("</style", "<\\/style")
        return f"<style>\n{css}\n</style>"

    page = LINK_HREF.sub(link, SCRIPT_SRC.sub(script, html))
    left = remote_references(page)
    if left:
        raise ObservatoryError(f"Le pack HTML référence encore le réseau : {', '.join(left)}.")
    return page


def remote_references(html: str) -> list[str]:
    """Every http(s) address a script, a link or a style sheet of the page would fetch."""
    found = [u for u in SCRIPT_SRC.findall(html) + LINK_HREF.findall(html) if REMOTE.match(u)]
    found += re.findall(r"url\(['\"]?((?:https?:)?//[^)'\"]+)", html)
    found += re.findall(r"@import\s+['\"]?((?:https?:)?//[^'\";]+)", html)
    return found
