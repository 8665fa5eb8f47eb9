"""Demo topics, resources, files and Q&A items for a local run (`manage.py seed_demo`).

The topics are the ones the trainings use. The real records are WHO publications whose titles,
references and years come from the project's content notes; their summaries describe in general
terms what such a document covers, and their files are small PDFs generated here: each says on its
first page that it is a demo file and not the WHO publication, and its text is general guidance
prose written for the demo. Records that do not exist at WHO (restricted, draft, embargoed) say
"demo" in their title. The questions and answers of the Q&A report are demo content too.

Rows are looked up by slug (files by resource and language, Q&A items by number) and created
once. On a resource that is already there, only blank fields and empty relations are filled in,
so a database loaded by an earlier version of the seed gains the new content and a second run
changes nothing. The embargoed record keeps the date its embargo got on the first run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from fpdf import FPDF

from repository.models import (
    AccessLevel,
    Audience,
    ProductArea,
    QAItem,
    Region,
    Resource,
    ResourceFile,
    Topic,
)
from repository.search import resource_search_index_update
from repository.services import resource_file_add

# (broad topic, slug, [(narrower topic, slug), ...]), in the order the topic list shows them.
TOPICS = [
    ("Quality systems", "quality-systems", [
        ("Quality management systems and pharmaceutical quality system", "quality-management-systems"),
        ("Quality risk management", "quality-risk-management"),
        ("CAPA and investigation management", "capa-investigation-management"),
        ("Data integrity", "data-integrity"),
        ("Documentation (CTD, site master file)", "documentation"),
    ]),
    ("Manufacturing and facilities", "manufacturing-and-facilities", [
        ("Premises, facility and plant design", "premises-facility-design"),
        ("Utilities (water systems, HVAC)", "utilities-water-hvac"),
        ("Equipment qualification", "equipment-qualification"),
        ("GMP for sterile manufacturing, aseptic processing and sterility assurance", "sterile-manufacturing-aseptic-processing"),
        ("Cleaning validation and contamination control", "cleaning-validation-contamination-control"),
        ("Process validation", "process-validation"),
    ]),
    ("Quality control", "quality-control", [
        ("Quality control and QC laboratory compliance", "qc-laboratory-compliance"),
        ("Bio-analytical methods", "bioanalytical-methods"),
        ("Specifications and control strategy", "specifications-control-strategy"),
        ("Chemistry, manufacturing and controls (CMC)", "cmc"),
    ]),
    ("Supply chain", "supply-chain", [
        ("Supplier qualification and material management", "supplier-qualification"),
        ("Temperature-sensitive supply chains and cold chain", "cold-chain"),
    ]),
    ("Products and platforms", "products-and-platforms", [
        ("Vaccine technology platforms", "vaccine-technology-platforms"),
        ("Upstream and downstream processing", "upstream-downstream-processing"),
        ("IVD design validation", "ivd-design-validation"),
        ("Technology transfer", "technology-transfer"),
    ]),
    ("Regulatory", "regulatory", [
        ("WHO prequalification and emergency use listing", "prequalification-emergency-use-listing"),
    ]),
]  # fmt: skip

WHO = "World Health Organization"
# WHO's licence for its publications since the mid-2010s; older publications carry none here.
WHO_LICENCE = "CC BY-NC-SA 3.0 IGO"

QA_REPORT_2021 = "virtual-cgmp-training-marathon-vaccine-manufacturing-qa"
STERILE_GMP_2022 = "who-gmp-sterile-products-trs-1044-annex-2"
STERILE_GMP_2011 = "who-gmp-sterile-products-trs-961-annex-6"
DATA_INTEGRITY = "who-data-integrity-trs-1033-annex-4"
REGULATORS_ONLY = "inspection-aide-memoire-data-integrity-demo"
REGISTERED_ONLY = "cleaning-validation-worked-examples-demo"
DRAFT = "model-quality-manual-small-vaccine-manufacturer-demo"
EMBARGOED = "cold-chain-qualification-case-studies-demo"

# The made-up name in the fictional worked example of each resource's PDF(s): it occurs inside
# that resource's files and nowhere else (no metadata, no Q&A item, no other file), so a search
# for it finds a resource by the text of its files only.
WORDS_ONLY_IN_PDFS = {
    "who-gmp-main-principles-trs-986-annex-2": "Ostrevane",
    STERILE_GMP_2022: "Kestrelmoor",
    "who-technology-transfer-trs-1044-annex-4": "Marulaport",
    DATA_INTEGRITY: "Veldtbrook",
    "who-gmp-validation-trs-1019-annex-3": "Quillbarrow",
    "who-hvac-non-sterile-trs-1010-annex-8": "Tamberlind",
    "who-quality-risk-management-trs-981-annex-2": "Zephyrholm",
    "local-production-framework-2011": "Brackenhithe",
    "local-production-technology-transfer-medical-devices-2012": "Wrenfallow",
    "wha74-6-strengthening-local-production": "Sallowmere",
    "who-global-benchmarking-tool": "Fennimoor",
    STERILE_GMP_2011: "Corvastone",
    QA_REPORT_2021: "Thistlegarth",
    REGULATORS_ONLY: "Drummaskel",
    REGISTERED_ONLY: "Pellinford",
    DRAFT: "Ormsvale",
    EMBARGOED: "Hollowtarn",
}

# The small print on the first page (and the foot of every page) of each generated file.
DEMO_NOTICE = {
    "en": "Demo file generated for the LPA Portal: not the WHO publication",
    "fr": "Fichier de démonstration généré pour le portail LPA : pas la publication de l'OMS",
}
ABOUT_THIS_FILE = {
    "en": (
        "About this file",
        "This file stands in for the publication in the demo of the LPA Portal. Its text is "
        "general guidance prose written for the demo: it does not reproduce the WHO publication "
        "and must not be quoted as WHO guidance. Consult the published document for the "
        "authoritative text.",
    ),
    "fr": (
        "À propos de ce fichier",
        "Ce fichier remplace la publication dans la démonstration du portail LPA. Son texte est "
        "une prose d'orientation générale rédigée pour la démonstration : il ne reproduit pas la "
        "publication de l'OMS et ne doit pas être cité comme une orientation de l'OMS. Consultez "
        "le document publié pour le texte faisant foi.",
    ),
}
PUBLISHER = {"en": WHO, "fr": "Organisation mondiale de la Santé"}
QA_DEMO_NOTE = "The questions and answers shown here are demo content."

MANUFACTURERS_AND_REGULATORS = ("manufacturer", "regulator")
POLICY_AUDIENCES = ("government", "regulator", "manufacturer", "partner", "academia")
ALL_PRODUCT_AREAS = ("medicines", "vaccines", "diagnostics", "devices")
MEDICINES_AND_VACCINES = ("medicines", "vaccines")


@dataclass(frozen=True)
class DemoFile:
    """One generated PDF: a language edition of a resource."""

    sections: tuple[tuple[str, str], ...]
    language: str = "en"
    # The edition's own title, when it differs from the record's (a translation).
    title: str = ""


@dataclass(frozen=True)
class DemoResource:
    slug: str
    kind: str
    title: str
    summary: str
    reference: str = ""
    year: int | None = None
    topics: tuple[str, ...] = ()
    audiences: tuple[str, ...] = MANUFACTURERS_AND_REGULATORS
    product_areas: tuple[str, ...] = MEDICINES_AND_VACCINES
    regions: tuple[str, ...] = ()
    licence: str = ""
    citation: str = ""
    body: str = ""
    status: str = Resource.Status.PUBLISHED
    access_level: int = AccessLevel.PUBLIC
    # Embargoed for a year from the first run, and dated the day the embargo ends.
    embargoed: bool = False
    supersedes: str = ""
    files: tuple[DemoFile, ...] = ()


def _citation(title: str, year: int | None, series: str = "", licence: str = "") -> str:
    """A citation in WHO's style, from the facts of the record only."""
    citation = f"{title}. Geneva: {WHO}" + (f"; {year}" if year else "")
    citation += f" ({series})." if series else "."
    return citation + (f" Licence: {licence}." if licence else "")


def _trs(number: int, annex: int) -> str:
    return f"WHO Technical Report Series, No. {number}, Annex {annex}"


def _english(*sections: tuple[str, str]) -> tuple[DemoFile, ...]:
    return (DemoFile(sections=sections),)


# --- The real publications -----------------------------------------------------------------------

GMP_MAIN = DemoResource(
    slug="who-gmp-main-principles-trs-986-annex-2",
    kind=Resource.Kind.GUIDANCE,
    title="WHO good manufacturing practices for pharmaceutical products: main principles",
    reference="TRS 986, Annex 2",
    year=2014,
    summary="WHO's core guidance on good manufacturing practices (GMP) for pharmaceutical products. It sets out the principles a manufacturer's quality system is expected to meet, such as quality risk management, product quality review, personnel and training, premises and equipment, documentation, production, quality control, complaints and recalls, and self-inspection.",
    topics=("quality-management-systems", "documentation", "premises-facility-design"),
    product_areas=("medicines",),
    citation=_citation("WHO good manufacturing practices for pharmaceutical products: main principles", 2014, _trs(986, 2)),
    files=_english(
        ("Purpose and scope", "Good manufacturing practices are the part of quality management that ensures that products are consistently produced and controlled to the quality standards appropriate to their intended use. They apply to every stage of manufacture, from the receipt of starting materials to the release of finished products, and they are concerned with both production and quality control. Their first aim is to reduce the risks that cannot be removed by testing the final product alone, above all contamination and mix-ups."),
        ("The pharmaceutical quality system", "A manufacturer should operate a comprehensive quality system that is designed, documented and implemented, with senior management taking responsibility for it. The system covers the design and development of products, the control of changes, the handling of deviations, the regular review of product quality, and the release of each batch by an authorized person who confirms that the batch was made and checked in line with its marketing authorization."),
        ("People, premises and equipment", "Enough qualified and trained personnel are needed for every task, with responsibilities written down and understood, and with hygiene habits suited to the operations. Premises and equipment are located, designed, built and maintained to suit the operations, to minimize the risk of error, and to allow effective cleaning and maintenance, so that cross-contamination, the build-up of dust or dirt and any adverse effect on quality are avoided."),
        ("Documentation", "Good documentation is an essential part of the quality system. Specifications, manufacturing formulae, processing instructions, procedures and records should be approved, clear and kept up to date. Records are made at the time each action is taken, so that the history of every batch can be traced, and they are kept for the period that the regulations require."),
        ("Worked example (fictional)", "Consider a fictional manufacturer of oral solid dosage forms, here called Ostrevane Pharmaceuticals, that sees a recurring weight variation in one tablet product. Its self-inspection team traces the cause to an undocumented change of punch tooling. The change-control procedure is extended to tooling, the batch records are amended, and the product quality review of the year records the trend and the actions taken."),
    ),
)  # fmt: skip

STERILE_2022 = DemoResource(
    slug=STERILE_GMP_2022,
    kind=Resource.Kind.GUIDANCE,
    title="WHO good manufacturing practices for sterile pharmaceutical products",
    reference="TRS 1044, Annex 2",
    year=2022,
    summary="WHO's guidance on good manufacturing practices for the manufacture of sterile pharmaceutical products. It covers the contamination control strategy, the classification and monitoring of clean areas, aseptic processing and its validation by process simulation, sterilization, and the personnel, premises, equipment and utilities that sterile manufacture depends on.",
    topics=("sterile-manufacturing-aseptic-processing", "cleaning-validation-contamination-control"),
    licence=WHO_LICENCE,
    citation=_citation("WHO good manufacturing practices for sterile pharmaceutical products", 2022, _trs(1044, 2), WHO_LICENCE),
    supersedes=STERILE_GMP_2011,
    files=_english(
        ("Contamination control strategy", "The manufacture of sterile products is subject to special requirements that minimize the risks of microbial, particulate and pyrogen contamination. A contamination control strategy, built on quality risk management and documented for the whole facility, brings together the design of premises and processes, equipment, personnel, utilities, raw materials, cleaning and disinfection, and monitoring. It is reviewed periodically and updated when the facility, the process or the knowledge of the risks changes."),
        ("Clean areas and their classification", "Clean areas are classified by the number of airborne particles allowed at rest and in operation, and each manufacturing operation is carried out in the grade it requires. Aseptic operations take place in the highest grade, under unidirectional airflow, with a background suited to the technology used, such as a restricted access barrier system or an isolator. Viable and non-viable particles are monitored to a documented plan, with alert and action limits."),
        ("Aseptic processing and its validation", "Aseptic processes are validated by process simulation tests that use a sterile growth medium in place of the product and reproduce the routine process, including its interventions, its longest duration and the largest number of people present. Personnel qualified for aseptic work take part in these simulations, and their gowning and aseptic technique are assessed regularly."),
        ("Sterilization", "Terminal sterilization of the product in its final container is preferred whenever the product can withstand it. Each sterilization process is validated for the loads it treats, its critical parameters are recorded for every cycle, and biological indicators are used where they add assurance."),
        ("Worked example (fictional)", "In a fictional filling plant, here called Kestrelmoor Biologics, environmental monitoring shows repeated low counts of the same organism at a grade B door. The investigation links them to a gowning room layout that lets operators cross clean and unclean flows. The layout is changed, the contamination control strategy is updated, and the monitoring plan adds a sampling point at the door."),
    ),
)  # fmt: skip

TECHNOLOGY_TRANSFER = DemoResource(
    slug="who-technology-transfer-trs-1044-annex-4",
    kind=Resource.Kind.GUIDANCE,
    title="WHO guidelines on technology transfer in pharmaceutical manufacturing",
    reference="TRS 1044, Annex 4",
    year=2022,
    summary="WHO's guidance on transferring manufacturing processes and analytical procedures between a sending unit and a receiving unit: how a transfer is organized and governed, what knowledge and documents are handed over, how premises and equipment at the receiving site are assessed, and how the success of a transfer is shown.",
    topics=("technology-transfer",),
    audiences=("manufacturer", "regulator", "government"),
    licence=WHO_LICENCE,
    citation=_citation("WHO guidelines on technology transfer in pharmaceutical manufacturing", 2022, _trs(1044, 4), WHO_LICENCE),
    files=_english(
        ("Scope of a transfer", "Technology transfer is a logical procedure that controls the transfer of a process, together with its documentation and professional expertise, between development and manufacture or between manufacturing sites. It applies to active ingredients, finished products and analytical procedures, and it has succeeded when the receiving unit can routinely reproduce the product and its quality against predefined criteria."),
        ("Organization and governance", "A transfer team with members from the sending and the receiving units, and a documented project plan, agree the scope, the timelines, the responsibilities and the criteria for success. Quality risk management helps to identify what is critical to the transfer and where the receiving unit differs from the sending unit, so that effort goes where it matters."),
        ("Knowledge and documentation", "The sending unit hands over the knowledge that underpins the process: development reports, the control strategy, specifications, master batch records, validation and stability data, and the problems already met. The receiving unit assesses its premises, equipment and utilities against these requirements and closes any gaps before the transfer batches are made."),
        ("Transfer of analytical procedures", "Analytical procedures are transferred through a protocol that describes the samples, the tests and the acceptance criteria, often by comparative testing at both sites. The transfer of analytical procedures should normally be completed before the receiving unit tests its process validation batches."),
        ("Worked example (fictional)", "A fictional receiving site, here called the Marulaport plant, takes over the filling of a vaccine from a sending unit abroad. The gap analysis finds that its filling machine uses a different needle design; a small engineering study and an additional fill-weight check are added to the protocol, and the transfer report records that the agreed number of batches met the acceptance criteria."),
    ),
)  # fmt: skip

DATA_INTEGRITY_FR_TITLE = "Ligne directrice sur l'intégrité des données"

DATA_INTEGRITY_GUIDELINE = DemoResource(
    slug=DATA_INTEGRITY,
    kind=Resource.Kind.GUIDANCE,
    title="Guideline on data integrity",
    reference="TRS 1033, Annex 4",
    year=2021,
    summary="WHO's guidance on data integrity in activities regulated by good practices: how management governance, quality risk management and the design of systems keep paper and electronic records complete, consistent and accurate throughout their life cycle, and what is expected of audit trails, access controls and the review of data.",
    topics=("data-integrity", "documentation", "qc-laboratory-compliance"),
    product_areas=ALL_PRODUCT_AREAS,
    licence=WHO_LICENCE,
    citation=_citation("Guideline on data integrity", 2021, _trs(1033, 4), WHO_LICENCE),
    body="*Demo note: the French edition listed with this record is a demo file of the LPA Portal.*",
    files=(
        DemoFile(sections=(
            ("Why data integrity matters", "Decisions about the quality of medical products rest on data. Data integrity is the degree to which data are complete, consistent, accurate, trustworthy and reliable throughout their life cycle, from generation and recording through processing, review, reporting, retention and destruction. It is as much a matter of management and culture as of technology."),
            ("Good data and record management", "Records should be attributable, legible, contemporaneous, original and accurate (the ALCOA principles), and also complete, consistent, enduring and available. Controls apply to paper and electronic records alike: issued and reconciled forms, secure user access, enabled audit trails, validated systems, and reliable backup and archiving."),
            ("Governance and risk", "Senior management should create an environment in which staff report errors and omissions without fear, and should allocate the resources that good data practice requires. A risk-based approach directs the strongest controls to the data with the greatest impact on product quality and patient safety, and to the systems in which data are most vulnerable."),
            ("Review of data and audit trails", "The review of data includes the metadata and the audit trails that show how a result was obtained. Reviewers look for changes, deletions, reprocessing and repeated analyses, and the review itself is documented."),
            ("Worked example (fictional)", "At a fictional quality control laboratory, here called the Veldtbrook laboratory, a reviewer notices that several chromatographic injections were aborted and later run again without a record in the logbook. The investigation finds that shared log-ins hid who made the changes. Individual accounts are introduced, the procedure for reviewing audit trails is strengthened, and the analysts are trained again."),
        )),
        DemoFile(language="fr", title=DATA_INTEGRITY_FR_TITLE, sections=(
            ("Pourquoi l'intégrité des données est importante", "Les décisions sur la qualité des produits médicaux reposent sur des données. L'intégrité des données est la mesure dans laquelle les données sont complètes, cohérentes, exactes, fiables et dignes de confiance tout au long de leur cycle de vie, de leur création et de leur enregistrement jusqu'à leur traitement, leur examen, leur communication, leur conservation et leur destruction. Elle relève autant de la gestion et de la culture que de la technologie."),
            ("Bonne gestion des données et des enregistrements", "Les enregistrements doivent être attribuables, lisibles, contemporains, originaux et exacts (principes ALCOA), mais aussi complets, cohérents, durables et disponibles. Les contrôles s'appliquent aussi bien aux enregistrements papier qu'électroniques : formulaires émis et rapprochés, accès sécurisé des utilisateurs, pistes d'audit activées, systèmes validés, sauvegarde et archivage fiables."),
            ("Gouvernance et risque", "La direction doit instaurer un environnement dans lequel le personnel signale les erreurs et les omissions sans crainte, et allouer les ressources qu'exigent de bonnes pratiques en matière de données. Une approche fondée sur le risque concentre les contrôles les plus stricts sur les données qui ont le plus d'effet sur la qualité des produits et la sécurité des patients, et sur les systèmes où les données sont les plus vulnérables."),
            ("Examen des données et des pistes d'audit", "L'examen des données comprend les métadonnées et les pistes d'audit qui montrent comment un résultat a été obtenu. Les examinateurs recherchent les modifications, les suppressions, les retraitements et les analyses répétées, et l'examen lui-même est documenté."),
            ("Exemple (fictif)", "Dans un laboratoire de contrôle de la qualité fictif, appelé ici le laboratoire Veldtbrook, un examinateur remarque que plusieurs injections chromatographiques ont été interrompues puis relancées sans mention dans le cahier de laboratoire. L'enquête montre que des identifiants partagés masquaient l'auteur des modifications. Des comptes individuels sont créés, la procédure d'examen des pistes d'audit est renforcée et les analystes sont formés à nouveau."),
        )),
    ),
)  # fmt: skip

VALIDATION = DemoResource(
    slug="who-gmp-validation-trs-1019-annex-3",
    kind=Resource.Kind.GUIDANCE,
    title="Good manufacturing practices: guidelines on validation",
    reference="TRS 1019, Annex 3",
    year=2019,
    summary="WHO's guidance on validation in pharmaceutical manufacturing: the validation master plan, the qualification of premises, utilities, equipment and systems, and the validation of processes, cleaning, analytical procedures and computerized systems across the life cycle of a product.",
    topics=("process-validation", "cleaning-validation-contamination-control", "equipment-qualification"),
    licence=WHO_LICENCE,
    citation=_citation("Good manufacturing practices: guidelines on validation", 2019, _trs(1019, 3), WHO_LICENCE),
    files=_english(
        ("Validation across the life cycle", "Validation provides documented evidence that a process, procedure, system or piece of equipment consistently does what it is intended to do. It is planned in a validation master plan that lists what must be validated, in what order, by whom and against which criteria, and it follows the product and the process through their life cycle rather than ending with a single report."),
        ("Qualification", "Premises, utilities, equipment and systems are qualified before they are used: design qualification, installation qualification, operational qualification and performance qualification, each with an approved protocol, predefined acceptance criteria and a report. The qualified state is kept through calibration, preventive maintenance, change control and periodic review."),
        ("Process, cleaning and analytical validation", "Process validation shows that the manufacturing process, run within its established parameters, consistently yields a product of the required quality. Cleaning validation shows that residues of product, cleaning agents and microorganisms are reduced to acceptable levels. Analytical procedures are validated for the characteristics that matter for their purpose, such as specificity, accuracy, precision and range."),
        ("Computerized systems", "Computerized systems that support good manufacturing practice are validated in proportion to their effect on product quality and on the integrity of data, from the user requirements through testing, release and operation to their retirement."),
        ("Worked example (fictional)", "A fictional contract manufacturer, here called Quillbarrow Laboratories, installs a new fluid-bed dryer. Its validation team writes the user requirements, confirms during installation that the temperature probes are calibrated, challenges the airflow alarms during operational qualification, and dries three placebo loads during performance qualification before the first validation batch."),
    ),
)  # fmt: skip

HVAC = DemoResource(
    slug="who-hvac-non-sterile-trs-1010-annex-8",
    kind=Resource.Kind.GUIDANCE,
    title="Guidelines on heating, ventilation and air-conditioning systems for non-sterile products",
    reference="TRS 1010, Annex 8",
    year=2018,
    summary="WHO's guidance on heating, ventilation and air-conditioning (HVAC) systems in facilities that make non-sterile products: how these systems protect the product, the personnel and the environment, and what is expected of their design, qualification, operation and maintenance.",
    topics=("utilities-water-hvac", "premises-facility-design"),
    product_areas=("medicines",),
    licence=WHO_LICENCE,
    citation=_citation("Guidelines on heating, ventilation and air-conditioning systems for non-sterile products", 2018, _trs(1010, 8), WHO_LICENCE),
    files=_english(
        ("The role of HVAC systems", "Heating, ventilation and air-conditioning systems play an important part in the quality of non-sterile products. By controlling temperature, humidity, airborne particles and the direction of air movement, they protect the product from contamination and cross-contamination, protect personnel from exposure to dusts, and protect the environment outside the facility."),
        ("Design principles", "Design starts from the needs of the product and the process: the zones to be served, the cleanliness of air required, the pressure cascade between rooms, the air change rates, and the filtration of supply and exhaust air. Where dust is generated, extraction at the source and a containment approach limit its spread."),
        ("Qualification and operation", "HVAC systems are qualified like other systems that affect quality, with tests of air volumes, pressure differentials, filter integrity, airflow patterns and recovery of room conditions. In routine use the critical parameters are monitored, filters are changed on the basis of measured pressure drops, and changes are controlled."),
        ("Worked example (fictional)", "At a fictional tablet plant, here called the Tamberlind site, operators notice fine powder on the corridor side of a granulation room door. Smoke studies show that the pressure of the room had risen above that of the corridor after a filter change. The pressure regime is restored, an alarm is added, and the filter change procedure now ends with a balancing check."),
    ),
)  # fmt: skip

QRM = DemoResource(
    slug="who-quality-risk-management-trs-981-annex-2",
    kind=Resource.Kind.GUIDANCE,
    title="WHO guidelines on quality risk management",
    reference="TRS 981, Annex 2",
    year=2013,
    summary="WHO's guidance on applying quality risk management to medical products across their life cycle: the principles and process of risk assessment, control, communication and review, the tools commonly used, and the places where manufacturers and regulators can apply it.",
    topics=("quality-risk-management", "quality-management-systems"),
    citation=_citation("WHO guidelines on quality risk management", 2013, _trs(981, 2)),
    files=_english(
        ("Principles", "Quality risk management is a systematic process for the assessment, control, communication and review of risks to the quality of a medical product across its life cycle. Two principles guide it: the evaluation of risk to quality should be based on scientific knowledge and ultimately linked to the protection of the patient, and the level of effort, formality and documentation should match the level of risk."),
        ("The process", "A risk assessment identifies hazards, analyses the likelihood and the severity of harm, and evaluates the risk against agreed criteria. Risk control decides whether the risk is acceptable and what will reduce it. The outcome is communicated to those who need it, and risks are reviewed as knowledge and experience grow."),
        ("Tools", "Recognized tools include failure mode and effects analysis, fault tree analysis, hazard analysis and critical control points, and simple methods such as flowcharts, check sheets and risk ranking. The tool is chosen for the question at hand, not the other way round."),
        ("Uses by manufacturers and regulators", "Manufacturers use quality risk management in development, in the design of facilities and equipment, in validation, and in the handling of deviations and changes. Regulators can use it to plan inspections and to direct their resources to the sites and products of greatest risk."),
        ("Worked example (fictional)", "A fictional vaccine manufacturer, here called Zephyrholm Vaccines, carries out a failure mode and effects analysis before changing the supplier of a stopper. The team scores each failure mode, decides that extractables testing and a container-closure integrity study are needed, and records the residual risk in the change control."),
    ),
)  # fmt: skip

LOCAL_PRODUCTION_FRAMEWORK = DemoResource(
    slug="local-production-framework-2011",
    kind=Resource.Kind.STRATEGY,
    title="Local production for access to medical products: developing a framework to improve public health",
    year=2011,
    summary="A WHO publication on how local production of medical products can contribute to public health. It outlines a framework for considering the policy, industrial and regulatory conditions that local production needs if it is to improve access to quality-assured products.",
    audiences=POLICY_AUDIENCES,
    product_areas=ALL_PRODUCT_AREAS,
    citation=_citation("Local production for access to medical products: developing a framework to improve public health", 2011),
    files=_english(
        ("Local production and public health", "Local production of medical products is often discussed as a way to improve access to essential medicines, vaccines and other health technologies. Whether it does so depends on whether the products are of assured quality, affordable, and available where and when they are needed; producing locally is a means to these ends, not an end in itself."),
        ("A framework of policies", "Local production touches the policies of several ministries: health, industry, trade, science and finance. A framework that brings them together helps a government set coherent goals, such as which products to give priority to, which incentives to offer, and how to prepare the regulatory system for the industry it will supervise."),
        ("Quality and regulation", "An effective national regulatory authority is a precondition: manufacturers need clear requirements and predictable assessments, and patients need assurance that locally made products meet the same standards as imported ones. Investment in good manufacturing practices is therefore part of any plan for local production."),
        ("Illustration (fictional)", "In a fictional country, here called Brackenhithe, the ministries of health and of industry agree a joint list of priority products. The list links investment incentives to progress in good manufacturing practices, and the regulatory authority publishes a plan for inspecting the new sites."),
    ),
)  # fmt: skip

DEVICES = DemoResource(
    slug="local-production-technology-transfer-medical-devices-2012",
    kind=Resource.Kind.STRATEGY,
    title="Local production and technology transfer to increase access to medical devices",
    year=2012,
    summary="A WHO publication on local production and technology transfer as ways to increase access to medical devices, and on the conditions under which they can succeed in low- and middle-income countries.",
    topics=("technology-transfer",),
    audiences=POLICY_AUDIENCES,
    product_areas=("devices",),
    citation=_citation("Local production and technology transfer to increase access to medical devices", 2012),
    files=_english(
        ("Access to medical devices", "Medical devices range from simple consumables to complex equipment, and many health systems in low- and middle-income countries depend almost entirely on imports of them. Local production and technology transfer are two routes by which countries seek to improve the availability, affordability and suitability of devices."),
        ("Conditions for success", "Local production of devices depends on a viable market, skilled people, a reliable supply of components, access to technology and to the rights to use it, and a regulatory system that assures the safety and performance of the devices made."),
        ("Technology transfer", "Technology transfer between companies or institutions moves designs, know-how and manufacturing methods to a new producer. Its success depends on the capacity of the recipient to absorb them, on clear agreements, and on support for quality management systems."),
        ("Illustration (fictional)", "A fictional workshop, here called the Wrenfallow assembly unit, starts assembling oxygen concentrators from imported parts. It adopts a quality management system, agrees a training programme with the licensor, and plans the step-by-step local sourcing of simple components."),
    ),
)  # fmt: skip

WHA74_6 = DemoResource(
    slug="wha74-6-strengthening-local-production",
    kind=Resource.Kind.STRATEGY,
    title="Strengthening local production of medicines and other health technologies to improve access",
    reference="WHA74.6",
    year=2021,
    summary="A resolution of the World Health Assembly on strengthening the local production of medicines and other health technologies in order to improve access to them.",
    audiences=POLICY_AUDIENCES,
    product_areas=ALL_PRODUCT_AREAS,
    citation=_citation("World Health Assembly resolution WHA74.6. Strengthening local production of medicines and other health technologies to improve access", 2021),
    files=_english(
        ("About resolutions", "Resolutions of the World Health Assembly record the decisions of WHO's Member States. A resolution can urge Member States to act, invite partners to support them, and request the Director-General to carry out work and report on progress. The text of the resolution itself is available from WHO."),
        ("Local production in health policy", "Strengthening local production of medicines and other health technologies is one of the ways in which countries seek to improve access, to make supply more resilient and to respond to emergencies. Such efforts depend on sound regulation, quality-assured manufacturing, a skilled workforce and sustainable markets."),
        ("From resolution to practice", "Turning a resolution into action involves national strategies, cooperation between ministries, technical assistance, and the exchange of experience between countries and regions. Training for manufacturers and regulators is one of the forms this support can take."),
        ("Illustration (fictional)", "In a fictional country, here called Sallowmere, a national working group reviews how its plans for local production match the capacity of its regulatory authority, and asks for training of its inspectors in good manufacturing practices."),
    ),
)  # fmt: skip

GLOBAL_BENCHMARKING_TOOL = DemoResource(
    slug="who-global-benchmarking-tool",
    kind=Resource.Kind.TOOL,
    title="WHO Global Benchmarking Tool (GBT) for evaluating national regulatory systems",
    summary="WHO's tool for evaluating national regulatory systems. It assesses the regulatory system and its functions against indicators and expresses the result as one of four maturity levels, from 1 to 4.",
    audiences=("regulator", "government", "partner"),
    product_areas=ALL_PRODUCT_AREAS,
    citation=_citation("WHO Global Benchmarking Tool (GBT) for evaluating national regulatory systems", None),
    files=_english(
        ("Purpose", "A benchmarking tool lets a national regulatory authority, and those who support it, see how its regulatory system performs against an agreed standard, find its strengths and gaps, and plan improvements in a structured way."),
        ("What is assessed", "The regulatory system as a whole and its functions, such as the authorization of products, vigilance, market control, the licensing of establishments, inspection, laboratory testing and the oversight of clinical trials, are assessed against indicators, together with the legal framework and the resources that support them."),
        ("Maturity levels", "Results are expressed as maturity levels from 1 to 4, from a system in which only some elements exist to one that performs at an advanced level and improves continuously. A level describes how consistently and reliably the system works, not only whether rules are written down."),
        ("Using the results", "A development plan turns the findings into actions with owners and timelines, and follow-up assessments show progress."),
        ("Illustration (fictional)", "A fictional authority, here called the Fennimoor Medicines Agency, carries out a self-assessment before a formal benchmarking. It finds that its inspection procedures are written down but that inspection reports are not reviewed consistently, and adds a peer review step to its development plan."),
    ),
)  # fmt: skip

STERILE_2011 = DemoResource(
    slug=STERILE_GMP_2011,
    kind=Resource.Kind.GUIDANCE,
    title="WHO good manufacturing practices for sterile pharmaceutical products",
    reference="TRS 961, Annex 6",
    year=2011,
    summary="The 2011 edition of WHO's guidance on good manufacturing practices for sterile pharmaceutical products, replaced in 2022 by TRS 1044, Annex 2. Kept for reference.",
    topics=("sterile-manufacturing-aseptic-processing",),
    citation=_citation("WHO good manufacturing practices for sterile pharmaceutical products", 2011, _trs(961, 6)),
    body="This edition has been superseded: use the 2022 edition (TRS 1044, Annex 2) for current work.",
    files=_english(
        ("About this edition", "This is an earlier edition of WHO's guidance on good manufacturing practices for sterile pharmaceutical products. It has been replaced by a newer edition, which should be used for current work; this edition is kept for reference and for understanding how expectations have changed."),
        ("Clean areas", "The manufacture of sterile products is carried out in clean areas entered through airlocks, with air supplied through filters of appropriate efficiency. Clean areas are classified into grades, and each manufacturing operation is assigned the grade it requires."),
        ("Processing and sterilization", "Products are either sterilized in their final container or prepared aseptically. Each process is validated, and aseptic processing is validated by process simulation with a sterile growth medium."),
        ("Personnel", "Only the smallest number of people required should be present in clean areas, and they should be trained in hygiene, in basic microbiology and in the gowning appropriate to each grade."),
        ("Worked example (fictional)", "A fictional manufacturer, here called Corvastone Parenterals, compares its procedures with the newer edition of the guidance and plans the changes needed to its approach to contamination control."),
    ),
)  # fmt: skip

# --- The Q&A report ------------------------------------------------------------------------------

# (topic slug, question, answer): demo content, sound general cGMP practice.
QA_ITEMS = [
    ("cleaning-validation-contamination-control",
     "How should cleaning validation acceptance limits be set in a multiproduct vaccine facility?",
     "Limits should rest on a documented scientific rationale rather than a fixed figure. Where an active substance could carry over into the next product, health-based exposure limits derived from toxicological data are the preferred basis for the maximum allowable carryover. For many biologicals the cleaning process itself degrades the active substance, so validation focuses on showing that degradation and on removing cleaning agents, bioburden and endotoxin to validated limits. Equipment is grouped and a worst case chosen with care, the recovery of the sampling methods (swab and rinse) is shown, and visual cleanliness is confirmed every time."),
    ("sterile-manufacturing-aseptic-processing",
     "How many aseptic process simulations (media fills) are needed, and how often should they be repeated?",
     "Initial validation of an aseptic process normally calls for three consecutive successful process simulations on each filling line, followed by periodic revalidation, commonly twice a year for each line and shift pattern. Each simulation should reproduce the routine process as closely as possible, including the longest expected duration, the largest number of people present and the interventions that happen in routine production. The target is zero contaminated units; any growth is investigated, and a failed simulation generally stops routine aseptic filling on that line until the cause is found and the line revalidated."),
    ("data-integrity",
     "Do audit trails have to be reviewed for every batch?",
     "Audit trails that capture changes to critical GMP data should be reviewed as part of the review of the batch record and the laboratory data before release, with a risk-based scope set out in a procedure. The review concentrates on what could affect a result or a decision: changes to, deletion or reprocessing of data, changes of methods or integration parameters, and aborted runs. System-level audit trails, such as changes to user accounts or configuration, can be reviewed periodically. Reviewers should be trained, and the review itself documented so that an inspector can see that it took place."),
    ("technology-transfer",
     "What should a technology transfer protocol contain?",
     "A protocol agreed by the sending and the receiving unit sets out the scope of the transfer, the responsibilities of each party, and the process, analytical procedures, materials and equipment concerned. It includes a gap analysis of the premises, equipment and skills of the receiving site, a risk assessment, a training plan, the documents to be handed over (development reports, batch records, specifications, validation and stability data) and the acceptance criteria that will show the transfer has succeeded. The outcome is recorded in a transfer report that compares the results of the receiving unit with those of the sending unit."),
    ("process-validation",
     "How many process performance qualification batches are needed before commercial distribution?",
     "Current practice follows a life-cycle approach in which the number of batches is not fixed by rule but justified by the knowledge gained in development and by the variability of the process. Three consecutive batches has long been the usual minimum and remains common, but a complex process, or one with little prior knowledge, may need more. What matters is that the batches show, with statistical confidence where possible, that the process consistently yields product of the required quality, and that continued process verification then monitors its performance in routine manufacture."),
    ("utilities-water-hvac",
     "What pressure differential should be kept between clean rooms of different grades?",
     "Air should flow from cleaner to less clean areas, and a differential of about 10 to 15 pascals between adjacent rooms of different grades is a commonly used design value. The cascade is demonstrated during qualification, monitored continuously with alarms that allow for the short drops caused by opening doors, and reviewed for trends. Where a product or an organism must be contained, the design may instead keep the processing room at a lower pressure than its surroundings, with airlocks arranged to protect both the product and the environment."),
    ("utilities-water-hvac",
     "What are the key controls for a water-for-injection system?",
     "The system is designed to prevent microbial growth: water kept circulating at a temperature that inhibits growth, or sanitized regularly by a validated method, turbulent flow, pipework that drains fully, and no dead legs. Water is sampled at the points of use and tested against specifications for conductivity, total organic carbon, bacterial endotoxins and microbial counts, with alert and action limits set from trend data. Qualification is usually done in phases, with intensive sampling at first and data over a full year to capture seasonal variation in the feed water."),
    ("supplier-qualification",
     "How should suppliers of critical starting materials be qualified?",
     "Qualification is risk-based: the more critical the material, the more evidence is needed. It typically combines a questionnaire, a review of the supplier's quality system, an on-site audit for critical materials, a written quality agreement, and full testing of the first lots before reduced testing on receipt is allowed. Materials of biological origin also need documentation of their source and of the control of adventitious agents. Approved suppliers are re-evaluated periodically on their performance: rejected lots, deviations, complaints and audit findings."),
    ("qc-laboratory-compliance",
     "How should an out-of-specification result in the QC laboratory be investigated?",
     "The analyst reports the result at once, and the laboratory investigation starts by checking for obvious errors in calculation, equipment, reference standards or sample preparation. If a laboratory error is clearly found and documented, the result can be invalidated and the test repeated. If not, the investigation widens to production to look for the cause in the batch. Any retesting follows a predefined procedure; testing until a passing result appears is never acceptable. The conclusions, the effect on other batches, and the corrective and preventive actions are recorded."),
    ("cold-chain",
     "How are passive shipping containers for vaccines qualified?",
     "Qualification starts from the user requirements: the temperature range, the duration of the journey and the payload. Operational qualification is carried out in climatic chambers, using hot and cold ambient profiles that represent the shipping lanes and the worst-case payload configuration. Performance qualification then confirms the results on real shipments with calibrated temperature data loggers. Packing instructions, the conditioning of coolant packs, and a procedure for assessing temperature excursions against the stability data of the product complete the system."),
    ("quality-risk-management",
     "When does quality risk management call for a formal tool such as FMEA?",
     "The effort, formality and documentation of a risk assessment should match the level of risk. Simple, well-understood questions can be handled by an informal but documented assessment within existing procedures. A formal tool such as failure mode and effects analysis, or hazard analysis and critical control points, is useful when the problem is complex, when the consequences for patients are serious, or when decisions must be justified to others, for example in facility design, a major change or a contamination control strategy. Whatever the tool, the assessment rests on scientific knowledge and is reviewed as new information arrives."),
    ("capa-investigation-management",
     "How can a manufacturer show that its corrective and preventive actions are effective?",
     "Effectiveness is defined when the action is planned: which measurable outcome will show that the root cause has been removed, and when it will be checked. Typical evidence is that the deviation does not recur over a defined period or number of batches, trend data for the parameter concerned, or the results of a follow-up audit. Actions closed without such a check, and investigations that stop at human error without asking why the error was possible, are frequent inspection findings."),
    ("equipment-qualification",
     "What is the difference between installation, operational and performance qualification?",
     "Installation qualification verifies that equipment has been delivered and installed as designed and specified, with utilities connected, documentation received and instruments calibrated. Operational qualification shows that it works as intended across its specified operating ranges, including its alarms and interlocks. Performance qualification shows that it performs consistently under routine conditions with the product or a representative material. Each stage follows an approved protocol with predefined acceptance criteria, and the next stage starts only when the previous one has been accepted or its deviations assessed."),
    ("premises-facility-design",
     "How should areas that handle live organisms be separated from the rest of a vaccine facility?",
     "Segregation follows from the biosafety risk of the organism and the risk of cross-contamination. Live organisms are usually handled in dedicated areas with their own air-handling systems, controlled access and airlocks, and the pressure regime is chosen so that air does not escape from the containment area into clean corridors. Flows of people, materials and waste are planned so that they do not cross, waste is inactivated before it leaves the area, and the decontamination of rooms and equipment is validated."),
    ("upstream-downstream-processing",
     "How should master and working cell banks be controlled?",
     "Cell banks are characterized before use, for identity, purity, freedom from adventitious agents and genetic stability, and the results are documented. They are stored under monitored conditions, preferably split between at least two locations, with access limited to authorized people and an inventory that records every vial taken. The use of each vial is recorded in the batch documentation, and the viability and stability of the banks are checked over time so that a new working bank can be prepared well before it is needed."),
]  # fmt: skip

QA_REPORT = DemoResource(
    slug=QA_REPORT_2021,
    kind=Resource.Kind.QA_REPORT,
    title="Virtual cGMP Training Marathon for Vaccine Manufacturing: Questions & Answers",
    reference="WHO/MHP/RPQ/LPA/2022.1",
    year=2022,
    summary="The questions asked during the 2021 Virtual cGMP Training Marathon for Vaccine Manufacturing, with their answers.",
    topics=tuple(dict.fromkeys(topic for topic, _q, _a in QA_ITEMS)),
    audiences=("manufacturer", "regulator", "government"),
    product_areas=("vaccines",),
    licence=WHO_LICENCE,
    citation=_citation("Virtual cGMP Training Marathon for Vaccine Manufacturing: questions & answers", 2022, "WHO/MHP/RPQ/LPA/2022.1", WHO_LICENCE),
    body=f"{QA_DEMO_NOTE} The published report gathers the questions asked during the 2021 Virtual cGMP Training Marathon for Vaccine Manufacturing (5 October – 11 November 2021), with their answers.",
    files=_english(
        ("How to read this report", "The questions below were grouped by topic and answered in plain terms. In this demo file both the questions and the answers are demo content. Where an answer needs an illustration, the demo uses a fictional manufacturer, here called Thistlegarth Vaccines, rather than a real company."),
        *((f"Q{number}. {question}", answer) for number, (_topic, question, answer) in enumerate(QA_ITEMS, start=1)),
    ),
)  # fmt: skip

# --- Demo-only records: restricted, draft, embargoed ---------------------------------------------

AIDE_MEMOIRE = DemoResource(
    slug=REGULATORS_ONLY,
    kind=Resource.Kind.TOOL,
    title="Inspection aide-mémoire for data integrity (demo, regulators only)",
    summary="A demo checklist of points an inspector may check when assessing how a manufacturer controls the integrity of its data. Demo content; its file is open to verified regulators and staff only.",
    year=2024,
    topics=("data-integrity",),
    audiences=("regulator",),
    product_areas=ALL_PRODUCT_AREAS,
    access_level=AccessLevel.REGULATORS,
    body="*This record is demo content: it shows a resource whose files only verified regulators and staff may open.*",
    files=_english(
        ("Purpose of this aide-mémoire", "This demo aide-mémoire lists points an inspector may check when assessing how a manufacturer controls the integrity of its data. It supports, and does not replace, the judgement of the inspector and the applicable guidance."),
        ("Governance", "Has senior management approved a data governance policy? Are the risks to data assessed for each computerized system and each paper process? Are staff trained, and encouraged to report errors without fear? Are data integrity findings followed up through the CAPA system?"),
        ("Computerized systems", "Are user accounts individual, and are privileges limited to what each role needs? Are audit trails enabled, protected from change and reviewed? Are system clocks protected? Are backups tested by restoring them?"),
        ("Paper records", "Are blank forms controlled, numbered and reconciled? Are entries made at the time of the activity, in indelible ink, and corrected so that the original entry remains legible, with the reason, date and initials?"),
        ("Worked example (fictional)", "At a fictional site, here called the Drummaskel facility, the inspector asks to see a backup of the laboratory data system restored. The restored data do not include the audit trail, and the finding is recorded with a request for a corrective action plan."),
    ),
)  # fmt: skip

CLEANING_EXAMPLES = DemoResource(
    slug=REGISTERED_ONLY,
    kind=Resource.Kind.TRAINING_MATERIAL,
    title="Cleaning validation worked examples for multiproduct facilities (demo, registered users only)",
    summary="Demo training material with worked examples of choosing worst cases, setting limits and sampling equipment in cleaning validation. Its file is open to registered users.",
    year=2023,
    topics=("cleaning-validation-contamination-control",),
    audiences=("manufacturer",),
    product_areas=("medicines",),
    access_level=AccessLevel.REGISTERED,
    body="*This record is demo content: it shows a resource whose files only signed-in users may open.*",
    files=_english(
        ("About these examples", "These demo worked examples show how a multiproduct manufacturer might choose worst cases, set limits and sample equipment in cleaning validation. The figures they mention are illustrative only."),
        ("Choosing a worst case", "Products are grouped by the equipment they share, and a worst case is chosen from their solubility, potency, toxicity and difficulty of cleaning. Equipment is examined for places that are hard to clean, which become sampling locations."),
        ("Setting limits", "A health-based exposure limit for the previous product, divided by the largest daily dose of the next product and multiplied by the smallest batch size of the next product, gives the maximum allowable carryover. Spread over the shared product-contact surface area, it gives a limit for each swab."),
        ("Sampling and recovery", "Swab and rinse methods are validated for their recovery from each material of construction, and results are corrected for recovery or the limits adjusted accordingly."),
        ("Worked example (fictional)", "A fictional plant, here called Pellinford Generics, shares a granulator between a potent hormone and a vitamin tablet. Its calculation shows that the resulting limit cannot be reached reliably for the hormone, so the granulator is dedicated to it."),
    ),
)  # fmt: skip

QUALITY_MANUAL_DRAFT = DemoResource(
    slug=DRAFT,
    kind=Resource.Kind.TOOL,
    title="Model quality manual for a small vaccine manufacturer (demo, draft)",
    summary="A demo draft of a model quality manual: the outline a small vaccine manufacturer might follow to describe its quality system. Not published.",
    topics=("quality-management-systems", "documentation"),
    audiences=("manufacturer",),
    product_areas=("vaccines",),
    status=Resource.Status.DRAFT,
    body="*This record is demo content: a draft, which only staff see.*",
    files=_english(
        ("Purpose", "A quality manual describes the quality system of a manufacturer: its scope, its structure, its policies and how its processes relate to each other. This demo draft shows the outline a small vaccine manufacturer might follow."),
        ("Outline", "1 Quality policy and objectives. 2 Organization and responsibilities. 3 Documentation system. 4 Quality risk management. 5 Change control, deviations and CAPA. 6 Supplier and material management. 7 Production and quality control. 8 Release of product. 9 Complaints and recalls. 10 Self-inspection and management review."),
        ("Management review", "Senior management reviews the performance of the quality system at planned intervals, using indicators such as deviations, complaints, audit findings and the results of product quality reviews, and records its decisions and the resources it commits."),
        ("Worked example (fictional)", "For a fictional company, here called Ormsvale Biologicals, with a single filling line, the manual names one person as head of quality control and another as head of production, and shows how the person who releases batches stays independent of production."),
    ),
)  # fmt: skip

COLD_CHAIN_EMBARGOED = DemoResource(
    slug=EMBARGOED,
    kind=Resource.Kind.REPORT,
    title="Cold chain qualification case studies (demo, embargoed)",
    summary="Demo case studies on keeping temperature-sensitive products within their labelled storage conditions from the manufacturer to the point of use. Published with an embargo: hidden from the public until the embargo ends.",
    topics=("cold-chain",),
    audiences=("manufacturer", "regulator", "partner"),
    product_areas=("vaccines",),
    regions=("AFRO", "SEARO"),
    embargoed=True,
    body="*This record is demo content: it shows a published resource under embargo.*",
    files=_english(
        ("About these case studies", "These demo case studies describe how temperature-sensitive products can be kept within their labelled storage conditions from the manufacturer to the point of use."),
        ("Mapping storage areas", "Warehouses, cold rooms and refrigerators are temperature-mapped empty and loaded, in both the hot and the cold season, to find the warmest and coldest places, where the probes of routine monitoring are then placed."),
        ("Qualifying shipping systems", "Passive and active shipping systems are qualified against the temperature profiles of the lanes they serve, with defined payloads and packing configurations."),
        ("Managing excursions", "Every excursion is recorded, its duration and temperature are assessed against the stability data of the product, and the product is released, kept in quarantine or destroyed according to a documented decision."),
        ("Worked example (fictional)", "At a fictional regional store, here called the Hollowtarn depot, mapping shows that the top shelf next to the cold room door warms above the limit during loading. The shelf is no longer used for vaccines, and a strip curtain is fitted to the door."),
    ),
)  # fmt: skip

# In the order they are created: an earlier edition before the record that supersedes it.
RESOURCES = [
    QA_REPORT,
    GMP_MAIN,
    STERILE_2011,
    STERILE_2022,
    TECHNOLOGY_TRANSFER,
    DATA_INTEGRITY_GUIDELINE,
    VALIDATION,
    HVAC,
    QRM,
    LOCAL_PRODUCTION_FRAMEWORK,
    DEVICES,
    WHA74_6,
    GLOBAL_BENCHMARKING_TOOL,
    AIDE_MEMOIRE,
    CLEANING_EXAMPLES,
    QUALITY_MANUAL_DRAFT,
    COLD_CHAIN_EMBARGOED,
]

EMBARGO = timedelta(days=365)
# Fixed, so that a file generated again is the same file byte for byte.
PDF_CREATED = datetime(2025, 1, 1, tzinfo=UTC)


# --- PDF files -----------------------------------------------------------------------------------


class _DemoPdf(FPDF):
    def __init__(self, notice: str):
        super().__init__(format="A4")
        self.notice = notice
        # Windows-1252 has the typographic quotes and dashes that latin-1 lacks.
        self.core_fonts_encoding = "windows-1252"

    def footer(self):
        self.set_y(-14)
        self.set_font("Helvetica", size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.notice} | {self.page_no()}", align="C")


def demo_pdf(*, title: str, reference: str, year: int | None, demo_file: DemoFile) -> bytes:
    """A small PDF with the demo notice in small print at the top of its first page, the title,
    and the sections of the demo file (Helvetica, so English and French only)."""
    language = demo_file.language
    pdf = _DemoPdf(DEMO_NOTICE[language])
    pdf.set_creation_date(PDF_CREATED)
    pdf.set_title(title)
    pdf.set_author("LPA Portal (demo)")
    pdf.set_lang(language)
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()

    pdf.set_font("Helvetica", size=7)
    pdf.set_text_color(110)
    pdf.multi_cell(0, 4, DEMO_NOTICE[language], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_text_color(0)
    pdf.set_font("Helvetica", "B", 17)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    byline = " | ".join(str(part) for part in (PUBLISHER[language], reference, year) if part)
    pdf.set_font("Helvetica", size=10)
    pdf.set_text_color(70)
    pdf.multi_cell(0, 6, byline, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(4)

    for heading, text in (ABOUT_THIS_FILE[language], *demo_file.sections):
        pdf.set_font("Helvetica", "B", 11.5)
        pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return bytes(pdf.output())


# --- Seeding -------------------------------------------------------------------------------------


def _seed_topics() -> None:
    existing = set(Topic.objects.values_list("slug", flat=True))
    for order, (name, slug, children) in enumerate(TOPICS):
        parent, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
        Topic.objects.bulk_create(
            Topic(name=child_name, slug=child_slug, parent=parent, order=child_order)
            for child_order, (child_name, child_slug) in enumerate(children)
            if child_slug not in existing
        )


class _Vocabularies:
    """The rows the resources link to, each read once."""

    def __init__(self):
        self.topics = Topic.objects.in_bulk(field_name="slug")
        self.audiences = Audience.objects.in_bulk(field_name="code")
        self.product_areas = ProductArea.objects.in_bulk(field_name="code")
        self.regions = Region.objects.in_bulk(field_name="code")

    def relations(self, spec: DemoResource) -> dict[str, list]:
        return {
            "topics": [self.topics[slug] for slug in spec.topics],
            "audiences": [self.audiences[code] for code in spec.audiences],
            "product_areas": [self.product_areas[code] for code in spec.product_areas],
            "regions": [self.regions[code] for code in spec.regions],
        }


def _fields(spec: DemoResource, now: datetime) -> dict:
    publication_date, precision = None, Resource.DatePrecision.YEAR
    if spec.embargoed:
        publication_date, precision = (now + EMBARGO).date(), Resource.DatePrecision.DAY
    elif spec.year:
        publication_date = date(spec.year, 1, 1)
    return {
        "kind": spec.kind,
        "title": spec.title,
        "reference_number": spec.reference,
        "summary": spec.summary,
        "body": spec.body,
        "publisher": WHO,
        "publication_date": publication_date,
        "date_precision": precision,
        "licence": spec.licence,
        "citation": spec.citation,
    }


def _seed_resource(
    spec: DemoResource, resource: Resource | None, vocabularies: _Vocabularies, now: datetime
) -> tuple[Resource, bool]:
    """Create the record, or fill in what an existing one leaves blank; True if anything changed."""
    fields = _fields(spec, now)
    relations = vocabularies.relations(spec)
    supersedes = Resource.objects.get(slug=spec.supersedes) if spec.supersedes else None
    if resource is None:
        published = spec.status == Resource.Status.PUBLISHED
        resource = Resource.objects.create(
            slug=spec.slug,
            status=spec.status,
            access_level=spec.access_level,
            embargo_until=now + EMBARGO if spec.embargoed else None,
            published_at=now if published else None,
            supersedes=supersedes,
            **fields,
        )
        for name, rows in relations.items():
            getattr(resource, name).set(rows)
        return resource, True

    blank = [name for name, value in fields.items() if value and not getattr(resource, name)]
    if "publication_date" in blank and "date_precision" not in blank:
        blank.append("date_precision")
    for name in blank:
        setattr(resource, name, fields[name])
    if supersedes and not resource.supersedes_id:
        resource.supersedes = supersedes
        blank.append("supersedes")
    if blank:
        resource.save(update_fields=[*blank, "updated_at"])
    empty = [
        name for name, rows in relations.items() if rows and not getattr(resource, name).exists()
    ]
    for name in empty:
        getattr(resource, name).set(relations[name])
    return resource, bool(blank or empty)


def _seed_qa_items(report: Resource, topics: dict[str, Topic]) -> bool:
    existing = set(report.qa_items.values_list("number", flat=True))
    new = [
        QAItem(resource=report, number=number, question=question, answer=answer, topic=topics[slug])
        for number, (slug, question, answer) in enumerate(QA_ITEMS, start=1)
        if number not in existing
    ]
    QAItem.objects.bulk_create(new)
    return bool(new)


def _seed_files(spec: DemoResource, resource: Resource, existing: set[tuple[int, str]]) -> None:
    for order, demo_file in enumerate(spec.files):
        if (resource.pk, demo_file.language) in existing:
            continue
        pdf = demo_pdf(
            title=demo_file.title or resource.title,
            reference=resource.reference_number,
            year=spec.year,
            demo_file=demo_file,
        )
        resource_file_add(
            resource=resource,
            file=ContentFile(pdf, name=f"{spec.slug}-{demo_file.language}.pdf"),
            language=demo_file.language,
            title=demo_file.title,
            order=order,
        )


def _seed_resources() -> None:
    now = timezone.now()
    vocabularies = _Vocabularies()
    resources = Resource.objects.in_bulk([spec.slug for spec in RESOURCES], field_name="slug")
    files = set(
        ResourceFile.objects.filter(resource__in=resources.values()).values_list(
            "resource_id", "language"
        )
    )
    changed: list[int] = []
    for spec in RESOURCES:
        resource, touched = _seed_resource(spec, resources.get(spec.slug), vocabularies, now)
        if spec.slug == QA_REPORT_2021:
            touched |= _seed_qa_items(resource, vocabularies.topics)
        # Adding a file brings the search document up to date after the commit by itself.
        _seed_files(spec, resource, files)
        if touched:
            changed.append(resource.pk)
    if changed:
        resource_search_index_update(resource_ids=changed)


def seed_demo_repository() -> dict[str, int]:
    """Create the topic taxonomy, the real publications with demo files, the Q&A items of the
    2021 Q&A report and the demo-only records (idempotent)."""
    _seed_topics()
    _seed_resources()
    return {
        "topics": Topic.objects.count(),
        "resources": Resource.objects.count(),
        "files": ResourceFile.objects.count(),
        "qa_items": QAItem.objects.count(),
    }
