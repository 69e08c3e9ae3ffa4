"""The words of French street names: kinds of way, and names with the article they take."""

from __future__ import annotations

# Kinds of way as the BAN writes them (capitalised), their weight, and the length range (m).
KINDS: tuple[tuple[str, float, tuple[int, int]], ...] = (
    ("Rue", 45, (80, 350)),
    ("Avenue", 11, (250, 900)),
    ("Chemin", 12, (200, 700)),
    ("Impasse", 10, (50, 140)),
    ("Allée", 10, (80, 250)),
    ("Boulevard", 4, (300, 900)),
    ("Place", 4, (30, 60)),
    ("Route", 4, (300, 1000)),
)

# People: « Rue Victor Hugo », no article.
PEOPLE: tuple[str, ...] = (
    "Victor Hugo",
    "Jean Jaurès",
    "Jules Ferry",
    "Pasteur",
    "Gambetta",
    "Émile Zola",
    "Jean Moulin",
    "Charles de Gaulle",
    "Georges Clemenceau",
    "Léon Blum",
    "Pierre et Marie Curie",
    "Anatole France",
    "Paul Bert",
    "Gabriel Péri",
    "Aristide Briand",
    "Lazare Carnot",
    "Frédéric Mistral",
    "Alphonse Daudet",
    "Jules Guesde",
    "Pierre-Paul Riquet",
    "Clémence Isaure",
    "Antoine de Saint-Exupéry",
    "Marcel Pagnol",
    "Simone Veil",
    "Olympe de Gouges",
    "Jacques Brel",
    "Georges Brassens",
    "Claude Nougaro",
    "Henri Matisse",
    "Vincent Auriol",
    "Jean Rostand",
    "Maurice Ravel",
    "Hector Berlioz",
    "Gustave Eiffel",
    "Louise Michel",
    "George Sand",
    "Albert Camus",
    "Paul Valéry",
    "Edmond Rostand",
    "Jean Mermoz",
    "Clément Ader",
    "Germaine Tillion",
    "Jean-Baptiste Lully",
    "Camille Claudel",
    "Nelson Mandela",
    "Salvador Allende",
    "Marie Laurencin",
    "Émile Littré",
)

# « de la » before a feminine word, « du » a masculine one, « des » a plural, « de l' » a vowel.
FEMININE: tuple[str, ...] = (
    "République",
    "Liberté",
    "Paix",
    "Gare",
    "Fontaine",
    "Poste",
    "Mairie",
    "Croix",
    "Garonne",
    "Colline",
    "Source",
    "Forêt",
    "Prairie",
    "Tuilerie",
    "Briqueterie",
    "Chapelle",
    "Résistance",
    "Libération",
    "Concorde",
    "Halle",
    "Pomme",
    "Bourse",
    "Dalbade",
    "Ménude",
)
MASCULINE: tuple[str, ...] = (
    "Capitole",
    "Moulin",
    "Stade",
    "Château",
    "Pont",
    "Canal",
    "Lavoir",
    "Marché",
    "Four",
    "Bois",
    "Parc",
    "Midi",
    "Languedoc",
    "Taur",
    "Ramier",
    "Touch",
    "Lauragais",
    "Pigeonnier",
    "8 Mai 1945",
    "19 Mars 1962",
    "11 Novembre 1918",
    "14 Juillet",
)
PLURAL: tuple[str, ...] = (
    "Étangs",
    "Tilleuls",
    "Lilas",
    "Acacias",
    "Peupliers",
    "Platanes",
    "Chênes",
    "Lauriers",
    "Écoles",
    "Jardins",
    "Vignes",
    "Violettes",
    "Roses",
    "Mimosas",
    "Cèdres",
    "Pins",
    "Sports",
    "Fleurs",
    "Coteaux",
    "Pyrénées",
    "Arts",
    "Lois",
    "Frères Lumière",
    "Anciens Combattants",
    "Vergers",
)
VOWEL: tuple[str, ...] = (
    "Église",
    "Europe",
    "Hers",
    "Industrie",
    "Hôpital",
    "Observatoire",
    "Aérodrome",
    "Orme",
    "Abbaye",
    "Étoile",
    "Union",
    "Ancienne Poste",
)
# Towns a road leads to: « Route de Narbonne », « Avenue d'Albi ».
TOWNS: tuple[str, ...] = (
    "Narbonne",
    "Paris",
    "Lyon",
    "Bayonne",
    "Albi",
    "Espagne",
    "Castres",
    "Saint-Simon",
    "Grenade",
    "Muret",
    "Auch",
    "Revel",
    "Seysses",
    "Fronton",
    "Launaguet",
    "Agen",
)
# Lieux-dits: a place with no kind of way (addok's « locality »).
LOCALITIES: tuple[str, ...] = (
    "Les Argoulets",
    "La Terrasse",
    "Le Mirail",
    "Borderouge",
    "Lalande",
    "La Cépière",
    "Le Bousquet",
    "Les Trois Cocus",
    "En Jacca",
    "Le Ramelet",
    "Las Bordes",
    "La Salade",
    "Lasbordes",
    "Le Grand Selve",
)

# Postcodes: Toulouse's by district (the centre, then by direction), one for each neighbour.
TOULOUSE_CENTRE = (1.4440, 43.6045)
TOULOUSE_POSTCODES = {
    "centre": "31000",
    "north": "31200",
    "east": "31500",
    "south": "31400",
    "southwest": "31100",
    "west": "31300",
}
POSTCODES = {"31069": "31700", "31149": "31770", "31157": "31270"}


def with_article(word: str, kind: str) -> str:
    """« de la République », « du Capitole », « des Étangs », « de l'Église », « d'Albi »."""
    if kind == "feminine":
        return f"de la {word}"
    if kind == "masculine":
        return f"du {word}"
    if kind == "plural":
        return f"des {word}"
    if kind == "vowel":
        return f"de l'{word}"
    if kind == "town":
        return f"d'{word}" if word[0] in "AEIOUÉÈ" else f"de {word}"
    return word
