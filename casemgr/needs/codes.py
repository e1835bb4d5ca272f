"""UNHCR's standardised specific-needs codes (Guidance on the Use of Standardized Specific
Needs Codes, 2009), as recorded on an applicant.

The top-level category is the part before the hyphen (`SC-UC` → `SC`). `SV`, `TR` and
`SM-MI` are sensitive: only agency roles and the representing NGO may see them, and they
never appear in lists or exports for others (DOMAIN.md §Needs).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "CR": _l("Child at risk"),
    "SC": _l("Unaccompanied or separated child"),
    "DS": _l("Disability"),
    "ER": _l("Older person at risk"),
    "FU": _l("Family unity"),
    "LP": _l("Specific legal and physical protection needs"),
    "PG": _l("Pregnant or lactating"),
    "SM": _l("Serious medical condition"),
    "SP": _l("Single parent or caregiver"),
    "SV": _l("Sexual and gender-based violence"),
    "TR": _l("Torture"),
    "WR": _l("Woman at risk"),
}

CODES = {
    "CR-CP": _l("Child parent"),
    "CR-CS": _l("Child spouse"),
    "CR-CC": _l("Child carer"),
    "CR-TP": _l("Teenage pregnancy"),
    "CR-LW": _l("Child in the worst forms of child labour"),
    "CR-LO": _l("Child in other forms of child labour"),
    "CR-NE": _l("Child at risk of not attending school"),
    "CR-SE": _l("Child with special education needs"),
    "CR-AF": _l("Child associated with armed forces or groups"),
    "CR-CL": _l("Child in conflict with the law"),
    "SC-SC": _l("Separated child"),
    "SC-UC": _l("Unaccompanied child"),
    "SC-CH": _l("Child-headed household"),
    "SC-IC": _l("Child in institutional care"),
    "SC-FC": _l("Child in foster care"),
    "DS-BD": _l("Visual impairment"),
    "DS-DF": _l("Hearing impairment"),
    "DS-PM": _l("Physical disability, moderate"),
    "DS-PS": _l("Physical disability, severe"),
    "DS-MM": _l("Mental disability, moderate"),
    "DS-MS": _l("Mental disability, severe"),
    "DS-SD": _l("Speech impairment"),
    "ER-NF": _l("Older person unable to care for self"),
    "ER-OC": _l("Older person with children"),
    "ER-UR": _l("Unaccompanied older person"),
    "FU-TR": _l("Tracing required"),
    "FU-FR": _l("Family reunification required"),
    "LP-ND": _l("No legal documentation"),
    "LP-BN": _l("Unmet basic needs"),
    "LP-AN": _l("Violence, abuse or neglect"),
    "LP-DA": _l("Detained or held in the country of asylum"),
    "LP-DO": _l("Detained or held in the country of origin"),
    "LP-MM": _l("Mixed marriage"),
    "LP-MD": _l("Multiple displacements"),
    "LP-RR": _l("At risk of refoulement"),
    "LP-IH": _l("In hiding"),
    "LP-AF": _l("Formerly associated with armed forces or groups"),
    "LP-CR": _l("Criminal record"),
    "PG-HR": _l("High-risk pregnancy"),
    "PG-LC": _l("Lactating"),
    "SM-MI": _l("Mental illness"),
    "SM-MN": _l("Malnutrition"),
    "SM-CI": _l("Chronic illness"),
    "SM-CC": _l("Critical medical condition"),
    "SM-DP": _l("Difficult pregnancy"),
    "SM-AD": _l("Addiction"),
    "SM-OT": _l("Other medical condition"),
    "SP-PT": _l("Single parent"),
    "SP-GP": _l("Single grandparent"),
    "SP-CG": _l("Single caregiver"),
    "SV-VA": _l("Survivor of SGBV in the country of asylum"),
    "SV-VO": _l("Survivor of SGBV in the country of origin"),
    "SV-FM": _l("Female genital mutilation"),
    "SV-GM": _l("Threat of female genital mutilation"),
    "SV-HP": _l("Harmful traditional practices"),
    "SV-HK": _l("Threat of honour killing"),
    "SV-SS": _l("Survival sex"),
    "TR-PI": _l("Psychological or physical impairment due to torture"),
    "TR-HO": _l("Forced to commit egregious acts"),
    "TR-WV": _l("Witness of violence to others"),
    "WR-WR": _l("Single woman at risk"),
    "WR-SF": _l("Single female household representative"),
    "WR-HR": _l("Woman at high risk of SGBV"),
}

SENSITIVE = frozenset({"SV", "TR", "SM-MI"})


def category(code: str) -> str:
    return code.split("-", 1)[0]


def is_known(code: str) -> bool:
    """A full code (SC-UC) or a top-level category alone (SC) when the detail is unknown."""
    return code in CODES or code in CATEGORIES


def is_sensitive(code: str) -> bool:
    return code in SENSITIVE or category(code) in SENSITIVE


def label(code: str) -> str:
    return str(CODES.get(code) or CATEGORIES.get(code) or code)
