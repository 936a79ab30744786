"""``newsconv check``: what cleaning did to each post, and what is wrong with it.

Works on Documents only (their diagnostics and blocks), so it reports exactly what the
exporters would get.
"""

from __future__ import annotations

from typing import Any

from .model import Document, Paragraph, image_sources, inline_text, iter_blocks


def check_document(doc: Document) -> dict[str, Any]:
    """A JSON-ready report: problems (errors, warnings), changes, and counts."""
    errors = [d.message for d in doc.diagnostics if d.level == "error"]
    warnings = [d.message for d in doc.diagnostics if d.level == "warning"]
    if not doc.blocks:
        errors.append("empty body: nothing to convert")
        warnings = [w for w in warnings if w != "post body is empty"]
    images = image_sources(doc.blocks)
    remote = [src for src in images if src.startswith(("http://", "https://"))]
    if remote:
        warnings.append(f"{len(remote)} remote image{'s' if len(remote) > 1 else ''} "
                        "(not inside the post)")
    changes = [{"step": d.step, "message": d.message, "count": d.count, "sample": d.sample}
               for d in doc.diagnostics if d.level == "change"]
    text = "".join(inline_text(b.children) for b in iter_blocks(doc.blocks)
                   if isinstance(b, Paragraph))
    return {
        "origin": doc.origin,
        "title": doc.metadata.title,
        "errors": errors,
        "warnings": warnings,
        "changes": changes,
        "blocks": len(doc.blocks),
        "images": len(images),
        "characters": len(text),
    }


def format_report(path: str, report: dict[str, Any]) -> str:
    """The human-readable form of one post's report."""
    lines = [f"{path}: {report['title']!r} — {report['blocks']} blocks, "
             f"{report['characters']} characters, {report['images']} images"]
    lines += [f"  error: {m}" for m in report["errors"]]
    lines += [f"  warning: {m}" for m in report["warnings"]]
    for change in report["changes"]:
        count = f" ({change['count']}×)" if change["count"] > 1 else ""
        sample = f": {change['sample']}" if change["sample"] else ""
        lines.append(f"  {change['step']}: {change['message']}{count}{sample}")
    return "\n".join(lines)
