#!/usr/bin/env python
"""Time, pages and memory of a signed team report, against WeasyPrint alone on the same HTML.

    DEBUG=true .venv/bin/python benchmarks/report_export.py
    DEBUG=true .venv/bin/python benchmarks/report_export.py --controls 120 --evidence 300

It builds a fresh SQLite database in a temporary folder: the catalog, one team whose
checklist holds --controls answered controls (most approved, some partial with a
justification), --evidence evidence files cited by them and --events audit events of the
team, and --teams - 1 more teams with a MixPay checklist each. It then measures, in fresh
child processes:

  * WeasyPrint alone: the report's HTML (built before the clock starts) rendered to PDF;
  * the whole export as the Celery task runs it: read the database, render the template,
    WeasyPrint with the attached JSON, PAdES signature, store, record;
  * the same for the organisation report over every team.

The first two are timed in one child, alternately, --repeat times each, so both see the same load
on the machine; the fastest run of each counts. Peak memory (RSS) comes from one more child
for each, running once. Every child first renders a one-line document, so none pays for font
discovery. The figures (seconds, pages, peak RSS, and the ratio of the whole export to
WeasyPrint alone) go to stdout as JSON.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def fill(controls: int, evidence: int, events: int, teams: int) -> dict:
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from checklists.models import (
        AnswerStatus,
        Attestation,
        Evidence,
        EvidenceLink,
        Provider,
        ReviewState,
    )
    from checklists.periods import Quarter
    from checklists.services.checklists import checklist_create
    from portal.accounts import services as accounts
    from portal.audit import services as audit
    from tests.conftest import make_user

    call_command("migrate", verbosity=0)
    call_command("load_catalog", stdout=StringIO())
    team = accounts.team_create(name="Kopi Kita", slug="kopi-kita")
    lead = make_user("lead")
    accounts.membership_add(team=team, user=lead, role="lead")
    quarter = Quarter.current()
    checklist = checklist_create(
        team=team, period=str(quarter), providers=list(Provider.objects.all()), by=lead
    )
    items = list(checklist.attestations.order_by("pk"))
    if len(items) < controls:
        raise SystemExit(f"The catalog gives {len(items)} controls, fewer than {controls}.")
    extra = [item.pk for item in items[controls:]]
    Attestation.objects.filter(satisfied_through_id__in=extra).update(satisfied_through=None)
    Attestation.objects.filter(pk__in=extra).delete()
    answered = Attestation.objects.filter(checklist=checklist, satisfied_through__isnull=True)
    now = timezone.now()
    answered.update(
        status=AnswerStatus.IMPLEMENTED,
        statement="Done and documented.",
        review_state=ReviewState.APPROVED,
        attested_by=lead,
        attested_at=now,
        approved_at=now,
    )
    for item in answered.order_by("pk")[::7]:
        Attestation.objects.filter(pk=item.pk).update(
            status=AnswerStatus.PARTIAL,
            review_state=ReviewState.SUBMITTED,
            justification="Production is covered; the staging environment follows next quarter.",
        )
    targets = list(answered.order_by("pk"))
    files = Evidence.objects.bulk_create(
        Evidence(
            team=team,
            kind="file",
            description=f"Evidence file {n}",
            original_name=f"evidence-{n:03}-configuration-export.txt",
            size=1000 + n,
            sha256=f"{n:064x}",
            content_type="text/plain",
            blob_name=f"{n:032x}",
            uploaded_by=lead,
        )
        for n in range(evidence)
    )
    EvidenceLink.objects.bulk_create(
        EvidenceLink(attestation=targets[n % len(targets)], evidence=file, added_by=lead)
        for n, file in enumerate(files)
    )
    with transaction.atomic():
        for n in range(events):
            audit.record(
                "checklists.attestation.saved",
                actor=lead,
                obj=targets[n % len(targets)],
                team=team,
                changes={"status": "implemented"},
            )
    mixpay = list(Provider.objects.filter(slug="mixpay"))
    for n in range(1, teams):
        other = accounts.team_create(name=f"Merchant {n:03}", slug=f"merchant-{n:03}")
        checklist_create(team=other, period=str(quarter), providers=mixpay, by=lead)
    return {
        "team": team.slug,
        "period": str(quarter),
        "controls": controls,
        "evidence": evidence,
        "teams": teams,
    }


def _warm_up() -> None:
    import weasyprint

    weasyprint.HTML(string="<p>warm-up</p>").write_pdf()


def _weasyprint_alone(team, quarter):
    """WeasyPrint alone on the report's HTML (built before the clock starts)."""
    import weasyprint
    from django.urls import reverse
    from django.utils import timezone

    from checklists.models import ReportKind
    from checklists.reports import content, rendering, signing

    report = content.team_report(
        team=team,
        quarter=quarter,
        kind=ReportKind.DRAFT,
        generated_by="bench",
        generated_at=timezone.now(),
    )
    signer = signing.load_signer()
    report["export"] = {"id": None}
    report["signer"] = {"subject": signer.subject, "certificate_sha256": signer.fingerprint}
    html = rendering.team_report_html(report, verify_url=reverse("checklists:report_verify"))

    def run() -> dict:
        started = time.perf_counter()
        document = weasyprint.HTML(string=html).render()
        data = document.write_pdf()
        return {
            "seconds": round(time.perf_counter() - started, 3),
            "pages": len(document.pages),
            "bytes": len(data),
        }

    return run


def _whole_export(team, period: str):
    """The export as the task runs it: database, template, WeasyPrint, JSON, signature, store."""
    from checklists.reports import services

    services._enqueue = lambda export: None  # run below, in this process, timed

    def run() -> dict:
        export, _ = services.report_request(team=team, period=period, via="command")
        started = time.perf_counter()
        services.report_run(export_id=export.pk)
        elapsed = time.perf_counter() - started
        export.refresh_from_db()
        if export.status != "done":
            raise SystemExit(export.error)
        return {
            "seconds": round(elapsed, 3),
            "render_and_attach_seconds": export.render_ms / 1000,
            "sign_seconds": export.sign_ms / 1000,
            "pages": export.page_count,
            "bytes": export.size,
        }

    return run


def _fastest(runs: list[dict]) -> dict:
    figures = dict(min(runs, key=lambda run: run["seconds"]))  # the least disturbed run
    figures["all_seconds"] = [run["seconds"] for run in runs]
    return figures


def child(action: str, team_slug: str, period: str, repeat: int) -> None:
    """One measurement in a fresh process. "compare" alternates WeasyPrint alone and the
    whole export, so both see the same load on the machine; the others run once, for the
    process's peak memory."""
    _setup()
    from checklists.periods import Quarter
    from portal.accounts.models import Team

    team = Team.objects.get(slug=team_slug)
    quarter = Quarter.parse(period)
    _warm_up()
    baseline = _rss_mb()
    if action == "compare":
        alone, whole = _weasyprint_alone(team, quarter), _whole_export(team, period)
        alone_runs, whole_runs = [], []
        for _ in range(repeat):
            alone_runs.append(alone())
            whole_runs.append(whole())
        figures = {"weasyprint_alone": _fastest(alone_runs), "whole_export": _fastest(whole_runs)}
    else:
        run = {
            "weasyprint": lambda: _weasyprint_alone(team, quarter),
            "export": lambda: _whole_export(team, period),
            "organisation": lambda: _whole_export(None, period),
        }[action]()
        figures = _fastest([run() for _ in range(repeat)])
        figures["ru_maxrss_mb"] = _rss_mb()
        figures["ru_maxrss_after_startup_mb"] = baseline
    print(json.dumps(figures))


def _run(action: str, setup: dict, env: dict[str, str], repeat: int) -> dict:
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [
            sys.executable,
            __file__,
            "--child",
            action,
            setup["team"],
            setup["period"],
            "--repeat",
            str(repeat),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--controls", type=int, default=120)
    parser.add_argument("--evidence", type=int, default=300)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--teams", type=int, default=200, help="for the organisation report")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    parser.add_argument("--keep", metavar="FOLDER", help="build in FOLDER and keep it")
    parser.add_argument("--child", nargs=3, metavar=("ACTION", "TEAM", "PERIOD"))
    options = parser.parse_args()
    if options.child:
        child(*options.child, repeat=options.repeat)
        return
    with (
        nullcontext(options.keep)
        if options.keep
        else tempfile.TemporaryDirectory(prefix="report-bench-")
    ) as folder:
        env = {
            **os.environ,
            "DEBUG": "true",
            "PORTAL_DATA_DIR": folder,
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "LOG_LEVEL": "WARNING",
        }
        for name in ("REPORT_SIGNING_KEY_FILE", "REPORT_SIGNING_CERT_FILE", "REPORT_TSA_URL"):
            env.pop(name, None)
        os.environ.update(env)
        _setup()
        setup = fill(options.controls, options.evidence, options.events, options.teams)
        from django.db import connections

        connections.close_all()  # the children read what was written, from their own connection
        compared = _run("compare", setup, env, options.repeat)
        memory = {
            "weasyprint_alone_ru_maxrss_mb": _run("weasyprint", setup, env, 1)["ru_maxrss_mb"],
            "whole_export_ru_maxrss_mb": _run("export", setup, env, 1)["ru_maxrss_mb"],
        }
        organisation = _run("organisation", setup, env, options.repeat)
        print(
            json.dumps(
                {
                    **setup,
                    "audit_events": options.events,
                    "cpus": os.cpu_count(),
                    **compared,
                    "peak_memory": memory,
                    "ratio_export_to_weasyprint": round(
                        compared["whole_export"]["seconds"]
                        / compared["weasyprint_alone"]["seconds"],
                        2,
                    ),
                    "organisation_export": organisation,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
