"""``driftguard train``: train a regularized model on a CSV/Parquet file and register it."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
from typing import Any

from driftguard.cli.registry_args import add_registry_arg, registry_root
from driftguard.cli.render import fmt, table
from driftguard.cli.tables import align, read_table

__all__ = ["add_train_parser"]

#: Flags that map onto the torch trainer's configuration.
_TORCH_FLAGS = {
    "dropout": "dropout",
    "weight_decay": "weight_decay",
    "mixup": "mixup_alpha",
    "cutout": "cutout_size",
    "label_smoothing": "label_smoothing",
    "early_stopping": "early_stopping_patience",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "lr": "lr",
}


def add_train_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``train`` sub-command."""
    p = sub.add_parser("train", help="train a model on a table and register a new version")
    p.add_argument("--data", required=True, help="training table (.csv or .parquet)")
    p.add_argument("--target", required=True, help="the label column")
    p.add_argument("--name", required=True, help="model name in the registry")
    add_registry_arg(p)
    p.add_argument(
        "--model",
        default="mlp",
        help="mlp or cnn (torch), or logreg, sk_mlp, random_forest, gbm (scikit-learn)",
    )
    p.add_argument("--dropout", type=float, help="dropout probability (torch)")
    p.add_argument("--weight-decay", type=float, help="decoupled weight decay, AdamW (torch)")
    p.add_argument("--mixup", type=float, help="Mixup alpha (torch)")
    p.add_argument("--cutout", type=int, help="Cutout square side, image inputs (torch)")
    p.add_argument("--label-smoothing", type=float, help="label smoothing (torch)")
    p.add_argument("--early-stopping", type=int, metavar="PATIENCE", help="patience (torch)")
    p.add_argument(
        "--keep-last-weights",
        action="store_true",
        help="with --early-stopping, keep the stopping epoch's weights instead of the best",
    )
    p.add_argument("--epochs", type=int, help="epoch budget (torch)")
    p.add_argument("--batch-size", type=int, help="batch size (torch)")
    p.add_argument("--lr", type=float, help="learning rate (torch)")
    p.add_argument("--image-shape", help="C,H,W for --model cnn, e.g. 1,8,8")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="estimator parameter for scikit-learn models (JSON value), repeatable",
    )
    p.add_argument(
        "--categorical",
        nargs="+",
        default=[],
        metavar="COL",
        help="read these numeric-coded columns as categories",
    )
    p.add_argument(
        "--audit",
        default="off",
        choices=("off", "warn", "drop", "fail"),
        help="screen the labels first (confident learning): warn, drop flagged rows, or fail "
        "when more than --audit-max-share are flagged (default: off)",
    )
    p.add_argument(
        "--audit-max-share",
        type=float,
        default=0.05,
        help="with --audit fail: largest share of flagged rows still accepted (default 0.05)",
    )
    p.add_argument(
        "--no-defenses",
        action="store_true",
        help="do not fit the adversarial and poisoning defences stored with the checkpoint",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--promote", action="store_true", help="make the new version ACTIVE")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=_run_train)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    from driftguard.errors import ConfigurationError
    from driftguard.training.pipeline import TORCH_MODELS

    if args.model in TORCH_MODELS:
        opts = {
            key: getattr(args, flag)
            for flag, key in _TORCH_FLAGS.items()
            if getattr(args, flag) is not None
        }
        if args.image_shape:
            try:
                opts["image_shape"] = tuple(int(v) for v in args.image_shape.split(","))
            except ValueError:
                raise ConfigurationError("--image-shape must look like 1,8,8") from None
        if args.keep_last_weights:
            opts["restore_best"] = False
        opts["progress"] = True
        return opts
    used = [flag for flag in _TORCH_FLAGS if getattr(args, flag) is not None]
    if used:
        raise ConfigurationError(
            f"--{used[0].replace('_', '-')} applies to torch models (mlp, cnn); "
            "scikit-learn models take --param KEY=VALUE"
        )
    params: dict[str, Any] = {}
    for item in args.param:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"--param {item!r}: expected KEY=VALUE")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _run_train(args: argparse.Namespace) -> int:
    from driftguard.audit.gate import audit_gate
    from driftguard.registry import Registry
    from driftguard.training.defenses import defense_artefacts
    from driftguard.training.pipeline import train_table

    options = _options(args)
    raw = read_table(args.data)
    cols, _, cats = align(raw, raw, args.categorical, (args.data, args.data))
    cols, audit = audit_gate(
        cols,
        args.target,
        mode=args.audit,
        max_share=args.audit_max_share,
        seed=args.seed,
        categorical=cats,
    )
    if audit["mode"] != "off" and not args.json:
        print(
            f"audit ({audit['mode']}): {audit['flagged']} of {audit['rows']} rows flagged, "
            f"{audit['dropped']} dropped"
        )
    artefacts = () if args.no_defenses else (defense_artefacts,)
    run = train_table(
        cols,
        args.target,
        name=args.name,
        model=args.model,
        categorical=cats,
        options=options,
        seed=args.seed,
        artefacts=artefacts,
    )
    if audit["mode"] != "off":
        draft = run.draft
        metrics = {**draft.metrics, "audit": audit}
        run = dataclasses.replace(run, draft=dataclasses.replace(draft, metrics=metrics))
    registry = Registry(registry_root(args))
    actor = f"cli:{getpass.getuser()}"
    version = registry.register(args.name, run.draft, actor=actor, reason="driftguard train")
    if args.promote:
        registry.promote(args.name, version, actor=actor, reason="driftguard train --promote")
    if args.json:
        print(
            json.dumps(
                {
                    "name": args.name,
                    "version": version,
                    "promoted": args.promote,
                    "metrics": dict(run.metrics),
                    "leakage": [item.to_dict() for item in run.leakage],
                    "audit": audit,
                },
                indent=2,
            )
        )
        return 0
    for item in run.leakage:
        if item.near:
            print(
                f"warning: {item.near} of {item.rows if hasattr(item, 'rows') else item.n_rows} "
                f"{item.split} rows duplicate training rows (leakage)"
            )
    print(table(["metric", "test"], [[k, fmt(float(v))] for k, v in run.metrics.items()]))
    state = "ACTIVE" if args.promote else "registered"
    print(f"\n{args.name} version {version} ({state}) in {registry_root(args)}")
    return 0
