#!/usr/bin/env bash
# Installs what the project needs from the system's packages when it is missing:
# python3-venv, PostgreSQL and PostGIS, Redis (the offline geocoder's reference), Node.js and
# npm (the map's JavaScript libraries come from the npm registry); with --browser, Chromium and
# poppler-utils too (the end-to-end tests drive Chromium, the pack tests read PDFs with
# pdftotext; `make run` needs neither).
# Idempotent and quiet when everything is there.
set -euo pipefail

browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    *) echo "Option inconnue : $arg (seule --browser existe)" >&2; exit 2 ;;
  esac
done

need=()

if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need+=(python3-venv)
fi

pg_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

bindir=$(pg_bindir || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  need+=(postgresql)
  pg_version=""
else
  pg_version=$("$bindir/postgres" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')
  sharedir="/usr/share/postgresql/$pg_version"
  [ -f "$sharedir/extension/postgis.control" ] || need+=("postgresql-$pg_version-postgis-3")
fi

# The geocoder's project-local Redis (observatory geocoder start).
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  need+=(redis-server)
fi

command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

# Debian's Chromium (Playwright's own browser download cannot work on a closed network).
if [ "$browser" -eq 1 ] && ! command -v chromium >/dev/null 2>&1; then
  need+=(chromium)
fi
# pdftotext, pdfinfo and pdfimages: the tests read the CLSPD pack's PDF with them.
if [ "$browser" -eq 1 ] && ! command -v pdftotext >/dev/null 2>&1; then
  need+=(poppler-utils)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Paquets système manquants : ${need[*]}." >&2
  echo "Installez-les avec le gestionnaire de paquets de votre système : PostgreSQL (15 ou" >&2
  echo "plus) et PostGIS 3 (ou définissez DATABASE_URL vers une base PostGIS existante)," >&2
  echo "Redis (redis-server, pour le géocodeur)," >&2
  echo "Node.js et npm, Chromium et poppler-utils pour les tests." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "Il faut être root (ou avoir sudo) pour installer : ${need[*]}" >&2; exit 1
  fi
fi

echo "Installation des paquets système : ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

# A fresh PostgreSQL brings no PostGIS: add the one matching its version.
if [ -z "$pg_version" ]; then
  bindir=$(pg_bindir)
  pg_version=$("$bindir/postgres" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')
  if [ ! -f "/usr/share/postgresql/$pg_version/extension/postgis.control" ]; then
    $sudo apt-get install -y -qq --no-install-recommends "postgresql-$pg_version-postgis-3" >/dev/null
  fi
fi
