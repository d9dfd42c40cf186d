"""The app's words in each language (English, French) and the locale's numbers and dates (Babel).

`UI[lang][key]` are the page's labels, messages and chart titles; the same dictionaries feed `gr.I18n` (the
page's first paint follows the browser's locale) and the language switch (which re-labels every component and
re-renders the texts and charts built by the handlers, `t(lang, key, **values)`). The words of the reasons
are the dataset's vocabulary in conf/serving (`plain_words`, `translations`), not here.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from babel.numbers import format_decimal

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"

EN = {
    "title": "Credit decisions",
    "language": "Language / Langue",
    "tab_client": "Client",
    "tab_context": "Context",
    "tab_what_if": "What-if / new client",
    "tab_batch": "Batch scoring",
    "tab_model": "Model",
    "client_id": "Client ID",
    "lookup": "Look up the client",
    "download": "Download the decision",
    "letter_files": "Decision letter (PDF and HTML)",
    "look_up_first": "Look a client up in the Client tab first.",
    "look_up_prompt": "Look a client up to see the decision.",
    "look_up_short": "Look a client up.",
    "examples": "Examples: {hints}.",
    "production_clients": "production clients",
    "known_clients": "known clients (past credits)",
    "gauge_label": "Probability of default and threshold",
    "reasons_chart_label": "Main reasons (chart)",
    "importance_label": "Global importance",
    "feature_to_compare": "Feature to compare",
    "all_known": "All known clients",
    "similar": "Similar clients",
    "x_axis": "Horizontal axis",
    "y_axis": "Vertical axis",
    "two_features": "Two features",
    "fill": "Start from the client looked up",
    "typical": "Typical new client",
    "blank": "Empty form (new client)",
    "score_form": "Score these values",
    "missing_placeholder": "missing",
    "batch_text": (
        "Upload a CSV of applications with the columns of {file} (comma-separated). The scored file adds the "
        "probability of default, the decision, the distance to the threshold and the {n} main reasons of each row."
    ),
    "upload": "Applications (CSV)",
    "run_batch": "Score the file",
    "scored_file": "Scored file (download)",
    "upload_first": "Upload a CSV file first.",
    "check_now": "Check for a new champion now",
    "now_serving": "Now serving version {version}.",
    "granted_mark": "✔ GRANTED",
    "refused_mark": "✖ REFUSED",
    "granted": "granted",
    "refused": "refused",
    "new_client": "New client",
    "client": "Client {id}",
    "source_production": "production client",
    "source_known": "known client",
    "source_new": "new client",
    "source_what-if": "what-if",
    "model_version": "model version {version}",
    "summary": (
        "Credit {decision}: the estimated probability of default is {p}, {points} percentage points {side} "
        "the threshold of {threshold} (refused at or above the threshold)."
    ),
    "above": "above",
    "below": "below",
    "outcome": "Known outcome of this past credit: **{outcome}**.",
    "outcome_repaid": "repaid",
    "outcome_defaulted": "defaulted",
    "reasons_title": "Main reasons",
    "no_reasons": "The model gives no reasons for this score.",
    "change_title": "What would change the decision",
    "change_sentence": "With {changes}{note}, the application would be granted (probability of default {p}).",
    "change_item": "a {label} of {after} instead of {before}",
    "change_and": " and ",
    "term_note": " (a term of {after} annuities instead of {before})",
    "no_change": (
        "No change of the editable fields ({fields}) within the range of past clients brings this application "
        "under the threshold."
    ),
    "out_of_range": "**⚠ Outside the range of past clients** (the score is less reliable):",
    "out_of_range_item": "{label}: {value} (past clients: {low} to {high})",
    "new_client_text": (
        "**New client**: the form starts from a typical client (the median of past clients, the most frequent "
        "answer); a number whose median is 0 (e.g. children) is left empty, type it if you know it; fields "
        "left empty are missing; no credit history."
    ),
    "empty_form_text": "**New client**: every field is empty (missing) until you type it; no credit history.",
    "what_if_text": (
        "**What-if on client {id}**: the form starts from the client's values; fields not in the form (and the "
        "credit history) stay the client's."
    ),
    "header": "# Credit decisions\nServing **{model} version {version}** (@{alias}) · decision threshold {threshold} · trained {trained}",
    "letter_title": "Credit decision",
    "letter_client": "Client",
    "letter_date": "Date",
    "letter_model": "Model version",
    "letter_probability": (
        "Estimated probability of default: {p}, {points} points {side} the decision threshold of {threshold} "
        "(refused at or above the threshold)."
    ),
    "letter_rights": (
        "This decision was made with the help of an automated scoring model. You have the right to ask for a "
        "review of this decision by a person, to express your point of view and to contest the decision "
        "(GDPR, article 22): ask your relationship manager."
    ),
    # charts
    "chart_gauge": "Probability of default",
    "chart_gauge_title": "Probability of default {p}: {decision}",
    "chart_gauge_sub": "{points} points {side} the threshold of {threshold}",
    "chart_gauge_legend": "light blue: granted zone (below {threshold}) · light orange: refused zone · black line: threshold",
    "chart_gauge_delta": " pts vs threshold",
    "chart_reasons": "Main reasons for this score",
    "chart_reasons_sub": "striped bars raise the risk, plain bars lower it",
    "chart_reasons_x": "impact (log-odds): ← lowers · raises →",
    "raises": "raises the risk",
    "lowers": "lowers the risk",
    "chart_importance": "What the model looks at most",
    "chart_importance_sub": "average impact on the risk score over known clients",
    "chart_importance_x": "average absolute impact on the risk score (log-odds)",
    "no_importance": "This model gives no feature importance.",
    "chart_distribution": "Distribution",
    "choose_feature": "Choose a feature.",
    "choose_two": "Choose two features.",
    "n_known": "{n} known clients",
    "n_similar": "the {n} most similar known clients",
    "by_outcome": "by outcome",
    "no_values": "No values to show.",
    "this_client": "this client",
    "outcome_legend": "Outcome",
    "share_of_group": "% of the outcome group",
    "against": "{x} against {y}",
    "known_by_outcome": "known clients by outcome",
    "no_pairs": "No clients have both values.",
    # the Model tab
    "card_title": "Champion model",
    "card_item": "item",
    "card_value": "value",
    "card_model": "Model",
    "card_version": "Version",
    "card_run": "Run",
    "card_kind": "Model kind",
    "card_trained": "Trained",
    "card_registered": "Registered",
    "card_threshold": "Decision threshold",
    "card_threshold_note": "refused at or above",
    "card_costs": "Cost weights",
    "card_costs_text": "missed default (false negative) = {fn}, refused good client (false positive) = {fp}",
    "card_gate": "Gate",
    "card_loaded": "Loaded by the app",
    "card_checked": "Alias checked",
    "card_every": "every {s} s",
    "card_button_only": "only with the button below",
    "not_recorded": "not recorded",
    "card_check_failed": "Last check failed",
    "card_metrics": "Test metrics (held-out test clients)",
    "card_metric": "metric",
    "card_meaning": "meaning",
    "card_none": "none recorded",
    "metric_roc_auc": "ranking of risky before safe clients (0.5 = chance, 1 = perfect)",
    "metric_gini": "2 x ROC AUC - 1",
    "metric_pr_auc": "precision-recall area (defaulters are rare)",
    "metric_business_cost": "cost per applicant with the cost weights below (lower is better)",
    "metric_business_cost_ratio": "cost relative to refusing or accepting everybody (below 1 = useful)",
    "metric_brier": "mean squared error of the probabilities (lower is better)",
    "metric_precision": "share of refused clients who would have defaulted",
    "metric_recall": "share of defaulters who are refused",
    "metric_refusal_rate": "share of clients refused",
    "metric_ks": "Kolmogorov-Smirnov separation of defaulters and others",
    "history_label": "Champion history",
    "history_columns": "at|alias|from version|to version|who|why",
    "yes": "yes",
    "no": "no",
}

FR = {
    "title": "Décisions de crédit",
    "language": "Language / Langue",
    "tab_client": "Client",
    "tab_context": "Contexte",
    "tab_what_if": "Simulation / nouveau client",
    "tab_batch": "Scoring par lot",
    "tab_model": "Modèle",
    "client_id": "Identifiant client",
    "lookup": "Rechercher le client",
    "download": "Télécharger la décision",
    "letter_files": "Lettre de décision (PDF et HTML)",
    "look_up_first": "Recherchez d'abord un client dans l'onglet Client.",
    "look_up_prompt": "Recherchez un client pour voir la décision.",
    "look_up_short": "Recherchez un client.",
    "examples": "Exemples : {hints}.",
    "production_clients": "clients en production",
    "known_clients": "clients connus (crédits passés)",
    "gauge_label": "Probabilité de défaut et seuil",
    "reasons_chart_label": "Principales raisons (graphique)",
    "importance_label": "Importance globale",
    "feature_to_compare": "Variable à comparer",
    "all_known": "Tous les clients connus",
    "similar": "Clients similaires",
    "x_axis": "Axe horizontal",
    "y_axis": "Axe vertical",
    "two_features": "Deux variables",
    "fill": "Partir du client recherché",
    "typical": "Nouveau client type",
    "blank": "Formulaire vide (nouveau client)",
    "score_form": "Évaluer ces valeurs",
    "missing_placeholder": "manquant",
    "batch_text": (
        "Déposez un CSV de demandes avec les colonnes de {file} (séparateur virgule). Le fichier évalué ajoute "
        "la probabilité de défaut, la décision, l'écart au seuil et les {n} principales raisons de chaque ligne."
    ),
    "upload": "Demandes (CSV)",
    "run_batch": "Évaluer le fichier",
    "scored_file": "Fichier évalué (téléchargement)",
    "upload_first": "Déposez d'abord un fichier CSV.",
    "check_now": "Chercher un nouveau modèle champion maintenant",
    "now_serving": "Version {version} désormais en service.",
    "granted_mark": "✔ ACCORDÉ",
    "refused_mark": "✖ REFUSÉ",
    "granted": "accordé",
    "refused": "refusé",
    "new_client": "Nouveau client",
    "client": "Client {id}",
    "source_production": "client en production",
    "source_known": "client connu",
    "source_new": "nouveau client",
    "source_what-if": "simulation",
    "model_version": "version du modèle {version}",
    "summary": (
        "Crédit {decision} : la probabilité de défaut estimée est de {p}, {points} points de pourcentage "
        "{side} du seuil de {threshold} (refus à partir du seuil)."
    ),
    "above": "au-dessus",
    "below": "en dessous",
    "outcome": "Issue connue de ce crédit passé : **{outcome}**.",
    "outcome_repaid": "remboursé",
    "outcome_defaulted": "en défaut",
    "reasons_title": "Principales raisons",
    "no_reasons": "Le modèle ne donne pas de raison pour ce score.",
    "change_title": "Ce qui changerait la décision",
    "change_sentence": "Avec {changes}{note}, la demande serait accordée (probabilité de défaut {p}).",
    "change_item": "{label} de {after} au lieu de {before}",
    "change_and": " et ",
    "term_note": " (une durée de {after} annuités au lieu de {before})",
    "no_change": (
        "Aucune modification des champs modifiables ({fields}) dans l'étendue des clients passés ne fait passer "
        "cette demande sous le seuil."
    ),
    "out_of_range": "**⚠ Hors de l'étendue des clients passés** (le score est moins fiable) :",
    "out_of_range_item": "{label} : {value} (clients passés : de {low} à {high})",
    "new_client_text": (
        "**Nouveau client** : le formulaire part d'un client type (la médiane des clients passés, la réponse la "
        "plus fréquente) ; un nombre dont la médiane est 0 (par exemple les enfants) reste vide, saisissez-le "
        "si vous le connaissez ; les champs laissés vides sont manquants ; pas d'historique de crédit."
    ),
    "empty_form_text": (
        "**Nouveau client** : chaque champ est vide (manquant) tant que vous ne le saisissez pas ; pas "
        "d'historique de crédit."
    ),
    "what_if_text": (
        "**Simulation sur le client {id}** : le formulaire part des valeurs du client ; les champs absents du "
        "formulaire (et l'historique de crédit) restent ceux du client."
    ),
    "header": "# Décisions de crédit\nModèle **{model} version {version}** (@{alias}) · seuil de décision {threshold} · entraîné le {trained}",
    "letter_title": "Décision de crédit",
    "letter_client": "Client",
    "letter_date": "Date",
    "letter_model": "Version du modèle",
    "letter_probability": (
        "Probabilité de défaut estimée : {p}, {points} points {side} du seuil de décision de {threshold} "
        "(refus à partir du seuil)."
    ),
    "letter_rights": (
        "Cette décision a été prise à l'aide d'un modèle de score automatisé. Vous avez le droit de demander "
        "le réexamen de cette décision par une personne, d'exprimer votre point de vue et de contester la "
        "décision (RGPD, article 22) : adressez-vous à votre conseiller."
    ),
    "chart_gauge": "Probabilité de défaut",
    "chart_gauge_title": "Probabilité de défaut {p} : {decision}",
    "chart_gauge_sub": "{points} points {side} du seuil de {threshold}",
    "chart_gauge_legend": "bleu clair : zone accordée (sous {threshold}) · orange clair : zone refusée · trait noir : seuil",
    "chart_gauge_delta": " pts par rapport au seuil",
    "chart_reasons": "Principales raisons de ce score",
    "chart_reasons_sub": "les barres hachurées augmentent le risque, les barres pleines le diminuent",
    "chart_reasons_x": "impact (log-odds) : ← diminue · augmente →",
    "raises": "augmente le risque",
    "lowers": "diminue le risque",
    "chart_importance": "Ce que le modèle regarde le plus",
    "chart_importance_sub": "impact moyen sur le score de risque des clients connus",
    "chart_importance_x": "impact absolu moyen sur le score de risque (log-odds)",
    "no_importance": "Ce modèle ne donne pas d'importance des variables.",
    "chart_distribution": "Distribution",
    "choose_feature": "Choisissez une variable.",
    "choose_two": "Choisissez deux variables.",
    "n_known": "{n} clients connus",
    "n_similar": "les {n} clients connus les plus similaires",
    "by_outcome": "par issue",
    "no_values": "Aucune valeur à montrer.",
    "this_client": "ce client",
    "outcome_legend": "Issue",
    "share_of_group": "% du groupe",
    "against": "{x} en fonction de {y}",
    "known_by_outcome": "clients connus par issue",
    "no_pairs": "Aucun client n'a les deux valeurs.",
    "card_title": "Modèle champion",
    "card_item": "élément",
    "card_value": "valeur",
    "card_model": "Modèle",
    "card_version": "Version",
    "card_run": "Exécution",
    "card_kind": "Type de modèle",
    "card_trained": "Entraîné le",
    "card_registered": "Enregistré le",
    "card_threshold": "Seuil de décision",
    "card_threshold_note": "refus à partir du seuil",
    "card_costs": "Poids des coûts",
    "card_costs_text": "défaut manqué (faux négatif) = {fn}, bon client refusé (faux positif) = {fp}",
    "card_gate": "Contrôle",
    "card_loaded": "Chargé par l'application",
    "card_checked": "Alias vérifié",
    "card_every": "toutes les {s} s",
    "card_button_only": "seulement avec le bouton ci-dessous",
    "not_recorded": "non enregistré",
    "card_check_failed": "Échec de la dernière vérification",
    "card_metrics": "Métriques de test (clients de test mis de côté)",
    "card_metric": "métrique",
    "card_meaning": "signification",
    "card_none": "aucune enregistrée",
    "metric_roc_auc": "classement des clients risqués avant les clients sûrs (0,5 = hasard, 1 = parfait)",
    "metric_gini": "2 x ROC AUC - 1",
    "metric_pr_auc": "aire précision-rappel (les défauts sont rares)",
    "metric_business_cost": "coût par demandeur avec les poids des coûts ci-dessous (plus bas = mieux)",
    "metric_business_cost_ratio": "coût rapporté à tout refuser ou tout accepter (sous 1 = utile)",
    "metric_brier": "erreur quadratique moyenne des probabilités (plus bas = mieux)",
    "metric_precision": "part des clients refusés qui auraient fait défaut",
    "metric_recall": "part des défauts qui sont refusés",
    "metric_refusal_rate": "part des clients refusés",
    "metric_ks": "séparation de Kolmogorov-Smirnov des défauts et des autres",
    "history_label": "Historique du champion",
    "history_columns": "date|alias|de la version|à la version|qui|pourquoi",
    "yes": "oui",
    "no": "non",
}

UI = {"en": EN, "fr": FR}


def language(lang: str | None) -> str:
    """A supported language code from a locale or a choice ('fr-FR' -> 'fr'); English otherwise."""
    code = (lang or DEFAULT).split("-")[0].split("_")[0].lower()
    return code if code in UI else DEFAULT


def t(lang: str | None, key: str, **values: object) -> str:
    """The words of `key` in `lang` (English when the language lacks it), with `values` filled in."""
    text = UI[language(lang)].get(key) or EN[key]
    return text.format(**values) if values else text


def number(value: float, lang: str | None, decimals: int = 0) -> str:
    """'135,000' / '135 000', '0.21' / '0,21'."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, pattern, locale=language(lang))


def percent(share: float, lang: str | None, decimals: int = 1) -> str:
    """A share as a percentage: '12.3%' / '12,3 %' (French spaces the sign)."""
    sign = " %" if language(lang) == "fr" else "%"
    return f"{number(share * 100, lang, decimals)}{sign}"


def date_text(when: datetime, lang: str | None) -> str:
    """'December 1, 2026' / '1 décembre 2026'."""
    return format_date(when.date(), "long", locale=language(lang))
