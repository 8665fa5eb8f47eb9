"""Demo topics and resources for a local run (`manage.py seed_demo`).

The topics are the ones the trainings use; the resources are real WHO publications (titles and
references from the project's content notes) with no link yet. Rows are looked up by slug and
created once: running the seed again creates nothing and leaves existing rows as they are.
"""

from datetime import date

from repository.models import Resource, Topic

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

QA_REPORT_2021 = "virtual-cgmp-training-marathon-vaccine-manufacturing-qa"

# (slug, kind, title, reference number, year, summary, topic slugs); all published, no link yet.
RESOURCES = [
    (QA_REPORT_2021, Resource.Kind.QA_REPORT,
     "Virtual cGMP Training Marathon for Vaccine Manufacturing: Questions & Answers",
     "WHO/MHP/RPQ/LPA/2022.1", 2022,
     "The questions asked during the 2021 Virtual cGMP Training Marathon for Vaccine Manufacturing, with their answers.",
     []),
    ("who-gmp-main-principles-trs-986-annex-2", Resource.Kind.GUIDANCE,
     "WHO good manufacturing practices for pharmaceutical products: main principles",
     "TRS 986, Annex 2", 2014,
     "WHO Technical Report Series No. 986, Annex 2.",
     ["quality-management-systems"]),
    ("who-gmp-sterile-products-trs-1044-annex-2", Resource.Kind.GUIDANCE,
     "WHO good manufacturing practices for sterile pharmaceutical products",
     "TRS 1044, Annex 2", 2022,
     "WHO Technical Report Series No. 1044, Annex 2.",
     ["sterile-manufacturing-aseptic-processing", "cleaning-validation-contamination-control"]),
    ("who-technology-transfer-trs-1044-annex-4", Resource.Kind.GUIDANCE,
     "WHO guidelines on technology transfer in pharmaceutical manufacturing",
     "TRS 1044, Annex 4", 2022,
     "WHO Technical Report Series No. 1044, Annex 4.",
     ["technology-transfer"]),
    ("who-data-integrity-trs-1033-annex-4", Resource.Kind.GUIDANCE,
     "Guideline on data integrity",
     "TRS 1033, Annex 4", 2021,
     "WHO Technical Report Series No. 1033, Annex 4.",
     ["data-integrity"]),
    ("who-gmp-validation-trs-1019-annex-3", Resource.Kind.GUIDANCE,
     "Good manufacturing practices: guidelines on validation",
     "TRS 1019, Annex 3", 2019,
     "WHO Technical Report Series No. 1019, Annex 3.",
     ["process-validation", "cleaning-validation-contamination-control", "equipment-qualification"]),
    ("who-hvac-non-sterile-trs-1010-annex-8", Resource.Kind.GUIDANCE,
     "Guidelines on heating, ventilation and air-conditioning systems for non-sterile products",
     "TRS 1010, Annex 8", 2018,
     "WHO Technical Report Series No. 1010, Annex 8.",
     ["utilities-water-hvac"]),
    ("who-quality-risk-management-trs-981-annex-2", Resource.Kind.GUIDANCE,
     "WHO guidelines on quality risk management",
     "TRS 981, Annex 2", 2013,
     "WHO Technical Report Series No. 981, Annex 2.",
     ["quality-risk-management"]),
    ("local-production-framework-2011", Resource.Kind.STRATEGY,
     "Local production for access to medical products: developing a framework to improve public health",
     "", 2011, "", []),
    ("local-production-technology-transfer-medical-devices-2012", Resource.Kind.STRATEGY,
     "Local production and technology transfer to increase access to medical devices",
     "", 2012, "", ["technology-transfer"]),
    ("wha74-6-strengthening-local-production", Resource.Kind.STRATEGY,
     "Strengthening local production of medicines and other health technologies to improve access",
     "WHA74.6", 2021,
     "World Health Assembly resolution WHA74.6.",
     []),
    ("who-global-benchmarking-tool", Resource.Kind.TOOL,
     "WHO Global Benchmarking Tool (GBT) for evaluating national regulatory systems",
     "", None,
     "Evaluates national regulatory systems against maturity levels 1 to 4.",
     []),
]  # fmt: skip


def _seed_topics() -> None:
    existing = set(Topic.objects.values_list("slug", flat=True))
    for order, (name, slug, children) in enumerate(TOPICS):
        parent, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
        Topic.objects.bulk_create(
            Topic(name=child_name, slug=child_slug, parent=parent, order=child_order)
            for child_order, (child_name, child_slug) in enumerate(children)
            if child_slug not in existing
        )


def _seed_resources() -> None:
    existing = set(Resource.objects.values_list("slug", flat=True))
    topics = Topic.objects.in_bulk(field_name="slug")
    for slug, kind, title, reference, year, summary, topic_slugs in RESOURCES:
        if slug in existing:
            continue
        resource = Resource.objects.create(
            slug=slug,
            kind=kind,
            title=title,
            reference_number=reference,
            publication_date=date(year, 1, 1) if year else None,
            date_precision=Resource.DatePrecision.YEAR,
            summary=summary,
            status=Resource.Status.PUBLISHED,
        )
        resource.topics.set([topics[topic_slug] for topic_slug in topic_slugs])


def seed_demo_repository() -> dict[str, int]:
    """Create the topic taxonomy and a few real publications as resources (idempotent)."""
    _seed_topics()
    _seed_resources()
    return {"topics": Topic.objects.count(), "resources": Resource.objects.count()}
