"""Plain-language wording of reasons, exclusions and evidence in fr, ar and en.

Counsellors read these during the interview; they must be short, concrete and
say which way a factor pushes the estimate. ``{pts}`` is filled with the signed
effect in percentage points.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("fr", "ar", "en")

REASON_TEXT: Final[dict[str, dict[str, tuple[str, str]]]] = {
    # factor: {lang: (text when it raises the score, text when it lowers it)}
    "training": {
        "fr": ("Formation dans un métier du projet", "Pas de formation dans les métiers du projet"),
        "ar": ("تكوين في إحدى حرف المشروع", "لا يوجد تكوين في حرف المشروع"),
        "en": ("Trained in a trade this project needs", "No training in the project's trades"),
    },
    "experience": {
        "fr": (
            "Expérience professionnelle dans le métier",
            "Peu ou pas d'expérience dans le métier",
        ),
        "ar": ("خبرة مهنية في الحرفة", "خبرة قليلة أو منعدمة في الحرفة"),
        "en": ("Work experience in the trade", "Little or no experience in the trade"),
    },
    "education": {
        "fr": (
            "Niveau d'études suffisant pour ce projet",
            "Niveau d'études en dessous de l'attendu",
        ),
        "ar": ("مستوى دراسي كاف لهذا المشروع", "مستوى دراسي أقل من المطلوب"),
        "en": ("Education level suits this project", "Education below what this project expects"),
    },
    "preference": {
        "fr": ("Secteur souhaité par la personne", "Secteur que la personne n'a pas choisi"),
        "ar": ("قطاع يرغب فيه المستفيد", "قطاع لم يختره المستفيد"),
        "en": ("A sector the person wants", "Not a sector the person asked for"),
    },
    "age_demand": {
        "fr": ("Effort physique adapté à l'âge", "Effort physique lourd pour l'âge"),
        "ar": ("الجهد البدني مناسب للسن", "جهد بدني ثقيل بالنسبة للسن"),
        "en": (
            "Physical demand suits the person's age",
            "Physically demanding for the person's age",
        ),
    },
    "milieu": {
        "fr": (
            "Projet adapté au milieu de vie (urbain/rural)",
            "Projet peu adapté au milieu de vie",
        ),
        "ar": ("مشروع ملائم لوسط العيش (حضري/قروي)", "مشروع غير ملائم كثيرا لوسط العيش"),
        "en": (
            "Suits where the person lives (urban/rural)",
            "Less suited to where the person lives",
        ),
    },
    "budget": {
        "fr": ("Marge de budget au-delà du coût", "Budget juste au niveau du coût"),
        "ar": ("هامش في الميزانية يتجاوز التكلفة", "الميزانية بالكاد تغطي التكلفة"),
        "en": ("Budget leaves a margin over the cost", "Budget barely covers the cost"),
    },
    "local_competition": {
        "fr": (
            "Peu de concurrence locale dans ce secteur",
            "Forte concurrence locale dans ce secteur",
        ),
        "ar": ("منافسة محلية ضعيفة في هذا القطاع", "منافسة محلية قوية في هذا القطاع"),
        "en": (
            "Little local competition in this sector",
            "Strong local competition in this sector",
        ),
    },
    "local_economy": {
        "fr": ("Contexte économique local favorable", "Contexte économique local difficile"),
        "ar": ("سياق اقتصادي محلي ملائم", "سياق اقتصادي محلي صعب"),
        "en": ("Favourable local economy", "Difficult local economy"),
    },
    "regional_record": {
        "fr": (
            "Ce type de projet réussit bien dans la région",
            "Ce type de projet réussit mal dans la région",
        ),
        "ar": ("هذا النوع من المشاريع ينجح في الجهة", "هذا النوع من المشاريع يتعثر في الجهة"),
        "en": (
            "Projects like this do well in the region",
            "Projects like this struggle in the region",
        ),
    },
}

FACTOR_GROUP: Final[dict[str, str]] = {
    "training": "person",
    "experience": "person",
    "education": "person",
    "preference": "person",
    "age_demand": "person",
    "milieu": "person",
    "budget": "person",
    "local_competition": "market",
    "local_economy": "market",
    "regional_record": "market",
}
"""Each factor is about the person's fit or about the local market."""

EXCLUSION_TEXT: Final[dict[str, dict[str, str]]] = {
    "over_budget": {
        "fr": "Coût supérieur au budget disponible",
        "ar": "التكلفة تتجاوز الميزانية المتاحة",
        "en": "Costs more than the available budget",
    },
    "milieu_mismatch": {
        "fr": "Projet non adapté au milieu de résidence (urbain/rural)",
        "ar": "المشروع غير ملائم لوسط الإقامة (حضري/قروي)",
        "en": "Not suited to where the person lives (urban/rural)",
    },
    "too_physical": {
        "fr": "Travail physique lourd incompatible avec la contrainte de santé",
        "ar": "عمل بدني شاق لا يتناسب مع القيد الصحي",
        "en": "Heavy physical work ruled out by the health constraint",
    },
}

EVIDENCE_TEXT: Final[dict[str, dict[str, str]]] = {
    "thin": {
        "fr": "Peu de projets comparables financés : estimation fragile",
        "ar": "مشاريع مماثلة قليلة: تقدير غير مؤكد",
        "en": "Few comparable funded projects: a fragile estimate",
    },
    "moderate": {
        "fr": "Estimation fondée sur un nombre moyen de projets comparables",
        "ar": "تقدير مبني على عدد متوسط من المشاريع المماثلة",
        "en": "Based on a moderate number of comparable projects",
    },
    "solid": {
        "fr": "Estimation fondée sur de nombreux projets comparables",
        "ar": "تقدير مبني على عدد كبير من المشاريع المماثلة",
        "en": "Based on many comparable funded projects",
    },
}


def reason_text(factor: str, raises: bool) -> dict[str, str]:
    """The sentence for a factor in each language."""
    texts = REASON_TEXT[factor]
    return {lang: texts[lang][0 if raises else 1] for lang in LANGUAGES}
