"""The open-data page, the latest snapshot's files, and the live streamed exports."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from opendata import snapshot
from opendata.datasets import DATASETS, LICENCE, LICENCE_URL, TYPE_LABELS, Filters
from opendata.streaming import FORMATS, chunks
from projects.models import Community


def filters_from(request: HttpRequest) -> Filters:
    """``?community=<slug>&year=<yyyy>``; a bad value is a clear 400, an unknown community 404."""
    community = request.GET.get("community") or None
    year_text = request.GET.get("year") or ""
    year = None
    if year_text:
        if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
            raise BadRequest(_("年度须是 2000 到 2100 之间的四位数字"))
        year = int(year_text)
    if community and not Community.objects.filter(slug=community).exists():
        raise Http404(_("没有这个社区"))
    return Filters(community=community, year=year)


def open_data(request: HttpRequest) -> HttpResponse:
    snap = snapshot.latest()
    files: dict[str, list[dict[str, Any]]] = {}
    if snap is not None:
        for f in snap.manifest["files"]:
            files.setdefault(f["dataset"], []).append(f)
    datasets = [
        {
            "dataset": d,
            "files": files.get(d.slug, []),
            "columns": [(c, TYPE_LABELS[c.type]) for c in d.columns],
        }
        for d in DATASETS.values()
    ]
    return render(
        request,
        "opendata/index.html",
        {
            "snap": snap,
            "datasets": datasets,
            "ballot_files": files.get("budget_ballots", []),
            "licence": LICENCE,
            "licence_url": LICENCE_URL,
            "communities": Community.objects.order_by("slug").values_list("slug", "name"),
        },
    )


def snapshot_file(request: HttpRequest, day: str, name: str) -> FileResponse:
    """A file of a snapshot, by the name its manifest gives (nothing else is served)."""
    folder = snapshot.root() / day
    manifest_path = folder / snapshot.MANIFEST
    if not manifest_path.is_file():
        raise Http404(_("没有这一天的开放数据"))
    manifest = json.loads(manifest_path.read_text())
    entry = next((f for f in manifest["files"] if f["name"] == name), None)
    if entry is None and name not in (snapshot.MANIFEST, "SHA256SUMS"):
        raise Http404(_("没有这个文件"))
    path = folder / name
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "json": "application/json",
        "pb": "text/plain; charset=utf-8",
    }.get(name.rsplit(".", 1)[-1], "text/plain; charset=utf-8")
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{day}-{name.replace("/", "-")}"'
    if entry is not None:
        response["X-Content-SHA256"] = entry["sha256"]
    return response


def live_export(request: HttpRequest, slug: str, fmt: str) -> StreamingHttpResponse:
    """The dataset as it stands now, streamed (no hash: see the dated snapshot for one)."""
    dataset = DATASETS.get(slug)
    if dataset is None or fmt not in FORMATS:
        raise Http404(_("没有这个数据集"))
    filters = filters_from(request)
    response = StreamingHttpResponse(chunks(dataset, fmt, filters), content_type=FORMATS[fmt])
    suffix = "".join(f"-{part}" for part in (filters.community, filters.year) if part is not None)
    response["Content-Disposition"] = f'attachment; filename="{slug}{suffix}.{fmt}"'
    return response


def live_form(request: HttpRequest) -> HttpResponse:
    """The page's export form: to the live export of the chosen dataset and format."""
    from django.shortcuts import redirect
    from django.urls import reverse
    from django.utils.http import urlencode

    slug = request.GET.get("dataset", "")
    fmt = request.GET.get("format", "csv")
    if slug not in DATASETS or fmt not in FORMATS:
        raise Http404(_("没有这个数据集"))
    query = {k: request.GET[k] for k in ("community", "year") if request.GET.get(k)}
    url = reverse("open-data-live", args=[slug, fmt])
    return redirect(f"{url}?{urlencode(query)}" if query else url)
