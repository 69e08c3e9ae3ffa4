"""Synthetic municipal-police incidents over real geography, and a hand-made messy export.

No French open data set publishes incident-level records, so the project's incident samples
are generated: a seeded, vectorised model of where and when the facts of a municipal police
happen, drawn over a real commune outline and its real QPV. Nothing here touches a database.

Municipal export format (what `write_municipal_csv` writes)
-----------------------------------------------------------
The format most French municipal tools (main courante, CSU, police municipale software)
can export, reduced to its usual columns:

* UTF-8 without BOM, ``;`` separator, one line per fact, ``\\n`` line ends, no quoting (no value
  contains a ``;``);
* header (one line)
  ``numero;date_faits;heure_faits;date_fin;heure_fin;nature;adresse;code_insee;longitude;latitude``;
* ``numero``: the tool's reference of the fact, unique: ``PM`` + département + year of the
  fact + sequence number in that year, e.g. ``PM31-2024-000123``;
* ``date_faits`` ``dd/mm/yyyy`` and ``heure_faits`` ``hh:mm``: local wall-clock time
  (Europe/Paris) of the fact, or of the start of the interval when the fact is only known to
  lie in one (a burglary found in the evening: left at 8:05, back at 18:20);
* ``date_fin`` / ``heure_fin``: end of that interval, empty for a point fact;
* ``nature``: the category as the agent's software spells it: the French label of the
  nomenclature (`observatory.categories`) or one of its aliases, sometimes in capitals, with
  or without accents ("Vol à l'étalage", "VOL A L'ETALAGE", "Vol en magasin", "IPM");
* ``adresse``: a street-like string ("12 rue Bayard"), the nearest of a short list of real
  Toulouse streets (approximate positions), with a synthetic house number;
* ``code_insee``: INSEE code of the commune (31555 for Toulouse);
* ``longitude`` / ``latitude``: WGS84 degrees with a decimal comma and 6 decimals.

The model
---------
Each category of the nomenclature has a share of the facts, a weekday x hour profile (night and
Friday/Saturday-night facts for tapage, rixe and ivresse publique; shop hours for vol à
l'étalage; weekday day time for cambriolage de logement; rush hours for accidents; ...), a mild
seasonality (cosine over the year, peak month per category) with a few special nights (fête de
la musique, 14 juillet, Saint-Sylvestre), an optional slight yearly trend, and a mix of places:
a diffuse background uniform over the commune and Gaussian hotspots around a few dozen centres
(Capitole and the city centre, nightlife streets, Matabiau station, shopping streets, metro
hubs, universities, the hospital, and the QPV: the representative point of every QPV polygon
given, plus the Grand Mirail sub-areas Reynerie, Bellefontaine, Bagatelle). Named centres
that fall outside the commune given are dropped, so the generator works for any commune.
Every point lies inside the commune polygon (rejection sampling with `shapely.contains_xy`,
on the coordinates rounded to the 6 decimals that are written).

About 10 % of the facts are intervals: cambriolage de logement (left ~8h, back ~18h, sometimes
a holiday absence of days), vehicle thefts and damage (parked ~22h, found ~7h), commercial
burglaries (closed in the evening, found at the next opening), bicycle thefts.

Planted signals, for the trend and hotspot analyses to find:

* ``trafic_stupefiants`` rising inside the QPV Empalot (QN03109M; else the first QPV given):
  an extra component drawn inside that QPV whose intensity ramps linearly x9 over the period;
* ``rodeo_urbain``: a new hotspot in the QPV Izards - 3 Cocus - La Vache (QN03110M; else the
  second QPV given) from the 13th month on (an emerging "new" hotspot);
* ``vol_velo`` +15 %/year and ``escroquerie`` +20 %/year city-wide, ``cambriolage_logement``
  -10 %/year.

Local times that do not exist (the spring DST gap, 02:00-02:59 on the last Sunday of March) are
moved one hour later: a clean export has none (the messy sample has one on purpose).

Command line::

    python -m benchmarks.synthetic --seed 42 --rows 30000 --out data/samples/incidents_toulouse.csv
    python -m benchmarks.synthetic --messy data/samples/municipal_messy.csv

1,000,000 rows take a few seconds (everything is vectorised numpy/pandas).

Layout: `defaults` (paths and defaults), `places` (hotspot centres and streets),
`time_profiles` and `components` (the model), `spellings` (natures), `geography` (the commune,
points, addresses), `timing` (days, hours, intervals, DST), `generator`, `municipal` (the CSV
export), `messy` (the messy sample, rows in `messy_rows.toml`), `cli` (``python -m``);
`etat4001` (the état 4001 samples, its own ``python -m benchmarks.synthetic.etat4001``).
"""

from __future__ import annotations

from benchmarks.synthetic.cli import main
from benchmarks.synthetic.components import COMPONENTS, Component
from benchmarks.synthetic.defaults import (
    DEFAULT_COMMUNE,
    DEFAULT_MONTHS,
    DEFAULT_QPV,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    DEFAULT_START,
    REPO_ROOT,
    SAMPLES,
)
from benchmarks.synthetic.generator import generate_incidents
from benchmarks.synthetic.messy import (
    MESSY_HEADER,
    MESSY_QUIRKS,
    MESSY_ROWS,
    messy_sample_bytes,
    write_messy_sample,
)
from benchmarks.synthetic.municipal import (
    MUNICIPAL_COLUMNS,
    municipal_csv_bytes,
    write_municipal_csv,
)
from benchmarks.synthetic.places import NAMED_HOTSPOTS, STREETS, Hotspot
from benchmarks.synthetic.spellings import NATURE_SPELLINGS, nature_spellings

__all__ = [
    "COMPONENTS",
    "DEFAULT_COMMUNE",
    "DEFAULT_MONTHS",
    "DEFAULT_QPV",
    "DEFAULT_ROWS",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "MESSY_HEADER",
    "MESSY_QUIRKS",
    "MESSY_ROWS",
    "MUNICIPAL_COLUMNS",
    "NAMED_HOTSPOTS",
    "NATURE_SPELLINGS",
    "REPO_ROOT",
    "SAMPLES",
    "STREETS",
    "Component",
    "Hotspot",
    "generate_incidents",
    "main",
    "messy_sample_bytes",
    "municipal_csv_bytes",
    "nature_spellings",
    "write_messy_sample",
    "write_municipal_csv",
]
