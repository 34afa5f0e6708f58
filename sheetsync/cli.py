"""The command line: parse options, call the library, print, exit. Nothing else lives here."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import click

from . import pipeline
from .amounts import parse_amount, rule_for
from .config import Settings, load_settings, reference_file, shown_store, store_path
from .errors import ConfigError, SheetsyncError
from .fields import BASE_BY_KEY, to_display
from .messages import (
    message,
    next_step,
    orders_next_step,
    quoted,
    say,
    status_words,
    suggested_command,
    target_words,
    value_word,
    with_store,
)
from .orders.model import OrdersResult
from .pricing import COUNTRY_ALIASES, Quote, RateCard, find_country, heaviest_grams, load_rate_card, quote
from .results import ISSUES_PER_RULE, Change, ImportResult, Issue, Status
from .sheetlook import text_width

LANG = click.Choice(["en", "zh"])
INTERNAL_ERROR_EXIT = 70  # a bug in sheetsync, not in the file: see README "Exit codes"


class _Guarded(click.Group):
    """The one place where what stops a command is printed: a SheetsyncError as its sentence and
    its exit code, and an unexpected exception (a bug) as one clear line with exit 70 instead of a
    traceback, unless SHEETSYNC_DEBUG=1. Imports write in one transaction, so nothing
    half-written stays behind.

    A command asked for `--json` answers with exactly one JSON document on stdout whatever stops
    it (a usage error once the command is known, a store or platform fault, a bug): a script
    reading it never gets an empty or half output. The sentence still goes to stderr."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = _global_options_first(args)
        ctx.meta[_JSON_ASKED] = _asks_json(self, args)
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise  # `sheetsync` alone: the help
        except click.ClickException as exc:  # a global option's own value, like --lang fr
            _usage_failed(exc, "zh" if _typed_lang(args) == "zh" else "en", ctx.meta[_JSON_ASKED])

    def invoke(self, ctx: click.Context):
        as_json = bool(ctx.meta.get(_JSON_ASKED))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, SystemExit):
            raise
        except click.ClickException as exc:
            _usage_failed(exc, _usage_lang(ctx), as_json)
        except BrokenPipeError:
            raise  # the reader went away (`sheetsync history | head`): click's main exits quietly
        except (KeyboardInterrupt, click.Abort):
            # Ctrl-C where no run was writing (an import or a revert that was answers for itself,
            # journaled, with its result)
            obj = ctx.obj if isinstance(ctx.obj, Context) else None
            text = message("stopped_by_ctrl_c", obj.lang if obj else "en")
            if as_json:
                _fail_json(str(Status.INTERRUPTED), "stopped_by_ctrl_c", text)
            click.echo(f"sheetsync: {text}", err=True)
            sys.exit(Status.INTERRUPTED.exit_code)
        except SheetsyncError as exc:
            obj = ctx.obj if isinstance(ctx.obj, Context) else None
            lang, store = (obj.lang, obj.given) if obj else ("en", None)
            if as_json:
                issue = Issue(exc.rule, sheet=None, params=dict(exc.params)).render(lang, store)
                _fail_json(str(exc.status), issue.rule, issue.message or "", issue.as_json())
            click.echo(f"sheetsync: {with_store(exc.message(lang), store)}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            if os.environ.get("SHEETSYNC_DEBUG") == "1":
                raise
            obj = ctx.obj if isinstance(ctx.obj, Context) else None
            text = say("internal_error", obj.lang if obj else "en", error=f"{exc.__class__.__name__}: {exc}")
            if as_json:
                _fail_json("internal_error", "internal_error", text)
            click.echo(f"sheetsync: {text}", err=True)
            sys.exit(INTERNAL_ERROR_EXIT)


_JSON_ASKED = "sheetsync.json"  # ctx.meta key: the command was given --json and has that option


def _asks_json(group: click.Group, args: list[str]) -> bool:
    """Whether `args` (global options already first) run a command that has a --json option and
    give it: the command is found by its name (and a sub-command's, for a group of commands)."""
    given = args[:args.index("--")] if "--" in args else args
    if "--json" not in given:
        return False
    command: click.Command = group
    for arg in given:
        if not isinstance(command, click.Group):
            break
        if arg.startswith("-"):
            continue
        found = command.commands.get(arg)
        if found is None:
            continue  # the value of a global option
        command = found
    return any("--json" in getattr(param, "opts", ()) for param in command.params)


def _fail_json(status: str, rule: str, text: str, error: dict[str, Any] | None = None) -> None:
    """The one JSON document of a command that could not finish: its status and why."""
    click.echo(_json_text({"status": status, "errors": [error or {"rule": rule, "message": text}]}))


def _usage_lang(ctx: click.Context) -> str:
    """The language of a usage error: --lang, else the config's (its own errors aside), else en.
    The command's options were not all read, so the config is looked at here only."""
    obj = ctx.obj if isinstance(ctx.obj, Context) else None
    if obj is None:
        return "en"
    if obj.chosen_lang:
        return obj.chosen_lang
    try:
        return load_settings(obj.config, obj.store).lang
    except SheetsyncError:
        return "en"


def _usage_detail(exc: click.UsageError, lang: str) -> str:
    """What click found wrong in the seller's words where its kind says enough (a missing argument
    or option, an unknown option, a value refused), else click's own words."""
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        missing = "usage_missing_argument" if isinstance(exc.param, click.Argument) else "usage_missing_option"
        return say(missing, lang, name=exc.param.human_readable_name)
    if isinstance(exc, click.NoSuchOption):
        return say("usage_no_such_option", lang, name=exc.option_name)
    if isinstance(exc, click.BadParameter):
        name = exc.param_hint or (exc.param.get_error_hint(exc.ctx) if exc.param and exc.ctx else "")
        if exc.param is not None and isinstance(exc.param.type, click.Choice):
            return say("usage_choice", lang, name=name, choices=", ".join(map(str, exc.param.type.choices)))
        return say("usage_bad_value", lang, name=name, problem=exc.message)
    return exc.format_message()


def _usage_failed(exc: click.ClickException, lang: str, as_json: bool) -> NoReturn:
    """A usage error as click shows it, or in Chinese as one sentence; with --json, also the one
    JSON document of a command that could not run."""
    if not as_json and lang == "en":
        raise exc
    text = exc.format_message() if lang == "en" else _usage_sentence(exc, lang)
    if as_json:
        _fail_json(str(Status.UNREADABLE), "usage", text)
    if lang == "en":
        exc.show()
    else:
        click.echo(f"sheetsync: {text}", err=True)
    sys.exit(exc.exit_code)


def _typed_lang(args: list[str]) -> str | None:
    """The --lang given in `args` (global options first), before click has read it."""
    for position, arg in enumerate(args):
        if arg == "--lang" and position + 1 < len(args):
            return args[position + 1]
        if arg.startswith("--lang="):
            return arg.removeprefix("--lang=")
    return None


def _usage_sentence(exc: click.ClickException, lang: str) -> str:
    """A usage error as one sentence in `lang`, naming the command's --help."""
    usage = isinstance(exc, click.UsageError)
    detail = (_usage_detail(exc, lang) if usage else exc.format_message()).rstrip("。.")
    path = exc.ctx.command_path if usage and exc.ctx else "sheetsync"
    return say("usage_error", lang, detail=detail, command=f"{path} --help")


GLOBAL_OPTIONS = ("--store", "--config", "--lang")  # each takes a value


def _global_options_first(args: list[str]) -> list[str]:
    """The arguments with --store, --config and --lang moved before the command, wherever the
    seller typed them: `sheetsync import x.xlsx --store shop.db` means what `sheetsync --store
    shop.db import x.xlsx` does. Nothing after a `--` moves."""
    front: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            rest += args[position:]
            break
        if arg in GLOBAL_OPTIONS and position + 1 < len(args):
            front += args[position:position + 2]
            position += 2
            continue
        if arg.startswith(tuple(f"{name}=" for name in GLOBAL_OPTIONS)):
            front.append(arg)
        else:
            rest.append(arg)
        position += 1
    return front + rest


class Context:
    def __init__(self, store: str | None, config: str | None, lang: str | None) -> None:
        self.store = store_path(store)
        self.given = shown_store(self.store)  # every command suggested to the seller repeats it
        self.config = config
        self.chosen_lang = lang  # --lang, which wins over the template's and the config's
        self.lang = lang or "en"  # of what the command prints, once its settings are known

    def command(self, rest: str) -> str:
        """A sheetsync command to suggest, with the seller's own --store when they gave one."""
        return suggested_command(rest, self.given)

    def settings(self) -> Settings:
        loaded = load_settings(self.config, self.store)
        self.lang = self.chosen_lang or loaded.lang
        return loaded


def _progress(label: str, total: int | None, unit: str):
    """A tqdm bar on a terminal; nothing when stdout is redirected."""
    if not sys.stdout.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit=unit, leave=False)
    return bar.update, bar.close


def _stages(as_json: bool, lang: str):
    """Import stages as a bar on a terminal (not with --json): read, validate, price, plan, …"""
    if as_json or not sys.stdout.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=len(pipeline.IMPORT_STAGES), desc=say("progress_import", lang), unit=say("unit_stage", lang),
               leave=False)

    def stage(name: str) -> None:
        bar.set_description(say("progress_stage", lang, stage=value_word("stage", name, lang)))
        bar.update(1)
    return stage, bar.close


class _CtrlC:
    """Ctrl-C (SIGINT) during a command that may write. Before the writing starts it stops the
    command at once (KeyboardInterrupt: nothing was written). Once it has started, stopping in the
    middle of a write would lose which products the platform took, so the first Ctrl-C only asks
    the run to stop (`stop`): nothing more is sent, the calls in flight finish and are journaled,
    and the run ends `interrupted` (exit 130) with its result printed, --json included. A second
    Ctrl-C stops at once. Installed only on the main thread, and not where SIGINT is ignored (a
    command started in the background)."""

    def __init__(self, lang: str, stage: Callable[[str], None] | None) -> None:
        self.stop = threading.Event()
        self.lang = lang
        self._writing = False
        self._stage = stage
        self._previous: Any = None

    def stage(self, name: str) -> None:
        """The pipeline's stage callback: the writing starts at "apply"."""
        if name == "apply":
            self._writing = True
        if self._stage:
            self._stage(name)

    def _interrupted(self, signum: int, frame: object) -> None:
        if not self._writing or self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()
        # os.write, not click.echo: a signal handler may run while the main thread is inside a
        # buffered write to stderr, and a second write into that buffer would fail
        os.write(2, (message("interrupt_stopping", self.lang) + "\n").encode("utf-8", "replace"))

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._interrupted)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", metavar="PATH", help="Catalog file (default $SHEETSYNC_STORE, else ./sheetsync.db).")
@click.option("--config", metavar="FILE", help="TOML settings (default sheetsync.toml beside the store).")
@click.option("--lang", type=LANG, help="Language of everything shown, the workbook and the report (default: "
              "an imported template's, else lang in the config, else en).")
@click.version_option(package_name="sheetsync")
@click.pass_context
def main(ctx: click.Context, store: str | None, config: str | None, lang: str | None) -> None:
    """Manage an AliExpress semi-managed catalog in Excel: export, edit, import."""
    _tolerant_output()
    ctx.obj = Context(store, config, lang)


def _tolerant_output() -> None:
    """Where the output's encoding cannot show every character (Windows writes a redirected
    output in its ANSI code page, which has no → and no Chinese), show those as ? instead of
    stopping with an encoding error after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding not in ("utf8", "utf8sig") and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


@main.command()
@click.option("--sample", is_flag=True, help="Load the bundled sample catalog.")
@click.option("--synthetic", type=click.IntRange(min=1), metavar="N", help="Generate N SKUs (for benchmarks).")
@click.pass_obj
def init(obj: Context, sample: bool, synthetic: int | None) -> None:
    """Create the catalog."""
    count = pipeline.init_store(obj.store, sample=sample, synthetic=synthetic or 0, settings=obj.settings())
    click.echo(say("init_done", obj.lang, store=obj.store, count=count))


@main.command()
@click.argument("folder", type=click.Path(), default="sheetsync-demo")
@click.pass_obj
def demo(obj: Context, folder: str) -> None:
    """Run the main job on the sample catalog in FOLDER (default ./sheetsync-demo): create a store,
    export it, edit three cells, validate, import with a report, and show where the files are
    (--lang zh: all of it in Chinese)."""
    language = obj.lang

    def show(result: ImportResult) -> None:
        click.echo("\n".join(f"  {line}" for line in _human(result, language).splitlines()))

    from .demo import run_demo

    done = run_demo(folder, lang=language, say=click.echo, show=show)
    sys.exit(done.imported.exit_code if done.imported else INTERNAL_ERROR_EXIT)


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--preview", metavar="CC,CC", help="Countries with a live display-price column "
              "(default: the store's three biggest markets; 'none' for none).")
@click.option("--rates", type=click.Path(dir_okay=False), help="Freight rate card CSV behind the preview.")
@click.option("--force", is_flag=True, help="Write over an export of this store holding edits never imported.")
@click.pass_obj
def export(obj: Context, out: str, preview: str | None, rates: str | None, force: bool) -> None:
    """Write the catalog to an .xlsx template to edit (--lang zh: labels, instructions and
    dropdowns in Chinese)."""
    settings = obj.settings()
    if preview is not None:
        parts = [c.strip() for c in preview.split(",") if c.strip()]
        countries = [] if parts == ["none"] else parts
    else:
        countries = list(settings.preview_countries) or None
    update, close = _progress(say("progress_export", obj.lang), total=pipeline.catalog_size(obj.store, settings),
                              unit="SKU")
    summary = pipeline.export_catalog(obj.store, out, lang=obj.lang, preview=countries, rates=rates,
                                      progress=update, settings=settings, force=force)
    close()
    shown = say("export_preview", obj.lang, countries=", ".join(summary.preview)) if summary.preview else ""
    click.echo(say("export_done", obj.lang, rows=summary.rows, countries=len(summary.countries), path=out,
                   preview=shown, export_id=summary.export_id))


def _import_options(func):
    options = [
        click.option("--report", type=click.Path(dir_okay=False), help="Write the report workbook here."),
        click.option("--rates", type=click.Path(dir_okay=False), help="Freight rate card CSV."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        click.option("--email-to", "email_to", multiple=True, metavar="ADDR",
                     help="Email the report to ADDR (repeatable); SMTP settings from SHEETSYNC_SMTP_*."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _json_text(data: dict[str, Any]) -> str:
    """Indented JSON with one key per line and one issue per line. json.dumps(indent=...) falls
    back to the pure-Python encoder, which took 10 s for the million issues of a store selling in
    countries its rate card lacks; each line here goes through the C encoder."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            lines.append(f"  {json.dumps(key)}: [\n    {items}\n  ]")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def _emit(result: Any, as_json: bool, human: Callable[[Any, str], str] | None = None) -> None:
    """Print a run's result (a catalog import's, or `human`'s kind) in the language its messages
    were written in, and exit with its code. A Ctrl-C while it prints is ignored: the run is over,
    and a 'stopped' line or a second JSON document after its result would contradict it."""
    held = _holding_ctrl_c()
    try:
        if as_json:
            click.echo(_json_text(result.as_json()))
        else:
            click.echo((human or _human)(result, result.lang))
    finally:
        if held is not None:
            signal.signal(signal.SIGINT, held)
    sys.exit(result.exit_code)


def _holding_ctrl_c() -> Any:
    """Ignore SIGINT on the main thread; the handler to put back (None: none was changed)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


def _file_name(file: str, lang: str) -> str:
    """A run's file as the seller reads it: a revert's in words (`file` is `revert RUN_ID`)."""
    if file.startswith(pipeline.REVERT_FILE):
        return say("revert_name", lang, run_id=file.removeprefix(pipeline.REVERT_FILE))
    return file


def _human(result: ImportResult, lang: str, validating: bool = False) -> str:
    """A run in lines; `validating`: it came from `validate`, whose next step is the import."""
    lines = [f"{_file_name(result.file, lang)}: {status_words(result.status, lang, result.target, result.applied)}"]
    if result.status not in ("unreadable", "unavailable") or result.rows:
        lines.append("  " + say("counts", lang, rows=result.rows, changed_skus=result.changed_skus,
                                      changes=result.changes, applied=result.applied,
                                      already_applied=result.already_applied, failed=result.failed))
    lines += _plan_lines(result, lang)
    lines += _error_lines(result, lang)
    lines += _push_lines(result, lang)
    lines += _warning_lines(result, lang)
    if result.status == Status.DRY_RUN and result.changes:  # what makes the plan happen
        step = say("validate_next", lang, file=quoted(result.file)) if validating else next_step("dry_run", lang)
        lines.append("  " + with_store(step, result.store))
    if result.report:
        lines.append("  " + say("report", lang, path=result.report))
    if result.emailed:
        lines.append("  " + say("emailed", lang))
    return "\n".join(lines)


SHOWN = 20  # changes, errors and warnings printed; the report and --json hold them all


def _issue_lines(issues: list[Issue], severity: str, lang: str) -> list[str]:
    """Errors and warnings alike: each with its cell and its sentence, so a warning (an edit that
    was ignored) is as visible as an error."""
    word = value_word("severity", severity, lang)
    lines = []
    for issue in issues[:SHOWN]:
        where = f"{issue.sheet}!{issue.cell} " if issue.cell else (f"{issue.sheet} " if issue.sheet else "")
        lines.append(f"  {word} {where}[{issue.rule}] {issue.message}".rstrip())
    return lines


def _error_lines(result: ImportResult, lang: str) -> list[str]:
    """The errors shown, and how many more there are: beyond those shown, and beyond each rule's
    cap (`results.IssueLog`), for a catalog and an orders import alike."""
    lines = _issue_lines(result.errors, "error", lang)
    if len(result.errors) > SHOWN:
        lines.append("  " + say("more_errors", lang, count=len(result.errors) - SHOWN))
    for rule, count in sorted(result.more_issues.items()):
        lines.append("  " + say("more_rule", lang, count=count, rule=rule, limit=ISSUES_PER_RULE))
    return lines


def _warning_lines(result: ImportResult, lang: str) -> list[str]:
    lines = _issue_lines(result.warnings, "warning", lang)
    if len(result.warnings) > SHOWN:
        lines.append("  " + say("more_warnings", lang, count=len(result.warnings) - SHOWN))
    return lines


def _plan_lines(result: ImportResult, lang: str) -> list[str]:
    """The changes of a run as a plan (`Products!H3  WIRE00-1BLACK  seller_price  18.90 → 12.50`)."""
    if not result.change_list:
        return []
    reverting = result.file.startswith(pipeline.REVERT_FILE)
    if result.applied:
        heading = "plan_reverted" if reverting else "plan_changed"
    elif result.status == "dry_run":
        heading = "plan_would_revert" if reverting else "plan_would_change"
    else:
        heading = "plan_not_written"
    report = result.report

    def more(count: int) -> str:
        return (say("plan_more_in", lang, count=count, report=report) if report
                else say("plan_more", lang, count=count))
    return _change_table(result.change_list, heading, lang, marked=bool(result.applied), more=more)


def _change_table(changes: list[Change], heading: str, lang: str, marked: bool,
                  more: Callable[[int], str]) -> list[str]:
    """The first SHOWN changes in sheet order, aligned, then how many more and where they all are.
    `marked`: the run wrote, so a change that did not go through says how it ended."""
    shown = sorted(changes, key=Change.sheet_order)[:SHOWN]
    places = [f"{c.sheet}!{c.cell}" if c.cell else c.sku_id for c in shown]
    codes = [c.sku_code or "-" for c in shown]
    fields = [c.field for c in shown]
    wide = [max(len(text) for text in column) for column in (places, codes, fields)]
    lines = ["  " + say(heading, lang)]
    for change, place, code, field in zip(shown, places, codes, fields, strict=True):
        before = change.before if change.before is not None else change.base
        line = (f"    {place:<{wide[0]}}  {code:<{wide[1]}}  {field:<{wide[2]}}  "
                f"{_value(change.kind, before, lang)} → {_value(change.kind, change.after, lang)}")
        if marked and change.result in ("failed", "rejected", "not_applied", "planned"):
            ended = "not_applied" if change.result == "planned" else change.result
            line += f"  ({value_word('result', ended, lang)})"
        lines.append(line)
    if len(changes) > SHOWN:
        lines.append("    " + more(len(changes) - SHOWN))
    return lines


def _value(kind: str | None, value: object, lang: str) -> str:
    """A value as the seller types it (12.50, 0.350), an empty one in words."""
    if value is None or value == "":
        return say("empty", lang)
    if kind == "enum":
        return value_word("logistics_attribute", str(value), lang)
    return to_display(kind or "", value)


def _push_lines(result: ImportResult, lang: str, shown: int = 20) -> list[str]:
    """One line per product the target rejected or failed, with the platform's code and message
    and what to do (fix a rejected value; run again for a failure)."""
    products: dict[tuple[str, str, str, str], list[str]] = {}
    for push in result.push_results:
        if push.status in ("rejected", "failed"):
            key = (push.product_id, push.status, push.code or "-", push.message or "")
            products.setdefault(key, []).append(push.sku_id)
    lines = []
    for (product_id, status, code, text), skus in list(products.items())[:shown]:
        rule = "push_rejected" if status == "rejected" else "push_failed"
        sentence = message(rule, lang, target=target_words(result.target, lang), product_id=product_id,
                           skus=", ".join(skus), detail=text or code)
        lines.append(f"  {value_word('result', status, lang)} [{code}] {sentence}")
    if len(products) > shown:
        lines.append("  " + say("more_products", lang, count=len(products) - shown))
    return lines


@main.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and plan, write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Apply the valid rows, report the rest.")
@click.option("--force", is_flag=True, help="On a conflict, write the sheet's value.")
@click.option("--allow-large-changes", is_flag=True, help="Accept price and stock moves past the guardrails.")
@click.option("--target", type=click.Choice(["local", "aliexpress"]),
              help="Where changes go: the local catalog, or AliExpress (credentials from SHEETSYNC_AE_*); "
              "default: the store's own.")
@_import_options
@click.pass_obj
def import_(obj: Context, file: str, dry_run: bool, skip_invalid: bool, force: bool, allow_large_changes: bool,
            target: str | None, report: str | None, rates: str | None, as_json: bool,
            email_to: tuple[str, ...]) -> None:
    """Validate an edited template and apply what changed (messages in the template's language
    unless --lang says otherwise)."""
    settings = obj.settings()
    stage, close = _stages(as_json, obj.lang)
    with _CtrlC(obj.lang, stage) as ctrl_c:
        result = pipeline.import_workbook(obj.store, file, dry_run=dry_run, skip_invalid=skip_invalid, force=force,
                                          allow_large_changes=allow_large_changes, rates=rates, report=report,
                                          lang=obj.chosen_lang, target=target, settings=settings, email_to=email_to,
                                          stage=ctrl_c.stage, stop=ctrl_c.stop)
    close()
    _emit(result, as_json)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@_import_options
@click.pass_obj
def validate(obj: Context, file: str, report: str | None, rates: str | None, as_json: bool,
             email_to: tuple[str, ...]) -> None:
    """Check an edited template without writing anything (import --dry-run)."""
    settings = obj.settings()
    stage, close = _stages(as_json, obj.lang)
    result = pipeline.import_workbook(obj.store, file, dry_run=True, rates=rates, report=report,
                                      lang=obj.chosen_lang, settings=settings, email_to=email_to, stage=stage)
    close()
    _emit(result, as_json, functools.partial(_human, validating=True))


@main.command()
@click.option("--target", type=click.Choice(["aliexpress"]), default="aliexpress", show_default=True)
@click.option("--since", metavar="DATETIME", help="Only products modified since (yyyy-MM-dd HH:mm:ss); "
              "default: the last successful pull.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def pull(obj: Context, target: str, since: str | None, as_json: bool) -> None:
    """Refresh the local catalog from the platform."""
    settings = obj.settings()
    update, close = _progress(say("progress_pull", obj.lang), None, unit=say("unit_product", obj.lang))
    summary = pipeline.pull(obj.store, since=since, settings=settings, progress=update, target=target)
    close()
    if as_json:
        pulled = Status.APPLIED if summary.added or summary.updated else Status.UNCHANGED
        click.echo(json.dumps({"status": str(pulled), **summary.__dict__}))
    else:
        click.echo(say("pull_done", obj.lang, products=summary.products,
                       since=summary.since or say("pull_since_start", obj.lang), added=summary.added,
                       updated=summary.updated, calls=summary.calls))


@main.command()
@click.option("--code", metavar="CODE", help="Exchange this authorization code at once, without any prompt.")
@click.option("--no-browser", is_flag=True, help="Print the address to open; do not open a browser.")
@click.option("--force", is_flag=True, help="Connect the store even though it is connected to another seller.")
@click.pass_obj
def auth(obj: Context, code: str | None, no_browser: bool, force: bool) -> None:
    """Connect the store to an AliExpress seller (OAuth). App key and secret from SHEETSYNC_AE_*."""
    settings = obj.settings()
    lang = obj.lang
    wait = 300.0

    def show(url: str, redirect: str, receiving: bool) -> None:
        click.echo(message("ae_auth_open", lang, url=url))
        if receiving:
            click.echo(message("ae_auth_waiting", lang, redirect=redirect, minutes=f"{wait / 60:g}"))
        if not no_browser and sys.stdin.isatty() and sys.stdout.isatty():  # never from a script or a test
            import webbrowser

            webbrowser.open(url)

    def ask(redirect: str) -> str:
        return click.prompt(message("ae_auth_paste", lang, redirect=redirect), prompt_suffix="\n> ")

    connected = pipeline.authorize(obj.store, code=code, settings=settings, show=show, ask=ask, wait=wait, lang=lang,
                                   force=force)
    from .targets.aliexpress.auth import local_time, reauthorize_command

    if connected.created:
        click.echo(message("ae_auth_created", lang, store=connected.store))
    click.echo(message("ae_auth_connected", lang, store=connected.store, seller=connected.seller or "?",
                       seller_id=connected.seller_id or "?", access_until=local_time(connected.access_expires) or "?",
                       refresh_until=local_time(connected.refresh_expires) or "?",
                       command=reauthorize_command(connected.store)))
    if connected.environment_token:
        click.echo(message("ae_auth_env_overrides", lang), err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """The store, its target, the connected seller, token validity, last pull, last runs."""
    data = pipeline.status(obj.store, obj.settings())
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(_status_lines(data, obj.lang)))


def _status_lines(data: dict[str, Any], lang: str) -> list[str]:
    lines = [say("status_store", lang, store=data["store"], store_id=data["store_id"])]
    if data["target"] == "local":
        lines.append(with_store(say("status_local", lang), data["store"]))
    else:
        if data.get("seller") or data.get("seller_id"):
            lines.append(say("status_seller", lang, seller=data.get("seller") or "?",
                             seller_id=data.get("seller_id") or "?"))
        else:
            lines.append(say("status_seller_unknown", lang))
        for key in ("access_token", "refresh_token"):
            lines.append(say(f"status_{key}", lang, state=_token_words(data[key], lang)))
        if data["access_token"]["valid"] is False and data["refresh_token"]["valid"] is False:
            lines.append(say("status_reconnect", lang, command=f"sheetsync --store {data['store']} auth"))
        if data.get("last_pull"):
            lines.append(say("status_last_pull", lang, when=_local(data["last_pull"]), since=data["next_pull_from"]))
        else:
            lines.append(say("status_not_pulled", lang, command=f"sheetsync --store {data['store']} pull"))
    countries = data["countries"]
    lines.append(say("status_catalog", lang, products=data["products"], skus=data["skus"], count=len(countries),
                     countries=", ".join(countries)))
    lines.append(say("status_runs" if data["runs"] else "history_none", lang))
    for run in data["runs"]:
        lines.append(say("status_run", lang, run_id=run["run_id"], started=run["started_at"],
                         status=_pad(value_word("status", run["status"], lang), 11),
                         target=_pad(value_word("target", run["target"], lang), 10),
                         changes=run.get("changes", 0), file=_file_name(run["file"], lang)))
    return lines


def _token_words(token: dict[str, Any], lang: str) -> str:
    if token["source"] is None:
        return say("token_none", lang)
    if token["source"] == "environment":
        return say("token_environment", lang)
    if token["expires"] is None:
        return say("token_no_expiry", lang)
    return say("token_valid" if token["valid"] else "token_expired", lang, expires=token["expires"])


def _pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded with spaces to `width` terminal columns, a Chinese character counting two,
    so that the columns of a table line up in either language."""
    space = " " * max(0, width - text_width(text))
    return space + text if right else text + space


def _local(iso: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(iso).astimezone().isoformat(sep=" ", timespec="seconds")


@main.command()
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the runs (or the run's changes) as JSON.")
@click.pass_obj
def history(obj: Context, run_id: str | None, as_json: bool) -> None:
    """List the runs; with RUN_ID, what that run changed."""
    settings = obj.settings()
    lang = obj.lang
    if run_id is not None:
        run, changes = pipeline.run_changes(obj.store, run_id, settings)
        if as_json:
            click.echo(_json_text({"run": run, "change_list": [change.as_json() for change in changes]}))
            return
        click.echo("\n".join(_run_lines(obj, run, changes, lang)))
        return
    runs = pipeline.history(obj.store, settings)
    if as_json:
        click.echo(_json_text({"runs": runs}))
        return
    if not runs:
        click.echo(say("history_none", lang))
        return
    click.echo(_history_line([say(f"col_{name}", lang) for name in _HISTORY_COLUMNS]))
    for run in runs:
        click.echo(_history_line([run["run_id"], _local(run["started_at"]), value_word("status", run["status"], lang),
                                  value_word("target", run["target"], lang), str(run.get("changes", 0)),
                                  _file_name(run["file"], lang) + (say("reverted_by", lang, run_id=run["reverted_by"])
                                                                   if run.get("reverted_by") else "")]))


_HISTORY_COLUMNS = ("run", "started", "status", "target", "changes", "file")


def _history_line(cells: list[str]) -> str:
    """One line of the history table: run, started, status, target, changes (right-aligned), file."""
    run, started, status, target, changes, file = cells
    return (f"{_pad(run, 23)} {_pad(started, 26)} {_pad(status, 10)} {_pad(target, 11)} "
            f"{_pad(changes, 7, right=True)}  {file}")


def _run_lines(obj: Context, run: dict[str, Any], changes: list[Change], lang: str) -> list[str]:
    """What `history RUN_ID` prints: the run, its changes as a plan, and how to put them back."""
    lines = [say("history_run", lang, run_id=run["run_id"], file=_file_name(run["file"], lang),
                 started=_local(run["started_at"]), status=value_word("status", run["status"], lang),
                 target=target_words(run["target"], lang))]
    if run.get("reverts"):
        lines.append("  " + say("history_reverts", lang, run_id=run["reverts"]))
    if run.get("errors") and run.get("applied"):
        lines.append("  " + say("history_skipped", lang, errors=run["errors"]))
    if not changes:
        lines.append("  " + say("history_no_changes", lang))
        return lines
    lines += _change_table(changes, "plan_changed", lang, marked=True,
                           more=lambda count: say("plan_more_json", lang, count=count,
                                                  command=obj.command(f"history {run['run_id']} --json")))
    if run.get("reverted_by"):
        lines.append("  " + say("history_reverted", lang, run_id=run["reverted_by"]))
    elif any(change.result == "applied" for change in changes) and run.get("kind") != "orders":
        lines.append("  " + say("history_revert_hint", lang,
                                      command=obj.command(f"revert {run['run_id']} --dry-run")))
    return lines


@main.command()
@click.argument("run_id")
@click.option("--dry-run", is_flag=True, help="Show what would be put back, write nothing.")
@click.option("--force", is_flag=True, help="Put values back even where they changed again since the run.")
@click.option("--target", type=click.Choice(["local", "aliexpress"]),
              help="Where to put the values back (default: where the run wrote them).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def revert(obj: Context, run_id: str, dry_run: bool, force: bool, target: str | None, as_json: bool) -> None:
    """Put back the values an import run replaced."""
    settings = obj.settings()
    with _CtrlC(obj.lang, None) as ctrl_c:
        result = pipeline.revert(obj.store, run_id, dry_run=dry_run, force=force, target=target, settings=settings,
                                 lang=obj.lang, stage=ctrl_c.stage, stop=ctrl_c.stop)
    _emit(result, as_json)


def _amount(text: str, kind: str, key: str, option: str, lang: str) -> int:
    """An amount option through the import's own parser (`amounts.parse_amount`): the same value,
    or the same refusal in the same words, as the same text in the field `key` of a workbook."""
    parsed = parse_amount(text, kind)
    if parsed.problem is None:
        return parsed.value
    f = BASE_BY_KEY[key]
    raise click.BadParameter(message(rule_for(kind, parsed.problem), lang, value=text.strip(), label=f.label_en,
                                     what=f.label_en.lower(), label_zh=f.label_zh, what_zh=f.label_zh),
                             param_hint=option)


@main.command()
@click.option("--weight", metavar="KG", help="Package weight in kg, e.g. 0.35.")
@click.option("--dims", metavar="LxWxH", help="Package size in cm, e.g. 30x20x10 (also 30*20*10 or 30×20×10).")
@click.option("--country", "countries", multiple=True, metavar="CC",
              help="Country code(s), repeatable or comma-separated (US,DE,UK); default all.")
@click.option("--seller-price", metavar="P", help="Seller price, to show the display price.")
@click.option("--rates", type=click.Path(dir_okay=False), help="Freight rate card CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the quotes as JSON.")
@click.option("--check", is_flag=True, help="After a pull: the rate-card brackets that disagree most with the "
              "platform's freight.")
@click.pass_obj
def freight(obj: Context, weight: str | None, dims: str | None, countries: tuple[str, ...], seller_price: str | None,
            rates: str | None, as_json: bool, check: bool) -> None:
    """Quote freight and display price for one parcel (or --check the rate card against the platform).
    Exits 1 when the parcel is too heavy for a country asked for."""
    if check:
        _freight_check(obj, rates, as_json)
        return
    obj.settings()
    lang = obj.lang
    if weight is None:
        raise click.UsageError(say("freight_weight_required", lang))
    grams = _amount(weight, "weight", "weight_kg", "--weight", lang)
    size = _dims(dims, lang) if dims else None
    cents = (_amount(seller_price, "money", "seller_price", "--seller-price", lang)
             if seller_price is not None else None)
    card_path = rates or reference_file("freight_rates.csv")
    card = load_rate_card(card_path)
    wanted, notes = _freight_countries(card, countries, str(card_path), lang)
    quotes = [quote(card, grams, size, cc, cents) for cc in wanted]
    heavy = [q for q in quotes if q.freight_cents is None]
    too_heavy = []
    if heavy:
        too_heavy.append(message("freight_too_heavy", lang, countries=", ".join(q.country for q in heavy),
                             weight=to_display("weight", max(q.chargeable_grams for q in heavy)),
                             heaviest=to_display("weight", max(heaviest_grams(card, q.country) for q in heavy))))
    if as_json:
        click.echo(json.dumps({"weight_kg": _number("weight", grams), "dims_cm": list(size) if size else None,
                               "seller_price": _number("money", cents), "quotes": [_quote_json(q) for q in quotes],
                               "too_heavy": [q.country for q in heavy], "notes": notes + too_heavy},
                              ensure_ascii=False, indent=2))
        sys.exit(1 if heavy else 0)
    for note in notes:
        click.echo(note, err=True)
    click.echo(_pad(say("freight_country", lang), 8) + _pad(say("freight_chargeable", lang), 14, right=True)
               + _pad(say("freight_fee", lang), 10, right=True) + _pad(say("freight_display", lang), 10, right=True)
               + "  " + say("freight_currency", lang))
    for q in quotes:
        fee = to_display("money", q.freight_cents) if q.freight_cents is not None else message("no_bracket_short", lang)
        shown = to_display("money", q.display_cents) if q.display_cents is not None else "-"
        click.echo(f"{q.country:<8}{to_display('weight', q.chargeable_grams):>14}{_pad(fee, 10, right=True)}"
                   f"{shown:>10}  {q.currency}")
    for note in too_heavy:
        click.echo(note, err=True)
    sys.exit(1 if heavy else 0)


def _freight_check(obj: Context, rates: str | None, as_json: bool) -> None:
    table = pipeline.freight_disagreements(obj.store, rates, obj.settings())
    if as_json:
        click.echo(json.dumps({"disagreements": [
            {"country": row.country, "bracket_max_kg": _number("weight", int(row.bracket_max_g)),
             "skus": int(row.skus), "mean_difference": round(float(row.mean_difference) / 100, 2),
             "largest": round(float(row.largest) / 100, 2)}
            for row in table.itertuples(index=False)]}, indent=2))
        return
    lang = obj.lang
    if table.empty:
        click.echo(say("freight_agrees", lang))
        return
    click.echo(_pad(say("freight_country", lang), 8) + _pad(say("freight_bracket", lang), 17, right=True)
               + _pad(say("freight_skus", lang), 6, right=True) + _pad(say("freight_mean", lang), 11, right=True)
               + _pad(say("freight_largest", lang), 9, right=True))
    for row in table.head(15).itertuples(index=False):
        click.echo(f"{row.country:<8}{to_display('weight', row.bracket_max_g):>17}{row.skus:>6}"
                   f"{row.mean_difference / 100:>11.2f}{row.largest / 100:>9.2f}")


def _dims(text: str, lang: str) -> tuple[int, int, int]:
    """LxWxH with x, X, ×, * (or their full-width forms) between whole centimetres."""
    parts = re.split(r"[xX×*ｘＸ＊]", text)
    if len(parts) != 3:
        raise click.BadParameter(say("freight_dims_shape", lang))
    length, width, height = (_amount(part, "dim", key, "--dims", lang)
                             for part, key in zip(parts, ("length_cm", "width_cm", "height_cm"), strict=True))
    return length, width, height


def _freight_countries(card: RateCard, typed: tuple[str, ...], path: str, lang: str) -> tuple[list[str], list[str]]:
    """The rate card's codes for what was typed (repeated or comma-separated, GB for UK, names),
    in order and once each, with a note for each code read as another (GB as UK)."""
    wanted: list[str] = []
    notes: list[str] = []
    for text in (part.strip() for option in typed for part in re.split(r"[,，;；]", option)):
        if not text:
            continue
        code = find_country(card, text)
        if code is None:
            raise ConfigError("freight_unknown_country", path=path, country=text,
                              countries=", ".join(card.countries))
        if code != text.upper() and text.upper() in COUNTRY_ALIASES:
            notes.append(message("freight_country_alias", lang, typed=text.upper(), code=code))
        if code not in wanted:
            wanted.append(code)
    return wanted or list(card.countries), notes


def _number(kind: str, value: int | None) -> float | None:
    """A canonical amount as a JSON number: its shortest decimal, exactly what the table shows."""
    return None if value is None else float(to_display(kind, value))


def _quote_json(q: Quote) -> dict[str, Any]:
    return {"country": q.country, "chargeable_kg": _number("weight", q.chargeable_grams),
            "freight": _number("money", q.freight_cents), "display": _number("money", q.display_cents),
            "currency": q.currency, "too_heavy": q.freight_cents is None}


# -- JIT purchase orders (issue 14) -----------------------------------------------------------------
@main.group()
def orders() -> None:
    """JIT purchase orders: export them to a workbook, confirm and deliver them in bulk."""


@orders.command(name="export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--target", type=click.Choice(["local", "aliexpress"]), help="Where the orders are read (default: "
              "the store's own).")
@click.option("--status", "statuses", metavar="NAME,NAME", help="Which orders: to_confirm, to_ship, in_transit, "
              "received, cancelled or all (default to_confirm,to_ship), or a status as the sheet shows it "
              "(confirmed, 已确认).")
@click.option("--force", is_flag=True, help="Write over an export of this store holding edits never imported.")
@click.pass_obj
def orders_export(obj: Context, out: str, target: str | None, statuses: str | None, force: bool) -> None:
    """Write the JIT purchase orders to an .xlsx workbook to fill in (--lang zh: in Chinese)."""
    from . import orders_pipeline

    settings = obj.settings()
    names = [part.strip() for part in re.split(r"[,，]", statuses) if part.strip()] if statuses else None
    done = orders_pipeline.export_orders(obj.store, out, target=target, statuses=names, lang=obj.lang,
                                         settings=settings, force=force)
    click.echo(say("orders_exported", obj.lang, orders=done.orders, rows=done.rows, path=out,
                   export_id=done.export_id))


@orders.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and plan, send nothing.")
@click.option("--target", type=click.Choice(["local", "aliexpress"]), help="Where the orders are confirmed and "
              "delivered (default: the store's own).")
@click.option("--labels", type=click.Path(file_okay=False), help="Save each delivery's box labels in this folder "
              "(AliExpress prints them).")
@click.option("--label-size", type=click.Choice(["A4", "100_100"]), default="A4", show_default=True)
@click.option("--report", type=click.Path(dir_okay=False), help="Write the report workbook here.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--email-to", "email_to", multiple=True, metavar="ADDR",
              help="Email the report to ADDR (repeatable); SMTP settings from SHEETSYNC_SMTP_*.")
@click.pass_obj
def orders_import(obj: Context, file: str, dry_run: bool, target: str | None, labels: str | None, label_size: str,
                  report: str | None, as_json: bool, email_to: tuple[str, ...]) -> None:
    """Confirm and deliver the orders an edited Orders workbook asks for (messages in the
    workbook's language unless --lang says otherwise)."""
    from . import orders_pipeline

    settings = obj.settings()
    result = orders_pipeline.import_orders(obj.store, file, dry_run=dry_run, report=report, labels=labels,
                                           label_size=label_size, lang=obj.chosen_lang, target=target,
                                           email_to=email_to, settings=settings)
    _emit(result, as_json, _orders_human)


def _orders_human(result: OrdersResult, lang: str) -> str:
    """An orders import in lines: the headline, the counts, each action (order, what, delivery,
    how it ended), then errors and warnings with their cells."""
    lines = [f"{result.file}: {status_words(result.status, lang, result.target, result.applied)}"]
    if result.status not in ("unreadable", "unavailable") or result.rows:
        lines.append("  " + say("orders_counts", lang, rows=result.rows, orders=result.orders,
                                changes=result.changes, applied=result.applied,
                                already_applied=result.already_applied, failed=result.failed))
    if result.actions:
        heading = ("orders_plan_done" if result.applied or result.failed else
                   "orders_plan_would" if result.status == "dry_run" else "orders_plan_blocked")
        lines.append("  " + say(heading, lang))
        for action in result.actions[:SHOWN]:
            what = action.delivery.shown(lang) if action.delivery else ""
            kind = _pad(value_word("action", action.kind, lang), 18)
            line = f"    {kind}  {', '.join(action.orders)}  {what}".rstrip()
            if action.delivery_no:
                line += f"  → {action.delivery_no}"
            if result.applied or result.failed:
                line += f"  ({value_word('result', action.result, lang)})"
            if action.code or action.message:  # what the platform said of a refusal
                line += f" [{action.code or '-'}] {action.message or ''}".rstrip()
            lines.append(line)
        if len(result.actions) > SHOWN:
            lines.append("    " + say("plan_more", lang, count=len(result.actions) - SHOWN))
    if result.already_applied:
        lines.append("  " + say("orders_already", lang, count=result.already_applied))
    lines += _error_lines(result, lang)
    lines += _warning_lines(result, lang)
    if result.status == Status.DRY_RUN and result.changes:
        lines.append("  " + orders_next_step(str(Status.DRY_RUN), lang))
    lines += ["  " + say("orders_label_saved", lang, path=path) for path in result.labels]
    if result.report:
        lines.append("  " + say("report", lang, path=result.report))
    if result.emailed:
        lines.append("  " + say("emailed", lang))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
