"""Real places of Toulouse: the hotspot centres and the streets that name an address."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Hotspot:
    """A centre of concentration: facts fall around it with a Gaussian spread."""

    name: str
    kind: str
    lon: float
    lat: float
    sigma_m: float
    weight: float = 1.0
    polygon: BaseGeometry | None = None  # for a QPV: its (repaired) outline


# Real places of Toulouse (approximate positions). Kinds: centre, nightlife, station, shops,
# transport, university, hospital, qpv, residential.
NAMED_HOTSPOTS: tuple[Hotspot, ...] = (
    Hotspot("Capitole", "centre", 1.4437, 43.6045, 220, 2.0),
    Hotspot("Esquirol", "centre", 1.4430, 43.6005, 180),
    Hotspot("Jean-Jaurès - Wilson", "centre", 1.4480, 43.6060, 200, 1.5),
    Hotspot("Saint-Georges", "centre", 1.4480, 43.6005, 150),
    Hotspot("Place Saint-Pierre", "nightlife", 1.4365, 43.6035, 120, 2.0),
    Hotspot("Arnaud-Bernard", "nightlife", 1.4400, 43.6105, 130, 1.5),
    Hotspot("Carmes", "nightlife", 1.4440, 43.5975, 130),
    Hotspot("Wilson - Victor Hugo", "nightlife", 1.4480, 43.6070, 150, 1.2),
    Hotspot("Daurade - Prairie des Filtres", "nightlife", 1.4375, 43.6000, 150, 0.8),
    Hotspot("Gare Matabiau", "station", 1.4536, 43.6113, 140, 2.0),
    Hotspot("Jeanne d'Arc", "station", 1.4470, 43.6115, 120, 0.6),
    Hotspot("Rue d'Alsace-Lorraine", "shops", 1.4450, 43.6025, 140, 2.0),
    Hotspot("Saint-Georges (commerces)", "shops", 1.4480, 43.6005, 120),
    Hotspot("Compans-Caffarelli", "shops", 1.4340, 43.6110, 160, 0.8),
    Hotspot("Saint-Cyprien", "shops", 1.4320, 43.5985, 160, 0.8),
    Hotspot("Minimes", "shops", 1.4350, 43.6220, 160, 0.6),
    Hotspot("Purpan (commerces)", "shops", 1.3995, 43.6160, 180, 0.7),
    Hotspot("Basso Cambo", "transport", 1.3920, 43.5700, 150),
    Hotspot("Borderouge", "transport", 1.4530, 43.6410, 150),
    Hotspot("Saint-Michel - Marcel Langer", "transport", 1.4470, 43.5890, 150, 0.7),
    Hotspot("Patte d'Oie", "transport", 1.4240, 43.5960, 130, 0.7),
    Hotspot("Marengo - SNCF", "transport", 1.4580, 43.6080, 150, 0.6),
    Hotspot("Université Jean Jaurès (Mirail)", "university", 1.4040, 43.5780, 220),
    Hotspot("Université Paul Sabatier (Rangueil)", "university", 1.4680, 43.5620, 300, 1.2),
    Hotspot("Arsenal - Capitole", "university", 1.4350, 43.6080, 150, 0.6),
    Hotspot("CHU Purpan", "hospital", 1.3990, 43.6075, 180),
    Hotspot("CHU Rangueil", "hospital", 1.4530, 43.5600, 180, 0.6),
    Hotspot("Reynerie", "qpv", 1.4020, 43.5725, 220, 1.5),
    Hotspot("Bellefontaine", "qpv", 1.3975, 43.5650, 220, 1.2),
    Hotspot("Bagatelle", "qpv", 1.4115, 43.5805, 200, 1.2),
    Hotspot("Lardenne", "residential", 1.3800, 43.5980, 600),
    Hotspot("Saint-Simon", "residential", 1.3740, 43.5620, 600),
    Hotspot("Côte Pavée", "residential", 1.4750, 43.5950, 500),
    Hotspot("Pouvourville", "residential", 1.4550, 43.5600, 500),
    Hotspot("Sept Deniers", "residential", 1.4150, 43.6250, 500),
    Hotspot("Croix-Daurade", "residential", 1.4690, 43.6320, 500),
    Hotspot("Roseraie", "residential", 1.4750, 43.6195, 450),
    Hotspot("Montaudran", "residential", 1.4820, 43.5740, 500),
)

# Real Toulouse streets (approximate positions): a fact gets the nearest one as its address.
STREETS: tuple[tuple[str, float, float], ...] = (
    ("place du Capitole", 1.4437, 43.6045),
    ("rue d'Alsace-Lorraine", 1.4452, 43.6028),
    ("rue de Metz", 1.4445, 43.6003),
    ("rue Saint-Rome", 1.4430, 43.6030),
    ("rue du Taur", 1.4420, 43.6070),
    ("rue Pargaminières", 1.4390, 43.6040),
    ("place Saint-Pierre", 1.4365, 43.6035),
    ("place Arnaud-Bernard", 1.4400, 43.6105),
    ("rue des Filatiers", 1.4420, 43.5990),
    ("place des Carmes", 1.4440, 43.5970),
    ("place Saint-Georges", 1.4480, 43.6005),
    ("boulevard Carnot", 1.4500, 43.6020),
    ("rue de Rémusat", 1.4460, 43.6065),
    ("place Wilson", 1.4480, 43.6060),
    ("allées Jean-Jaurès", 1.4520, 43.6080),
    ("boulevard de Strasbourg", 1.4490, 43.6085),
    ("rue Bayard", 1.4510, 43.6095),
    ("boulevard Pierre-Semard", 1.4530, 43.6112),
    ("rue Matabiau", 1.4470, 43.6110),
    ("avenue de Lyon", 1.4560, 43.6140),
    ("rue du Faubourg Bonnefoy", 1.4620, 43.6150),
    ("rue de la Colombette", 1.4540, 43.6040),
    ("rue Gabriel Péri", 1.4530, 43.6050),
    ("boulevard de Bonrepos", 1.4560, 43.6110),
    ("avenue Camille Pujol", 1.4660, 43.6010),
    ("rue Louis Plana", 1.4650, 43.6060),
    ("avenue de la Gloire", 1.4720, 43.6085),
    ("avenue Jean Chaubet", 1.4830, 43.6120),
    ("route d'Agde", 1.4850, 43.6230),
    ("chemin de Gabardie", 1.4950, 43.6290),
    ("avenue de Castres", 1.4780, 43.5980),
    ("avenue Jean Rieux", 1.4680, 43.5930),
    ("avenue Antoine de Saint-Exupéry", 1.4750, 43.5760),
    ("route de Revel", 1.4900, 43.5800),
    ("avenue de Lespinet", 1.4700, 43.5750),
    ("route de Narbonne", 1.4630, 43.5650),
    ("avenue de Rangueil", 1.4550, 43.5760),
    ("chemin de Pouvourville", 1.4560, 43.5560),
    ("avenue Crampel", 1.4530, 43.5890),
    ("grande rue Saint-Michel", 1.4470, 43.5890),
    ("rue des Récollets", 1.4460, 43.5810),
    ("avenue de l'URSS", 1.4470, 43.5830),
    ("avenue Jean Moulin", 1.4420, 43.5790),
    ("avenue de Muret", 1.4300, 43.5850),
    ("rue de la République", 1.4310, 43.5990),
    ("allées Charles-de-Fitte", 1.4300, 43.5970),
    ("avenue Étienne Billières", 1.4270, 43.5990),
    ("avenue de Grande-Bretagne", 1.4150, 43.6010),
    ("avenue de Lombez", 1.4190, 43.5960),
    ("avenue Paul Séjourné", 1.4230, 43.5930),
    ("rue de Cugnaux", 1.4220, 43.5880),
    ("boulevard Déodat de Séverac", 1.4180, 43.5880),
    ("avenue Frédéric Estèbe", 1.4100, 43.5870),
    ("rue Henri Desbals", 1.4150, 43.5810),
    ("avenue du Général Eisenhower", 1.4200, 43.5740),
    ("avenue de Reynerie", 1.4010, 43.5720),
    ("allée de Bellefontaine", 1.3990, 43.5660),
    ("route de Seysses", 1.4080, 43.5620),
    ("route de Saint-Simon", 1.3800, 43.5610),
    ("chemin de Basso Cambo", 1.3910, 43.5700),
    ("avenue de Lardenne", 1.3830, 43.5960),
    ("avenue de Casselardit", 1.4100, 43.6100),
    ("place du Docteur Baylac", 1.3990, 43.6070),
    ("route de Blagnac", 1.4070, 43.6230),
    ("boulevard de Suisse", 1.4230, 43.6190),
    ("boulevard de l'Embouchure", 1.4260, 43.6130),
    ("boulevard Lascrosses", 1.4345, 43.6100),
    ("avenue des Minimes", 1.4330, 43.6230),
    ("avenue des États-Unis", 1.4320, 43.6300),
    ("avenue de Fronton", 1.4410, 43.6300),
    ("chemin des Izards", 1.4450, 43.6400),
    ("chemin de Lalande", 1.4380, 43.6540),
    ("route de Launaguet", 1.4530, 43.6480),
    ("boulevard André Netwiller", 1.4530, 43.6410),
    ("route d'Albi", 1.4600, 43.6300),
    ("chemin de Ginestous", 1.4130, 43.6500),
)
