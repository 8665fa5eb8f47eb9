"""Writes of the knowledge repository: files, the publication workflow, the CSV import of
records, and counted downloads. Views, admin actions, commands and tasks all call these.

After every change of a resource, its files, Q&A items or topics the resource's search document
is brought up to date, once the transaction has committed.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.cache import content_changed, content_versions
from accounts.facet_index import build_queue, store_bitsets
from accounts.ratelimits import visitor_key
from repository.extraction import text_extraction_queue
from repository.models import (
    AccessLevel,
    Audience,
    DownloadEvent,
    LanguageCode,
    ProductArea,
    Region,
    Resource,
    ResourceFile,
    Topic,
)
from repository.uploads import (
    UploadInfo,
    storage_available_check,
    stored_file_delete,
    stored_files_cleanup,
    upload_store,
    validate_resource_upload,
)

logger = logging.getLogger(__name__)

Status = Resource.Status


def search_index_update_on_commit(resource_ids: Iterable[int]) -> None:
    """These resources changed: recompute their search documents once the transaction commits,
    renew the repository's content version (the kept parts of pages showing it) and count the
    facets of the list again."""
    ids = sorted(set(resource_ids))
    if ids:
        transaction.on_commit(lambda: _search_index_update(ids))
        content_changed("repository")
        transaction.on_commit(facet_counts_refresh_queue)


def facet_counts_refresh_queue() -> None:
    from repository.tasks import refresh_facet_counts

    build_queue(refresh_facet_counts)


def facet_counts_refresh() -> int:
    """Build the bitsets from which the repository list counts its facets
    (repository.selectors.resource_bitsets), for the public and for staff, and keep them for the
    content version of now and until the next embargo ends; returns how many lists were kept."""
    from django.contrib.auth.models import AnonymousUser

    from repository.selectors import resource_bitsets, resource_bitsets_name

    # The version is read first: a change while building makes these bitsets old at once.
    version = content_versions()["repository"]
    if version is None:
        return 0  # the cache is unreachable: nobody could tell the bitsets current
    now = timezone.now()
    valid_until = (
        Resource.objects.filter(embargo_until__gt=now)
        .order_by("embargo_until")
        .values_list("embargo_until", flat=True)
        .first()
    )
    staff = AnonymousUser()
    staff.is_staff = True
    for user in (AnonymousUser(), staff):
        store_bitsets(
            resource_bitsets_name(user),
            resource_bitsets(user=user),
            version=version,
            valid_until=valid_until,
        )
    return 2


def _search_index_update(ids: list[int]) -> None:
    from repository.search import resource_search_index_update

    try:
        resource_search_index_update(resource_ids=ids)
    except DatabaseError:
        # The change itself is committed; `manage.py rebuild_search_index` catches up.
        logger.exception("Could not update the search documents of resources %s", ids)


# --- Files ---------------------------------------------------------------------------------------


def resource_file_upload_set(*, resource_file: ResourceFile, upload, info: UploadInfo) -> None:
    """Store an accepted upload for this file row (the row itself is not saved): the safe name,
    type, size and checksum, and a fresh extraction state. Call it inside
    `stored_files_cleanup()` and save the row in the same block."""
    upload_store(field_file=resource_file.file, upload=upload, info=info)
    resource_file.external_url = ""
    resource_file.mime_type = info.mime_type
    resource_file.size = info.size
    resource_file.sha256 = info.sha256
    resource_file.page_count = info.page_count
    resource_file.extracted_text = ""
    resource_file.extraction_status = (
        ResourceFile.Extraction.PENDING if info.is_pdf else ResourceFile.Extraction.NOT_APPLICABLE
    )


def stored_file_delete_on_commit(*, storage, name: str) -> None:
    """Delete a stored file once the transaction that dropped its row has committed; a rolled
    back change keeps it."""
    if name:
        transaction.on_commit(lambda: stored_file_delete(storage=storage, name=name))


def resource_file_add(
    *,
    resource: Resource,
    file=None,
    external_url: str = "",
    language: str,
    title: str = "",
    order: int = 0,
) -> ResourceFile:
    """Add a language edition or part to a resource: an uploaded file, accepted only for what
    its content is (see repository.uploads), or a link elsewhere.

    Bad input raises ValidationError and stores nothing; a failure after the file reached
    storage deletes it again. A PDF's text is extracted in the background after the commit.
    """
    if bool(file) == bool(external_url):
        raise ValidationError(_("Give either a file or an external link, not both."))
    if language not in LanguageCode.values:
        raise ValidationError(
            _("“%(language)s” is not one of WHO's six languages."), params={"language": language}
        )
    if external_url:
        URLValidator(schemes=["https", "http"])(external_url)
    info = validate_resource_upload(file) if file else None
    if info is not None:
        storage_available_check()
    resource_file = ResourceFile(
        resource=resource,
        language=language,
        title=title,
        order=order,
        external_url=external_url,
    )
    # Everything but the file is checked before the file reaches storage.
    resource_file.clean_fields(exclude=["resource", "file"])
    with stored_files_cleanup(), transaction.atomic():
        if info is not None:
            resource_file_upload_set(resource_file=resource_file, upload=file, info=info)
        resource_file.full_clean(exclude=["resource"])
        resource_file.save()
        if info is not None and info.is_pdf:
            text_extraction_queue(files=[resource_file])
        search_index_update_on_commit([resource.pk])
    return resource_file


def resource_file_delete(*, resource_file: ResourceFile) -> None:
    """Delete a file row; its stored file goes once the deletion has committed."""
    storage, name = resource_file.file.storage, resource_file.file.name
    resource_id = resource_file.resource_id
    with transaction.atomic():
        resource_file.delete()
        stored_file_delete_on_commit(storage=storage, name=name)
        search_index_update_on_commit([resource_id])


def resources_stored_files_delete_on_commit(*, resource_ids: Iterable[int]) -> None:
    """Before resources are deleted (their file rows go with them): delete their stored files
    once that deletion has committed."""
    files = ResourceFile.objects.filter(resource_id__in=list(resource_ids)).exclude(file="")
    for resource_file in files.only("pk", "file"):
        stored_file_delete_on_commit(
            storage=resource_file.file.storage, name=resource_file.file.name
        )


# --- Publication workflow ------------------------------------------------------------------------

# Where a resource may go from each status. Withdrawn resources may come back.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.IN_REVIEW, Status.PUBLISHED},
    Status.IN_REVIEW: {Status.DRAFT, Status.PUBLISHED},
    Status.PUBLISHED: {Status.WITHDRAWN},
    Status.WITHDRAWN: {Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED},
}


def resource_status_change_check(*, resource: Resource, status: str) -> None:
    """Raise ValidationError unless the workflow lets this resource go to `status`."""
    if status not in Status.values:
        raise ValidationError(_("“%(status)s” is not a status."), params={"status": status})
    old = resource.status
    if status == old or status in TRANSITIONS[old]:
        return
    raise ValidationError(
        _("A resource that is “%(old)s” cannot become “%(new)s”."),
        params={"old": Status(old).label, "new": Status(status).label},
    )


def resource_publish(*, resource: Resource, by=None) -> Resource:
    """Publish a resource: it needs a title and a type; the first publication date is kept
    (`published_at` is set once). An embargo still hides it from the public until it ends."""
    missing = [
        str(label)
        for label, value in ((_("title"), resource.title), (_("type"), resource.kind))
        if not (value or "").strip()
    ]
    if missing:
        raise ValidationError(
            _("Cannot publish “%(resource)s”: it has no %(missing)s."),
            params={"resource": resource.title or resource.slug, "missing": ", ".join(missing)},
        )
    resource_status_change_check(resource=resource, status=Status.PUBLISHED)
    if resource.status == Status.PUBLISHED and resource.published_at:
        return resource
    resource.status = Status.PUBLISHED
    resource.published_at = resource.published_at or timezone.now()
    with transaction.atomic():
        resource.save(update_fields=["status", "published_at", "updated_at"])
        search_index_update_on_commit([resource.pk])
    logger.info("Resource %s published by %s", resource.pk, getattr(by, "pk", None))
    return resource


def resource_status_set(*, resource: Resource, status: str, by=None) -> Resource:
    """Move a resource along the workflow: draft → in review → published → withdrawn (and
    back to draft or review from withdrawn; back to draft from review)."""
    if status == Status.PUBLISHED:
        return resource_publish(resource=resource, by=by)
    resource_status_change_check(resource=resource, status=status)
    if resource.status == status:
        return resource
    resource.status = status
    with transaction.atomic():
        resource.save(update_fields=["status", "updated_at"])
        search_index_update_on_commit([resource.pk])
    logger.info("Resource %s set to %s by %s", resource.pk, status, getattr(by, "pk", None))
    return resource


# --- CSV import ----------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "title",
    "slug",
    "kind",
    "summary",
    "reference_number",
    "isbn",
    "publisher",
    "publication_date",
    "topics",
    "audiences",
    "product_areas",
    "regions",
    "access_level",
    "status",
)
IMPORT_REQUIRED = ("title", "kind")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
ACCESS_LEVELS = {
    "public": AccessLevel.PUBLIC,
    "registered": AccessLevel.REGISTERED,
    "regulators": AccessLevel.REGULATORS,
}
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
_LIST_SEPARATORS = re.compile(r"[;,|]")


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of a CSV import: the resources created, or the problems that stopped it."""

    created: list[Resource] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Row:
    line: int
    resource: Resource
    topics: list[Topic]
    audiences: list[Audience]
    product_areas: list[ProductArea]
    regions: list[Region]


def resources_import_csv(*, file, by=None, dry_run: bool = False) -> ImportReport:
    """Create resource records (no files) from a CSV file; all or nothing.

    Columns (first line): title and kind are required; slug (made from the title when empty),
    summary, reference_number, isbn, publisher, publication_date (YYYY, YYYY-MM or YYYY-MM-DD),
    topics (slugs), audiences, product_areas, regions (codes; several separated by ";"),
    access_level (public, registered, regulators) and status (draft when empty). UTF-8 with or
    without BOM, separated by commas or semicolons. When any row has a problem nothing is
    created and the report lists every problem with its line number. `dry_run` checks only.
    """
    report = ImportReport(dry_run=dry_run)
    text = _import_text(file, report)
    if text is None:
        return report
    rows = _import_rows(text, report)
    if report.problems:
        return report
    if dry_run:
        return report
    try:
        with transaction.atomic():
            for row in rows:
                row.resource.save()
                row.resource.topics.set(row.topics)
                row.resource.audiences.set(row.audiences)
                row.resource.product_areas.set(row.product_areas)
                row.resource.regions.set(row.regions)
                report.created.append(row.resource)
            search_index_update_on_commit(resource.pk for resource in report.created)
    except IntegrityError:
        # Another editor created one of these slugs meanwhile.
        report.created = []
        report.problems.append(
            ImportProblem(1, _("A resource with one of these slugs was just created; try again."))
        )
        return report
    logger.info("%d resources imported by %s", len(report.created), getattr(by, "pk", None))
    return report


def _import_text(file, report: ImportReport) -> str | None:
    file.seek(0)
    content = file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        report.problems.append(
            ImportProblem(
                1,
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_IMPORT_BYTES // 1024**2},
            )
        )
        return None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problems.append(
            ImportProblem(
                1,
                _(
                    "The file is not UTF-8 text. In your spreadsheet, save it as "
                    "“CSV UTF-8 (comma delimited)”."
                ),
            )
        )
        return None


def _import_rows(text: str, report: ImportReport) -> list[_Row]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        report.problems.append(ImportProblem(1, _("The file is empty.")))
        return []
    columns = [name.strip().lower().replace(" ", "_") for name in header]
    unknown = [name for name in columns if name and name not in IMPORT_COLUMNS]
    missing = [name for name in IMPORT_REQUIRED if name not in columns]
    if unknown:
        report.problems.append(
            ImportProblem(
                1,
                _("Unknown columns: %(unknown)s. The columns are: %(columns)s.")
                % {"unknown": ", ".join(unknown), "columns": ", ".join(IMPORT_COLUMNS)},
            )
        )
    if missing:
        report.problems.append(
            ImportProblem(1, _("Missing columns: %(missing)s.") % {"missing": ", ".join(missing)})
        )
    if report.problems:
        return []
    vocabulary = _Vocabulary.load()
    rows: list[_Row] = []
    seen_slugs: dict[str, int] = {}
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            report.rows += 1
            if report.rows > MAX_IMPORT_ROWS:
                report.problems.append(
                    ImportProblem(
                        start,
                        _("At most %(count)d resources can be imported at once.")
                        % {"count": MAX_IMPORT_ROWS},
                    )
                )
                break
            if len(cells) > len(columns):
                report.problems.append(
                    ImportProblem(start, _("This row has more cells than the first line."))
                )
                continue
            values = {
                name: (cells[index].strip() if index < len(cells) else "")
                for index, name in enumerate(columns)
                if name
            }
            row = _import_row(start, values, vocabulary, seen_slugs, report)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        report.problems.append(
            ImportProblem(line, _("This line cannot be read: %(error)s") % {"error": error})
        )
    if not report.rows and not report.problems:
        report.problems.append(ImportProblem(2, _("The file has no rows below its first line.")))
    return rows


@dataclass
class _Vocabulary:
    topics: dict[str, Topic]
    audiences: dict[str, Audience]
    product_areas: dict[str, ProductArea]
    regions: dict[str, Region]
    kinds: dict[str, str]

    @classmethod
    def load(cls) -> _Vocabulary:
        kinds = {code: code for code in Resource.Kind.values}
        with translation.override("en"):
            kinds.update({str(label).lower(): code for code, label in Resource.Kind.choices})
        return cls(
            topics={topic.slug: topic for topic in Topic.objects.all()},
            audiences={row.code: row for row in Audience.objects.all()},
            product_areas={row.code: row for row in ProductArea.objects.all()},
            regions={row.code.upper(): row for row in Region.objects.all()},
            kinds=kinds,
        )


def _import_row(
    line: int,
    values: dict[str, str],
    vocabulary: _Vocabulary,
    seen_slugs: dict[str, int],
    report: ImportReport,
) -> _Row | None:
    problems: list[str] = []
    title = values.get("title", "")
    if not title:
        problems.append(_("the title is empty."))
    kind_value = values.get("kind", "")
    kind = vocabulary.kinds.get(kind_value.lower())
    if kind is None:
        problems.append(
            _("unknown type “%(value)s”; use one of: %(codes)s.")
            % {"value": kind_value, "codes": ", ".join(Resource.Kind.values)}
        )
    publication_date, precision = None, Resource.DatePrecision.YEAR
    if values.get("publication_date"):
        try:
            publication_date, precision = _parse_date(values["publication_date"])
        except ValueError:
            problems.append(
                _("the publication date “%(value)s” is not YYYY, YYYY-MM or YYYY-MM-DD.")
                % {"value": values["publication_date"]}
            )
    access_value = values.get("access_level", "").lower() or "public"
    access_level = ACCESS_LEVELS.get(access_value)
    if access_level is None:
        problems.append(
            _("unknown access level “%(value)s”; use public, registered or regulators.")
            % {"value": values["access_level"]}
        )
    status = values.get("status", "").lower().replace(" ", "_") or Status.DRAFT
    if status not in Status.values:
        problems.append(
            _("unknown status “%(value)s”; use one of: %(codes)s.")
            % {"value": values["status"], "codes": ", ".join(Status.values)}
        )
    slug = values.get("slug", "")
    if slug:
        try:
            validate_slug(slug)
        except ValidationError:
            problems.append(
                _("the slug “%(value)s” may hold only letters, digits, hyphens and underscores.")
                % {"value": slug}
            )
        else:
            if slug in seen_slugs:
                problems.append(
                    _("the slug “%(value)s” is also on line %(other)d.")
                    % {"value": slug, "other": seen_slugs[slug]}
                )
            elif Resource.objects.filter(slug=slug).exists():
                problems.append(_("a resource with the slug “%(value)s” exists.") % {"value": slug})
    elif title:
        slug = _free_slug(title, seen_slugs)
    if slug:
        seen_slugs.setdefault(slug, line)
    topics = _lookup(values.get("topics", ""), vocabulary.topics, _("topic"), problems)
    audiences = _lookup(values.get("audiences", ""), vocabulary.audiences, _("audience"), problems)
    product_areas = _lookup(
        values.get("product_areas", ""), vocabulary.product_areas, _("product area"), problems
    )
    regions = _lookup(
        values.get("regions", "").upper(), vocabulary.regions, _("WHO region"), problems
    )
    resource = Resource(
        title=title,
        slug=slug,
        kind=kind or "",
        summary=values.get("summary", ""),
        reference_number=values.get("reference_number", ""),
        isbn=values.get("isbn", ""),
        publisher=values.get("publisher") or Resource._meta.get_field("publisher").default,
        publication_date=publication_date,
        date_precision=precision,
        access_level=access_level if access_level is not None else AccessLevel.PUBLIC,
        status=status if status in Status.values else Status.DRAFT,
    )
    if resource.status == Status.PUBLISHED:
        resource.published_at = timezone.now()
    if not problems:
        try:
            resource.full_clean(validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = _field_label(name)
                problems.extend(f"{label}: {message}" for message in messages)
    for problem in problems:
        report.problems.append(ImportProblem(line, problem[:1].upper() + problem[1:]))
    if problems:
        return None
    return _Row(line, resource, topics, audiences, product_areas, regions)


def _field_label(name: str) -> str:
    try:
        return str(Resource._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _parse_date(value: str) -> tuple[date, str]:
    match = _DATE.match(value)
    if not match:
        raise ValueError(value)
    year, month, day = match.groups()
    if day:
        return date(int(year), int(month), int(day)), Resource.DatePrecision.DAY
    if month:
        return date(int(year), int(month), 1), Resource.DatePrecision.MONTH
    return date(int(year), 1, 1), Resource.DatePrecision.YEAR


def _lookup(value: str, known: dict, what: str, problems: list[str]) -> list:
    found, unknown = [], []
    for code in (part.strip() for part in _LIST_SEPARATORS.split(value)):
        if not code:
            continue
        if code in known:
            found.append(known[code])
        else:
            unknown.append(code)
    if unknown:
        problems.append(
            _("unknown %(what)s: %(codes)s.") % {"what": what, "codes": ", ".join(unknown)}
        )
    return found


def _free_slug(title: str, taken_in_file: dict[str, int]) -> str:
    base = slugify(title)[:190].strip("-") or "resource"
    taken = set(
        Resource.objects.filter(slug__startswith=base).values_list("slug", flat=True)
    ) | set(taken_in_file)
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


# --- Downloads -----------------------------------------------------------------------------------

# A visitor's downloads of a file are counted once a day (the salt of the visitor's hash changes
# daily); the cache remembers a counted one this long.
REPEAT_SECONDS = 24 * 60 * 60
# Crawlers and link-preview fetchers are not people downloading a document. Command-line tools
# (curl, wget) and headless browsers are counted: people use them, and the repeat window keeps
# their repeats out.
BOT_USER_AGENTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|facebookexternalhit|facebookcatalog|whatsapp|"
    r"slack|telegram|discord|skypeuripreview|preview|embedly|mediapartners|ia_archiver|"
    r"lighthouse|pingdom|uptime",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return bool(BOT_USER_AGENTS.search(user_agent or ""))


def _daily_salt(day: date) -> bytes:
    """A salt that changes every day and cannot be guessed without the secret key; yesterday's
    hashes cannot be linked to today's."""
    secret = f"{settings.SECRET_KEY}:download-visitor:{day.isoformat()}"
    return hashlib.sha256(secret.encode()).digest()


def visitor_hash(*, visitor: str, day: date) -> str:
    """A salted hash of the visitor (`accounts.ratelimits.visitor_key`), never the address."""
    digest = hashlib.sha256(_daily_salt(day))
    digest.update(visitor.encode("utf-8", "replace"))
    return digest.hexdigest()


def download_record(*, request, resource: Resource, file: ResourceFile) -> bool:
    """Count a download of `file` unless it is a crawler's or a repeat; returns whether it was
    counted.

    A download counts once per file, visitor and day (UTC), where a visitor is the signed-in
    person or, for anonymous visitors, their address (IPv6 by its /64 network), whatever browser
    they say they use: changing the User-Agent does not count again. What is kept is a hash of
    the visitor with a salt that changes daily, never the address or the person; for signed-in
    people their WHO region and type of organisation. A repeat is found in the shared cache and,
    as the source of truth, in the database. Previews of resources the public cannot see
    (drafts, embargoed) are not counted.
    """
    if is_bot(request.META.get("HTTP_USER_AGENT", "")):
        return False
    now = timezone.now()
    if not resource.is_public(now):
        return False
    current = visitor_hash(visitor=visitor_key(request), day=timezone.localdate(now))
    cache_key = f"repository:download:{current}:{file.pk}"
    try:
        if not cache.add(cache_key, 1, timeout=REPEAT_SECONDS):
            return False
    except Exception:  # the cache is unreachable: the database alone decides
        logger.warning("Download of file %s counted without the cache", file.pk)
    user = request.user
    try:
        with transaction.atomic():
            if DownloadEvent.objects.filter(visitor_hash=current, file=file).exists():
                return False
            DownloadEvent.objects.create(
                resource=resource,
                file=file,
                visitor_hash=current,
                who_region=user.who_region if user.is_authenticated else "",
                organisation_type=user.organisation_type if user.is_authenticated else "",
                created_at=now,
            )
            Resource.objects.filter(pk=resource.pk).update(download_count=F("download_count") + 1)
    except DatabaseError:
        # Counting must never stop a download.
        logger.exception("Could not count a download of file %s", file.pk)
        with contextlib.suppress(Exception):
            cache.delete(cache_key)
        return False
    return True
