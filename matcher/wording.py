"""Plain-language wording of reasons, exclusions and evidence in fr, ar and en.

Counsellors read these during the interview; they must be short, concrete and
say which way a factor pushes the estimate. ``{pts}`` is filled with the signed
effect in percentage points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("fr", "ar", "en")

REASON_TEXT: Final[dict[str, dict[str, tuple[str, str]]]] = {
    # factor: {lang: (text when it raises the score, text when it lowers it)}
    # training and experience are worded from the pair's fact (FACT_TEXT); these are
    # the words when no fact is known, and claim nothing about which trade.
    "training": {
        "fr": (
            "Formation de la personne (effet sur ce projet)",
            "Formation de la personne (effet sur ce projet)",
        ),
        "ar": ("تكوين المستفيد (أثره على هذا المشروع)", "تكوين المستفيد (أثره على هذا المشروع)"),
        "en": (
            "The person's training (effect on this project)",
            "The person's training (effect on this project)",
        ),
    },
    "experience": {
        "fr": (
            "Expérience de la personne (effet sur ce projet)",
            "Expérience de la personne (effet sur ce projet)",
        ),
        "ar": ("خبرة المستفيد (أثرها على هذا المشروع)", "خبرة المستفيد (أثرها على هذا المشروع)"),
        "en": (
            "The person's experience (effect on this project)",
            "The person's experience (effect on this project)",
        ),
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

_SAME_SECTOR: Final = {
    "fr": "un autre métier du même secteur (pas un métier que ce projet demande)",
    "ar": "حرفة أخرى من نفس القطاع (ليست حرفة يتطلبها هذا المشروع)",
    "en": "another trade of the same sector (not one this project needs)",
}
_NO_TRADE: Final = {
    "fr": "un métier du même secteur ; ce projet ne demande aucun métier particulier",
    "ar": "حرفة من نفس القطاع؛ هذا المشروع لا يتطلب أي حرفة معينة",
    "en": "a trade of the same sector; this project needs no particular trade",
}
_NEEDED: Final = {
    "fr": "un métier que ce projet demande",
    "ar": "وهي حرفة يتطلبها هذا المشروع",
    "en": "a trade this project needs",
}
_SKILL_LEAD: Final = {
    "training": {"fr": "Formation en", "ar": "تكوين في", "en": "Trained in"},
    "experience": {
        "fr": "Expérience professionnelle en",
        "ar": "خبرة مهنية في",
        "en": "Work experience in",
    },
}
_SKILL_NONE: Final = {
    "training": {
        "fr": "Aucune formation dans les métiers ou le secteur de ce projet",
        "ar": "لا يوجد تكوين في حرف هذا المشروع أو قطاعه",
        "en": "No training in this project's trades or sector",
    },
    "experience": {
        "fr": "Aucune expérience dans les métiers ou le secteur de ce projet",
        "ar": "لا توجد خبرة في حرف هذا المشروع أو قطاعه",
        "en": "No work experience in this project's trades or sector",
    },
}


def _both(texts: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The same sentence whichever way the factor pushes (the arrow says which)."""
    return {lang: (text, text) for lang, text in texts.items()}


def _skill_texts(factor: str) -> dict[str, dict[str, tuple[str, str]]]:
    lead = _SKILL_LEAD[factor]
    return {
        kind: _both({lang: f"{lead[lang]} {{trades}}, {tail[lang]}" for lang in LANGUAGES})
        for kind, tail in (("trade", _NEEDED), ("sector", _SAME_SECTOR), ("no_trade", _NO_TRADE))
    } | {"none": _both(_SKILL_NONE[factor])}


FACT_TEXT: Final[dict[str, dict[str, dict[str, tuple[str, str]]]]] = {
    # factor: {fact: {lang: (text when it raises the score, text when it lowers it)}};
    # "{trades}" is filled with the person's trades the fact is about.
    "training": _skill_texts("training"),
    "experience": _skill_texts("experience"),
    "education": {
        "above": _both(
            {
                "fr": "Niveau d'études au-dessus du minimum de ce projet",
                "ar": "مستوى دراسي أعلى من الحد الأدنى لهذا المشروع",
                "en": "Education above this project's minimum",
            }
        ),
        "at": _both(
            {
                "fr": "Niveau d'études égal au minimum de ce projet",
                "ar": "مستوى دراسي يساوي الحد الأدنى لهذا المشروع",
                "en": "Education at this project's minimum",
            }
        ),
        "below": _both(
            {
                "fr": "Niveau d'études en dessous du minimum de ce projet",
                "ar": "مستوى دراسي أقل من الحد الأدنى لهذا المشروع",
                "en": "Education below this project's minimum",
            }
        ),
    },
    "preference": {
        "wanted": _both(
            {
                "fr": "Secteur souhaité par la personne",
                "ar": "قطاع يرغب فيه المستفيد",
                "en": "A sector the person wants",
            }
        ),
        "not_wanted": _both(
            {
                "fr": "Secteur que la personne n'a pas choisi",
                "ar": "قطاع لم يختره المستفيد",
                "en": "Not a sector the person asked for",
            }
        ),
    },
    "milieu": {
        "outside": _both(
            {
                "fr": "Projet d'habitude mené dans l'autre milieu (urbain/rural)",
                "ar": "مشروع يمارس عادة في الوسط الآخر (حضري/قروي)",
                "en": "Usually run in the other milieu (urban/rural)",
            }
        ),
        "natural": _both(
            {
                "fr": "Projet courant dans le milieu de vie (urbain/rural)",
                "ar": "مشروع شائع في وسط العيش (حضري/قروي)",
                "en": "Common where the person lives (urban/rural)",
            }
        ),
    },
    "age_demand": {
        "demanding": REASON_TEXT["age_demand"],
        "light": {
            "fr": (
                "Âge de la personne favorable à ce projet",
                "L'âge de la personne pèse sur cette estimation",
            ),
            "ar": ("سن المستفيد ملائم لهذا المشروع", "سن المستفيد يخفض هذا التقدير"),
            "en": (
                "The person's age favours this project",
                "The person's age weighs on this estimate",
            ),
        },
    },
}
"""Words chosen from the pair's fact (:mod:`matcher.model.facts`), by factor."""

LIST_SEPARATOR: Final[dict[str, str]] = {"fr": " ; ", "ar": "، ", "en": "; "}
"""Between trade names, which may themselves hold commas."""
ALTERNATIVE: Final[dict[str, str]] = {"fr": " ou ", "ar": " أو ", "en": " or "}

MISSING_TRADE_TEXT: Final[dict[str, str]] = {
    "fr": "Demande un métier que la personne n'a pas : {trades}",
    "ar": "يتطلب حرفة لا يتقنها المستفيد: {trades}",
    "en": "Needs a trade the person does not hold: {trades}",
}
"""The note on an option whose required trades the person neither trained in nor worked in."""

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


def reason_text(
    factor: str,
    raises: bool,
    fact: str = "",
    trade_names: Sequence[Mapping[str, str]] = (),
) -> dict[str, str]:
    """The sentence for a factor in each language, from the pair's fact when known.

    ``trade_names`` are the names (by language) of the person's trades the fact is
    about; they fill ``{trades}``.
    """
    texts = FACT_TEXT.get(factor, {}).get(fact) or REASON_TEXT[factor]
    return {
        lang: texts[lang][0 if raises else 1].replace(
            "{trades}", LIST_SEPARATOR[lang].join(n[lang] for n in trade_names)
        )
        for lang in LANGUAGES
    }


def missing_trade_text(trade_names: Sequence[Mapping[str, str]]) -> dict[str, str] | None:
    """The "needs a trade the person does not hold" note in each language (None when none)."""
    if not trade_names:
        return None
    return {
        lang: MISSING_TRADE_TEXT[lang].replace(
            "{trades}", ALTERNATIVE[lang].join(n[lang] for n in trade_names)
        )
        for lang in LANGUAGES
    }


REPORT_TEXT: Final[dict[str, dict[str, str]]] = {
    # The allocation report (``matcher allocate --labels``), by language.
    "expected_livelihoods": {
        "en": "Expected livelihoods (active at 12 months and earning at least {mad} MAD a month): "
        "**{value}** (upper bound {bound})",
        "fr": "Moyens de vivre attendus (activité à 12 mois et au moins {mad} MAD nets par mois) : "
        "**{value}** (borne haute {bound})",
        "ar": "عدد مصادر العيش المتوقعة (نشاط مستمر بعد 12 شهرا ودخل لا يقل عن {mad} درهم شهريا): "
        "**{value}** (الحد الأعلى {bound})",
    },
    "objective_title": {
        "en": "Objective, money left and waiting list",
        "fr": "Objectif, argent restant et liste d'attente",
        "ar": "الهدف والمبلغ المتبقي ولائحة الانتظار",
    },
    "maximised_livelihood": {
        "en": "Maximised: the expected number of **livelihoods** (business active at 12 months "
        "and earning at least {mad} MAD net a month).",
        "fr": "Maximisé : le nombre attendu de **moyens de vivre** (activité encore ouverte à "
        "12 mois et rapportant au moins {mad} MAD nets par mois).",
        "ar": "الهدف: أكبر عدد متوقع من **مصادر العيش** (نشاط مستمر بعد 12 شهرا يدر على الأقل "
        "{mad} درهم صافية شهريا).",
    },
    "maximised_survival": {
        "en": "Maximised: the expected number of businesses active at 12 months.",
        "fr": "Maximisé : le nombre attendu d'activités encore ouvertes à 12 mois.",
        "ar": "الهدف: أكبر عدد متوقع من المشاريع المستمرة بعد 12 شهرا.",
    },
    "money_spent": {
        "en": "Money left {left} MAD: the envelope is spent.",
        "fr": "Argent restant {left} MAD : l'enveloppe est dépensée.",
        "ar": "المبلغ المتبقي {left} درهم: تم صرف الغلاف.",
    },
    "money_nobody": {
        "en": "Money left {left} MAD: nobody left to fund (everyone with an eligible option is "
        "funded).",
        "fr": "Argent restant {left} MAD : plus personne à financer (toute personne ayant une "
        "option possible est financée).",
        "ar": "المبلغ المتبقي {left} درهم: لم يبق أحد للتمويل (كل من له خيار ممكن تم تمويله).",
    },
    "money_costlier": {
        "en": "Money left {left} MAD: every option of the {n} people left unfunded costs more "
        "(cheapest {cheapest} MAD).",
        "fr": "Argent restant {left} MAD : chaque option des {n} personnes non financées coûte "
        "plus (la moins chère {cheapest} MAD).",
        "ar": "المبلغ المتبقي {left} درهم: كل خيارات الأشخاص غير الممولين ({n}) تكلف أكثر "
        "(أرخصها {cheapest} درهم).",
    },
    "money_caps": {
        "en": "Money left {left} MAD: the options that would fit are blocked by the caps per "
        "project type or per commune.",
        "fr": "Argent restant {left} MAD : les options qui tiendraient sont bloquées par les "
        "plafonds par type de projet ou par commune.",
        "ar": "المبلغ المتبقي {left} درهم: الخيارات الممكنة محجوبة بسقوف نوع المشروع أو الجماعة.",
    },
    "nobody_waiting": {
        "en": "Nobody with an eligible option is left unfunded.",
        "fr": "Aucune personne ayant une option possible ne reste sans financement.",
        "ar": "لم يبق أي شخص له خيار ممكن دون تمويل.",
    },
    "waiting_intro": {
        "en": "{n} people with an eligible option are left unfunded; their best options, the "
        "most valuable first (full list in the `.waiting.csv` file):",
        "fr": "{n} personnes ayant une option possible restent sans financement ; leur meilleure "
        "option, la plus utile d'abord (liste complète dans le fichier `.waiting.csv`) :",
        "ar": "{n} أشخاص لهم خيار ممكن بقوا دون تمويل؛ أفضل خياراتهم، الأنفع أولا (اللائحة "
        "كاملة في ملف `.waiting.csv`):",
    },
    "waiting_head": {
        "en": "| beneficiary | best option | cost (MAD) | value |",
        "fr": "| bénéficiaire | meilleure option | coût (MAD) | valeur |",
        "ar": "| المستفيد | أفضل خيار | التكلفة (درهم) | القيمة |",
    },
    "title": {"en": "Budget allocation", "fr": "Répartition du budget", "ar": "توزيع الميزانية"},
    "expected": {
        "en": "Expected active businesses at 12 months: **{value}** (upper bound {bound})",
        "fr": "Activités attendues encore actives à 12 mois : **{value}** (borne haute {bound})",
        "ar": "عدد المشاريع المتوقع استمرارها بعد 12 شهرا: **{value}** (الحد الأعلى {bound})",
    },
    "funded": {
        "en": "Funded: {funded} of {people} people",
        "fr": "Financées : {funded} personnes sur {people}",
        "ar": "الممولون: {funded} من أصل {people} شخصا",
    },
    "spend": {
        "en": "Spend: {spend} MAD of an envelope of {envelope} MAD ({share})",
        "fr": "Dépense : {spend} MAD sur une enveloppe de {envelope} MAD ({share})",
        "ar": "المصاريف: {spend} درهم من غلاف قدره {envelope} درهم ({share})",
    },
    "baseline": {
        "en": "Each person's best type while money lasts: {value} expected; gain **{gain}**",
        "fr": "Meilleur type de chacun tant que l'argent suffit : {value} attendues ; "
        "gain **{gain}**",
        "ar": "أفضل نوع لكل شخص ما دامت الميزانية تكفي: {value} متوقعة؛ الربح **{gain}**",
    },
    "by_region": {"en": "By region", "fr": "Par région", "ar": "حسب الجهة"},
    "by_sector": {"en": "By sector", "fr": "Par secteur", "ar": "حسب القطاع"},
    "n_people": {"en": "People", "fr": "Personnes", "ar": "الأشخاص"},
    "n_funded": {"en": "Funded", "fr": "Financées", "ar": "الممولون"},
    "spend_mad": {"en": "Spend (MAD)", "fr": "Dépense (MAD)", "ar": "المصاريف (درهم)"},
    "expected_successes": {
        "en": "Expected active at 12 months",
        "fr": "Actives attendues à 12 mois",
        "ar": "النشطة المتوقعة بعد 12 شهرا",
    },
    "region_id": {"en": "Region", "fr": "Région", "ar": "الجهة"},
    "sector_id": {"en": "Sector", "fr": "Secteur", "ar": "القطاع"},
}
"""Words of the translated allocation report."""


def format_number(value: float, lang: str, decimals: int = 2) -> str:
    """A number as people of ``lang`` write it: ``45 000,50`` (fr), ``45,000.50`` (en, ar)."""
    text = f"{value:,.{decimals}f}"
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text
