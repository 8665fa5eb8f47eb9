"""French, Spanish and Arabic translations of the demo's flagship programmes, their editions, the
broad topics and seven resources, for a local run (`manage.py seed_demo`), so that a page in one
of these languages shows translated content (and, elsewhere, the English source with its note).

The terms follow WHO's usage (locale/GLOSSARY.md): good manufacturing practices are « bonnes
pratiques de fabrication » (BPF), « buenas prácticas de fabricación » (BPF) and «ممارسات التصنيع
الجيدة». A translation is written only into an empty column: running the seed again changes
nothing, and a translation staff have edited stays theirs.
"""

from __future__ import annotations

import re

from accounts.content_languages import column
from events.models import Event, Programme
from repository.demo import DATA_INTEGRITY_FR_TITLE
from repository.models import Resource, Topic
from repository.search import resource_search_index_update

LANGUAGES = ("fr", "es", "ar")

MARATHON = (
    "Marathon virtuel de formation aux BPF (cGMP)",
    "Maratón virtual de formación en BPF (cGMP)",
    "الماراثون التدريبي الافتراضي بشأن ممارسات التصنيع الجيدة الحالية",
)
WEEK_OF_QUALITY = ("Semaine de la qualité", "Semana de la Calidad", "أسبوع الجودة")

PROGRAMMES = {
    "virtual-cgmp-training-marathon": {
        "name": MARATHON,
        "summary": (
            "Une série annuelle de sessions en ligne gratuites sur une sélection de thèmes des bonnes pratiques de fabrication actuelles (cGMP), la conception des installations, le transfert de technologie et les systèmes de gestion de la qualité.",
            "Una serie anual de sesiones en línea gratuitas sobre temas seleccionados de las buenas prácticas de fabricación vigentes (cGMP), el diseño de instalaciones, la transferencia de tecnología y los sistemas de gestión de la calidad.",
            "سلسلة سنوية من الجلسات المجانية عبر الإنترنت حول موضوعات مختارة من ممارسات التصنيع الجيدة الحالية، وتصميم المرافق، ونقل التكنولوجيا، ونظم إدارة الجودة.",
        ),
        "description": (
            "Le Marathon virtuel de formation aux BPF (cGMP) est une série annuelle de sessions en ligne sur une sélection de thèmes des bonnes pratiques de fabrication actuelles (cGMP), la conception des installations, le transfert de technologie et les systèmes de gestion de la qualité. Les sessions ont généralement lieu deux fois par semaine pendant quatre à six semaines.\n\n"
            "Le Marathon est gratuit ; l’inscription est obligatoire. Il s’adresse :\n\n"
            "- aux fabricants ;\n- aux autorités nationales de réglementation (ANR) ;\n- aux ministères de la santé et de l’industrie.\n\n"
            "La première édition, en 2020, portait sur les produits pharmaceutiques ; les éditions de 2021 à 2023 ont été consacrées à la fabrication des vaccins.",
            "El Maratón virtual de formación en BPF (cGMP) es una serie anual de sesiones en línea sobre temas seleccionados de las buenas prácticas de fabricación vigentes (cGMP), el diseño de instalaciones, la transferencia de tecnología y los sistemas de gestión de la calidad. Las sesiones suelen celebrarse dos veces por semana durante cuatro a seis semanas.\n\n"
            "El Maratón es gratuito; se requiere inscripción. Está dirigido a:\n\n"
            "- fabricantes;\n- autoridades nacionales de reglamentación (ANR);\n- ministerios de salud y de industria.\n\n"
            "La primera edición, en 2020, trató sobre productos farmacéuticos; las ediciones de 2021 a 2023 se centraron en la fabricación de vacunas.",
            "الماراثون التدريبي الافتراضي بشأن ممارسات التصنيع الجيدة الحالية سلسلة سنوية من الجلسات عبر الإنترنت حول موضوعات مختارة من ممارسات التصنيع الجيدة الحالية (cGMP)، وتصميم المرافق، ونقل التكنولوجيا، ونظم إدارة الجودة. وتُعقد الجلسات عادةً مرتين في الأسبوع على مدى أربعة إلى ستة أسابيع.\n\n"
            "المشاركة في الماراثون مجانية، ويلزم التسجيل. وهو موجّه إلى:\n\n"
            "- الجهات المصنّعة؛\n- السلطات التنظيمية الوطنية؛\n- وزارات الصحة والصناعة.\n\n"
            "تناولت الدورة الأولى، في عام 2020، المستحضرات الصيدلانية؛ وركّزت دورات الأعوام من 2021 إلى 2023 على تصنيع اللقاحات.",
        ),
    },
    "week-of-quality": {
        "name": WEEK_OF_QUALITY,
        "summary": (
            "Un événement annuel en ligne sur les normes de qualité et de CMC (chimie, fabrication et contrôles) pour les industries pharmaceutique et du diagnostic in vitro (DIV), avec le soutien financier de la Fondation Bill & Melinda Gates.",
            "Un evento anual en línea sobre las normas de calidad y de química, fabricación y controles (CMC) para las industrias farmacéutica y de diagnóstico in vitro (DIV), con el apoyo financiero de la Fundación Bill y Melinda Gates.",
            "فعالية سنوية عبر الإنترنت بشأن معايير الجودة والكيمياء والتصنيع والضوابط (CMC) لصناعتي المستحضرات الصيدلانية ووسائل التشخيص في المختبر، بدعم مالي من مؤسسة بيل وميليندا غيتس.",
        ),
        "description": (
            "La Semaine de la qualité est un événement annuel en ligne consacré aux normes de qualité et de chimie, fabrication et contrôles (CMC) pour les industries pharmaceutique et du diagnostic in vitro (DIV).\n\n"
            "Elle bénéficie du soutien financier de la Fondation Bill & Melinda Gates. L’édition 2023, *L’origine des spécifications*, proposait des parcours distincts pour :\n\n"
            "- les vaccins ;\n- les médicaments ;\n- les diagnostics in vitro.",
            "La Semana de la Calidad es un evento anual en línea sobre las normas de calidad y de química, fabricación y controles (CMC) para las industrias farmacéutica y de diagnóstico in vitro (DIV).\n\n"
            "Cuenta con el apoyo financiero de la Fundación Bill y Melinda Gates. La edición de 2023, *El origen de las especificaciones*, ofreció itinerarios separados para:\n\n"
            "- vacunas;\n- medicamentos;\n- diagnósticos in vitro.",
            "أسبوع الجودة فعالية سنوية عبر الإنترنت بشأن معايير الجودة والكيمياء والتصنيع والضوابط (CMC) لصناعتي المستحضرات الصيدلانية ووسائل التشخيص في المختبر.\n\n"
            "ويُعقد بدعم مالي من مؤسسة بيل وميليندا غيتس. وقد تضمّنت دورة عام 2023، *أصل المواصفات*، مسارات منفصلة لكل من:\n\n"
            "- اللقاحات؛\n- الأدوية؛\n- وسائل التشخيص في المختبر.",
        ),
    },
}


def _marathon(subtitle: tuple[str, str, str] | None = None, year: str = "{year}") -> tuple:
    if subtitle is None:
        return tuple(f"{name} {year}" for name in MARATHON)
    return tuple(f"{name} {year} — {sub}" for name, sub in zip(MARATHON, subtitle, strict=True))


# The editions, by slug; "{year}" is the year of the English title (the demo edition's changes).
EVENTS = {
    "virtual-cgmp-training-marathon-2020": {
        "title": _marathon(year="2020"),
        "summary": (
            "Le premier Marathon virtuel de formation aux BPF, consacré aux bonnes pratiques de fabrication des produits pharmaceutiques : plus de 6 000 inscrits de plus de 90 pays.",
            "El primer Maratón virtual de formación en BPF, sobre buenas prácticas de fabricación de productos farmacéuticos: más de 6000 inscritos de más de 90 países.",
            "الماراثون التدريبي الافتراضي الأول، بشأن ممارسات التصنيع الجيدة للمستحضرات الصيدلانية: أكثر من 6000 مسجّل من أكثر من 90 بلدًا.",
        ),
    },
    "virtual-cgmp-training-marathon-2021": {
        "title": (
            f"{MARATHON[0]} 2021 pour la fabrication des vaccins",
            f"{MARATHON[1]} 2021 para la fabricación de vacunas",
            f"{MARATHON[2]} 2021 لتصنيع اللقاحات",
        ),
        "summary": (
            "Douze thèmes des BPF pour la fabrication des vaccins, en ligne du 5 octobre au 11 novembre 2021 : plus de 900 participants de plus de 60 pays.",
            "Doce temas de BPF para la fabricación de vacunas, en línea del 5 de octubre al 11 de noviembre de 2021: más de 900 asistentes de más de 60 países.",
            "اثنا عشر موضوعًا من ممارسات التصنيع الجيدة لتصنيع اللقاحات، عبر الإنترنت من 5 تشرين الأول/أكتوبر إلى 11 تشرين الثاني/نوفمبر 2021: أكثر من 900 مشارك من أكثر من 60 بلدًا.",
        ),
    },
    "virtual-cgmp-training-marathon-2022": {
        "title": _marathon(
            (
                "Fabrication des vaccins : maintenir un environnement conforme aux BPF",
                "Fabricación de vacunas: mantener un entorno conforme con las BPF",
                "تصنيع اللقاحات: الحفاظ على بيئة مطابقة لممارسات التصنيع الجيدة",
            ),
            "2022",
        ),
        "summary": (
            "Sessions en ligne du 8 novembre au 1er décembre 2022 sur le maintien d’un environnement conforme aux BPF dans la fabrication des vaccins, suivies d’un atelier pratique pour 40 participants sélectionnés.",
            "Sesiones en línea del 8 de noviembre al 1 de diciembre de 2022 sobre cómo mantener un entorno conforme con las BPF en la fabricación de vacunas, seguidas de un taller práctico para 40 participantes seleccionados.",
            "جلسات عبر الإنترنت من 8 تشرين الثاني/نوفمبر إلى 1 كانون الأول/ديسمبر 2022 بشأن الحفاظ على بيئة مطابقة لممارسات التصنيع الجيدة في تصنيع اللقاحات، تلتها حلقة عمل تطبيقية لأربعين مشاركًا مختارًا.",
        ),
    },
    "virtual-cgmp-training-marathon-2023": {
        "title": _marathon(
            (
                "Fabrication des vaccins : des principes à la pratique",
                "Fabricación de vacunas: de los principios a la práctica",
                "تصنيع اللقاحات: من المبادئ إلى التطبيق",
            ),
            "2023",
        ),
        "summary": (
            "Le Marathon 2023 sur la fabrication des vaccins : mettre en pratique les principes des BPF.",
            "El Maratón de 2023 sobre la fabricación de vacunas: llevar a la práctica los principios de las BPF.",
            "ماراثون عام 2023 بشأن تصنيع اللقاحات: وضع مبادئ ممارسات التصنيع الجيدة الحالية موضع التطبيق.",
        ),
    },
    "virtual-cgmp-training-marathon-2024": {
        "title": _marathon(
            (
                "Institutionnaliser la conformité et l’amélioration continue",
                "Institucionalizar el cumplimiento y la mejora continua",
                "ترسيخ الامتثال والتحسين المستمر",
            ),
            "2024",
        ),
        "summary": (
            "En ligne du 10 septembre au 10 octobre 2024 : environ 1 550 participants en moyenne, venus d’environ 90 pays.",
            "En línea del 10 de septiembre al 10 de octubre de 2024: unos 1550 participantes de media, de unos 90 países.",
            "عبر الإنترنت من 10 أيلول/سبتمبر إلى 10 تشرين الأول/أكتوبر 2024: نحو 1550 مشاركًا في المتوسط من نحو 90 بلدًا.",
        ),
    },
    "virtual-cgmp-training-marathon-2025": {
        "title": _marathon(
            (
                "Les fondements d’une excellence durable",
                "Los pilares de una excelencia sostenida",
                "ركائز التميّز المستدام",
            ),
            "2025",
        ),
        "summary": (
            "Huit sessions en ligne sur quatre semaines, du 9 septembre au 2 octobre 2025.",
            "Ocho sesiones en línea durante cuatro semanas, del 9 de septiembre al 2 de octubre de 2025.",
            "ثماني جلسات عبر الإنترنت على مدى أربعة أسابيع، من 9 أيلول/سبتمبر إلى 2 تشرين الأول/أكتوبر 2025.",
        ),
    },
    "virtual-cgmp-training-marathon-demo": {
        "title": tuple(
            f"{title} ({demo})"
            for title, demo in zip(
                _marathon(), ("démonstration", "demostración", "عرض توضيحي"), strict=True
            )
        ),
        "summary": (
            "Une édition de démonstration du Marathon : huit sessions en ligne, deux par semaine pendant quatre semaines. Les inscriptions sont ouvertes.",
            "Una edición de demostración del Maratón: ocho sesiones en línea, dos por semana durante cuatro semanas. La inscripción está abierta.",
            "دورة تجريبية من الماراثون: ثماني جلسات عبر الإنترنت، جلستان في الأسبوع على مدى أربعة أسابيع. باب التسجيل مفتوح.",
        ),
        "description": (
            "*Cette édition est un contenu de démonstration : elle montre comment un prochain Marathon apparaît sur le portail.*\n\n"
            "Huit sessions en ligne, deux par semaine pendant quatre semaines, de 13 h 00 à 15 h 00, heure de Genève.\n"
            "Chaque session associe une présentation et une séance de questions-réponses.\n\n"
            "- Gratuit ; inscription obligatoire\n- Pour les fabricants, les autorités nationales de réglementation et les ministères\n- Le lien de la réunion est envoyé aux participants inscrits",
            "*Esta edición es contenido de demostración: muestra cómo se ve en el portal un próximo Maratón.*\n\n"
            "Ocho sesiones en línea, dos por semana durante cuatro semanas, de 13:00 a 15:00, hora de Ginebra.\n"
            "Cada sesión combina una presentación con preguntas y respuestas.\n\n"
            "- Gratuito; se requiere inscripción\n- Para fabricantes, autoridades nacionales de reglamentación y ministerios\n- El enlace de la reunión se envía a los participantes inscritos",
            "*هذه الدورة محتوى تجريبي: تبيّن كيف يظهر ماراثون قادم على البوابة.*\n\n"
            "ثماني جلسات عبر الإنترنت، جلستان في الأسبوع على مدى أربعة أسابيع، من الساعة 13:00 إلى الساعة 15:00 بتوقيت جنيف.\n"
            "تجمع كل جلسة بين عرض تقديمي وفقرة للأسئلة والأجوبة.\n\n"
            "- مجاناً؛ التسجيل مطلوب\n- للجهات المصنّعة والسلطات التنظيمية الوطنية والوزارات\n- يُرسل رابط الاجتماع إلى المشاركين المسجّلين",
        ),
    },
    "week-of-quality-2023": {
        "title": (
            "Semaine de la qualité 2023 — L’origine des spécifications",
            "Semana de la Calidad 2023 — El origen de las especificaciones",
            "أسبوع الجودة 2023 — أصل المواصفات",
        ),
        "summary": (
            "Cinq jours en ligne, du 12 au 16 juin 2023, sur l’origine des spécifications, avec des parcours pour les vaccins, les médicaments et les DIV : des participants d’environ 90 pays.",
            "Cinco días en línea, del 12 al 16 de junio de 2023, sobre el origen de las especificaciones, con itinerarios para vacunas, medicamentos y DIV: participantes de unos 90 países.",
            "خمسة أيام عبر الإنترنت، من 12 إلى 16 حزيران/يونيو 2023، بشأن مصدر المواصفات، مع مسارات للقاحات والأدوية ووسائل التشخيص في المختبر: مشاركون من نحو 90 بلدًا.",
        ),
    },
    "week-of-quality-2024": {
        "title": tuple(f"{name} 2024" for name in WEEK_OF_QUALITY),
        "summary": (
            "L’édition 2024 de la Semaine de la qualité. Ses détails ne figurent pas dans nos sources : les dates indiquées sont fictives, pour la démonstration.",
            "La edición de 2024 de la Semana de la Calidad. Sus detalles no figuran en nuestras fuentes: las fechas indicadas son provisionales, para la demostración.",
            "دورة عام 2024 من أسبوع الجودة. لا ترد تفاصيلها في مصادرنا: التواريخ المعروضة افتراضية لأغراض العرض التوضيحي.",
        ),
    },
    "week-of-quality-demo": {
        "title": (
            "Semaine de la qualité (édition de démonstration)",
            "Semana de la Calidad (edición de demostración)",
            "أسبوع الجودة (دورة تجريبية)",
        ),
        "summary": (
            "Une édition de démonstration de la Semaine de la qualité, en ligne, avec des parcours pour les vaccins, les médicaments et les DIV. Les inscriptions ouvrent bientôt.",
            "Una edición de demostración de la Semana de la Calidad, en línea, con itinerarios para vacunas, medicamentos y DIV. La inscripción se abrirá pronto.",
            "دورة تجريبية من أسبوع الجودة، عبر الإنترنت، مع مسارات للقاحات والأدوية ووسائل التشخيص في المختبر. يُفتح باب التسجيل قريبًا.",
        ),
        "description": (
            "*Cette édition est un contenu de démonstration : elle montre un événement dont les inscriptions ne sont pas encore ouvertes.*\n\n"
            "Cinq jours en ligne, une session par jour, avec des parcours pour :\n\n"
            "- les vaccins ;\n- les médicaments ;\n- les diagnostics in vitro (DIV).",
            "*Esta edición es contenido de demostración: muestra un evento cuya inscripción aún no se ha abierto.*\n\n"
            "Cinco días en línea, una sesión al día, con itinerarios para:\n\n"
            "- vacunas;\n- medicamentos;\n- diagnósticos in vitro (DIV).",
            "*هذه الدورة محتوى تجريبي: تبيّن فعالية لم يُفتح باب التسجيل فيها بعد.*\n\n"
            "خمسة أيام عبر الإنترنت، جلسة واحدة في اليوم، مع مسارات لكل من:\n\n"
            "- اللقاحات؛\n- الأدوية؛\n- وسائل التشخيص في المختبر.",
        ),
    },
}

RESOURCES = {
    "who-gmp-main-principles-trs-986-annex-2": {
        "title": (
            "Bonnes pratiques de fabrication de l’OMS pour les produits pharmaceutiques : principes généraux",
            "Buenas prácticas de fabricación de la OMS para productos farmacéuticos: principios generales",
            "ممارسات التصنيع الجيدة لمنظمة الصحة العالمية الخاصة بالمستحضرات الصيدلانية: المبادئ الرئيسية",
        ),
        "summary": (
            "Les lignes directrices de base de l’OMS sur les bonnes pratiques de fabrication (BPF) des produits pharmaceutiques. Elles énoncent les principes auxquels le système qualité d’un fabricant doit répondre : gestion du risque qualité, revue de la qualité des produits, personnel et formation, locaux et équipements, documentation, production, contrôle de la qualité, réclamations et rappels, auto-inspection.",
            "Las directrices básicas de la OMS sobre buenas prácticas de fabricación (BPF) de productos farmacéuticos. Establecen los principios que debe cumplir el sistema de calidad de un fabricante: gestión de riesgos para la calidad, revisión de la calidad del producto, personal y formación, instalaciones y equipos, documentación, producción, control de calidad, reclamaciones y retiradas, y autoinspección.",
            "الإرشادات الأساسية لمنظمة الصحة العالمية بشأن ممارسات التصنيع الجيدة للمستحضرات الصيدلانية. وهي تحدد المبادئ التي يُتوقع أن يستوفيها نظام الجودة لدى الجهة المصنّعة، مثل إدارة مخاطر الجودة، ومراجعة جودة المنتج، والعاملين والتدريب، والمباني والمعدات، والتوثيق، والإنتاج، ومراقبة الجودة، والشكاوى والسحب من السوق، والتفتيش الذاتي.",
        ),
    },
    "who-technology-transfer-trs-1044-annex-4": {
        "title": (
            "Lignes directrices de l’OMS sur le transfert de technologie dans la fabrication pharmaceutique",
            "Directrices de la OMS sobre la transferencia de tecnología en la fabricación de productos farmacéuticos",
            "المبادئ التوجيهية لمنظمة الصحة العالمية بشأن نقل التكنولوجيا في التصنيع الصيدلاني",
        ),
        "summary": (
            "Les lignes directrices de l’OMS sur le transfert des procédés de fabrication et des procédures analytiques entre une unité émettrice et une unité réceptrice : organisation et gouvernance du transfert, connaissances et documents transmis, évaluation des locaux et des équipements du site récepteur, et démonstration de la réussite du transfert.",
            "Las directrices de la OMS sobre la transferencia de procesos de fabricación y procedimientos analíticos entre una unidad emisora y una unidad receptora: cómo se organiza y se gobierna la transferencia, qué conocimientos y documentos se entregan, cómo se evalúan las instalaciones y los equipos del centro receptor y cómo se demuestra el éxito de la transferencia.",
            "إرشادات منظمة الصحة العالمية بشأن نقل عمليات التصنيع والإجراءات التحليلية بين الوحدة المُرسِلة والوحدة المستقبِلة: كيفية تنظيم عملية النقل وحوكمتها، والمعارف والوثائق التي تُسلَّم، وكيفية تقييم المباني والمعدات في الموقع المستقبِل، وكيفية إثبات نجاح عملية النقل.",
        ),
    },
    "who-data-integrity-trs-1033-annex-4": {
        "title": (
            DATA_INTEGRITY_FR_TITLE,
            "Directriz sobre la integridad de los datos",
            "المبدأ التوجيهي بشأن سلامة البيانات",
        ),
        "summary": (
            "Les lignes directrices de l’OMS sur l’intégrité des données dans les activités régies par les bonnes pratiques : comment la gouvernance de la direction, la gestion du risque qualité et la conception des systèmes garantissent que les enregistrements papier et électroniques restent complets, cohérents et exacts tout au long de leur cycle de vie, et ce qui est attendu des pistes d’audit, des contrôles d’accès et de la revue des données.",
            "Las directrices de la OMS sobre la integridad de los datos en las actividades reguladas por las buenas prácticas: cómo la gobernanza de la dirección, la gestión de riesgos para la calidad y el diseño de los sistemas mantienen los registros en papel y electrónicos completos, coherentes y exactos durante todo su ciclo de vida, y qué se espera de las pistas de auditoría, los controles de acceso y la revisión de los datos.",
            "إرشادات منظمة الصحة العالمية بشأن سلامة البيانات في الأنشطة الخاضعة للممارسات الجيدة: كيف تحافظ حوكمة الإدارة وإدارة مخاطر الجودة وتصميم النظم على اكتمال السجلات الورقية والإلكترونية واتساقها ودقتها طوال دورة حياتها، وما هو متوقع من مسارات التدقيق وضوابط الوصول ومراجعة البيانات.",
        ),
    },
    "who-gmp-validation-trs-1019-annex-3": {
        "title": (
            "Bonnes pratiques de fabrication : lignes directrices sur la validation",
            "Buenas prácticas de fabricación: directrices sobre validación",
            "ممارسات التصنيع الجيدة: مبادئ توجيهية بشأن التحقق من الصلاحية",
        ),
        "summary": (
            "Les lignes directrices de l’OMS sur la validation dans la fabrication pharmaceutique : le plan directeur de validation, la qualification des locaux, des utilités, des équipements et des systèmes, et la validation des procédés, du nettoyage, des procédures analytiques et des systèmes informatisés tout au long du cycle de vie d’un produit.",
            "Las directrices de la OMS sobre validación en la fabricación de productos farmacéuticos: el plan maestro de validación, la cualificación de instalaciones, servicios, equipos y sistemas, y la validación de procesos, limpieza, procedimientos analíticos y sistemas informatizados a lo largo del ciclo de vida de un producto.",
            "إرشادات منظمة الصحة العالمية بشأن التحقق من الصلاحية في التصنيع الصيدلاني: الخطة الرئيسية للتحقق من الصلاحية، وتأهيل المباني والمرافق الخدمية والمعدات والنظم، والتحقق من صلاحية العمليات والتنظيف والإجراءات التحليلية والنظم المحوسبة على امتداد دورة حياة المنتج.",
        ),
    },
    "who-quality-risk-management-trs-981-annex-2": {
        "title": (
            "Lignes directrices de l’OMS sur la gestion du risque qualité",
            "Directrices de la OMS sobre gestión de riesgos para la calidad",
            "المبادئ التوجيهية لمنظمة الصحة العالمية بشأن إدارة مخاطر الجودة",
        ),
        "summary": (
            "Les lignes directrices de l’OMS sur l’application de la gestion du risque qualité aux produits médicaux tout au long de leur cycle de vie : principes et processus d’appréciation, de maîtrise, de communication et de revue du risque, outils couramment utilisés, et domaines où fabricants et autorités de réglementation peuvent l’appliquer.",
            "Las directrices de la OMS sobre la aplicación de la gestión de riesgos para la calidad a los productos médicos a lo largo de su ciclo de vida: los principios y el proceso de evaluación, control, comunicación y revisión del riesgo, las herramientas de uso habitual y los ámbitos en que fabricantes y autoridades de reglamentación pueden aplicarla.",
            "إرشادات منظمة الصحة العالمية بشأن تطبيق إدارة مخاطر الجودة على المنتجات الطبية طوال دورة حياتها: مبادئ تقييم المخاطر ومكافحتها والإبلاغ عنها ومراجعتها وعملية ذلك، والأدوات الشائعة الاستخدام، والمجالات التي يمكن فيها للجهات المصنّعة والجهات التنظيمية تطبيقها.",
        ),
    },
    "virtual-cgmp-training-marathon-vaccine-manufacturing-qa": {
        "title": (
            f"{MARATHON[0]} pour la fabrication des vaccins : questions et réponses",
            f"{MARATHON[1]} para la fabricación de vacunas: preguntas y respuestas",
            f"{MARATHON[2]} لتصنيع اللقاحات: أسئلة وأجوبة",
        ),
        "summary": (
            f"Les questions posées lors du {MARATHON[0]} 2021 pour la fabrication des vaccins, avec leurs réponses.",
            f"Las preguntas formuladas durante el {MARATHON[1]} 2021 para la fabricación de vacunas, con sus respuestas.",
            "الأسئلة التي طُرحت خلال الماراثون التدريبي الافتراضي بشأن ممارسات التصنيع الجيدة الحالية لعام 2021 لتصنيع اللقاحات، مع أجوبتها.",
        ),
    },
}

TOPICS = {
    "quality-systems": {"name": ("Systèmes qualité", "Sistemas de calidad", "نظم الجودة")},
    "manufacturing-and-facilities": {
        "name": ("Fabrication et installations", "Fabricación e instalaciones", "التصنيع والمرافق")
    },
    "quality-control": {"name": ("Contrôle de la qualité", "Control de calidad", "مراقبة الجودة")},
    "supply-chain": {
        "name": ("Chaîne d’approvisionnement", "Cadena de suministro", "سلسلة الإمداد")
    },
    "products-and-platforms": {
        "name": ("Produits et plateformes", "Productos y plataformas", "المنتجات والمنصات")
    },
    "regulatory": {"name": ("Réglementation", "Reglamentación", "الشؤون التنظيمية")},
    "data-integrity": {
        "name": ("Intégrité des données", "Integridad de los datos", "سلامة البيانات")
    },
    "quality-risk-management": {
        "name": (
            "Gestion du risque qualité",
            "Gestión de riesgos para la calidad",
            "إدارة مخاطر الجودة",
        )
    },
    "technology-transfer": {
        "name": ("Transfert de technologie", "Transferencia de tecnología", "نقل التكنولوجيا")
    },
    "process-validation": {
        "name": ("Validation des procédés", "Validación de procesos", "التحقق من صلاحية العمليات")
    },
    "equipment-qualification": {
        "name": ("Qualification des équipements", "Cualificación de equipos", "تأهيل المعدات")
    },
    "cold-chain": {
        "name": (
            "Chaînes d’approvisionnement thermosensibles et chaîne du froid",
            "Cadenas de suministro termosensibles y cadena de frío",
            "سلاسل الإمداد الحساسة لدرجة الحرارة وسلسلة التبريد",
        )
    },
}

_YEAR = re.compile(r"\b(\d{4})\b")


def seed_demo_translations() -> dict[str, int]:
    """Write the translations into the columns still empty; returns how many records of the
    demo have them (the same on every run)."""
    translated = 0
    resources: list[int] = []
    for model, records in ((Programme, PROGRAMMES), (Event, EVENTS), (Resource, RESOURCES)):
        for slug, fields in records.items():
            obj = model.objects.filter(slug=slug).first()
            if obj is None:
                continue
            translated += 1
            if _fill(obj, fields) and model is Resource:
                resources.append(obj.pk)
    topics: list[int] = []
    for slug, fields in TOPICS.items():
        topic = Topic.objects.filter(slug=slug).first()
        if topic is not None:
            translated += 1
            if _fill(topic, fields):
                topics.append(topic.pk)
    # Resources tagged with a topic translated now are found by its translated name, too.
    resources += Resource.objects.filter(topics__in=topics).values_list("pk", flat=True)
    resource_search_index_update(resource_ids=resources)
    return {"translated records": translated}


def _fill(obj, fields: dict[str, tuple[str, str, str]]) -> bool:
    year = _YEAR.search(getattr(obj, "title", "") or "")
    updates = {}
    for field, texts in fields.items():
        for language, text in zip(LANGUAGES, texts, strict=True):
            name = column(field, language)
            if not getattr(obj, name):
                updates[name] = text.replace("{year}", year.group(1) if year else "")
    if updates:
        type(obj).objects.filter(pk=obj.pk).update(**updates)
    return bool(updates)
