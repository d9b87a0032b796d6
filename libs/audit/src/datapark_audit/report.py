"""One self-contained HTML report an auditor can mail: no script, no network, charts as
inline SVG.

Sections: the verification summary, the violations (verify and invariants) with their
locations, and four charts — budget use against cap per policy and company, trade volume per
venue per month, the lease book by region, events per type over time.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from datapark_audit.log import Event
from datapark_audit.rebuild import money
from datapark_audit.verify import Finding, VerifyResult, summary_lines

# Each chart draws in its own colours, so a rendering test can tell that each one is drawn.
COLOURS = {
    "budget_cap": "#cbd5e0",
    "budget_used": "#2b6cb0",
    "budget_reserved": "#90cdf4",
    "trade": "#2f855a",
    "lease": "#b7791f",
    "events": "#c53030",
}
REGION_NAMES = {"11": "Beijing", "13": "Hebei", "35": "Fujian", "62": "Gansu", "31": "Shanghai"}


@dataclass
class Figures:
    budgets: list[tuple[str, Decimal, Decimal, Decimal]] = field(default_factory=list)
    trade: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    leases: dict[str, Decimal] = field(default_factory=dict)
    events: dict[str, Counter[str]] = field(default_factory=dict)


def figures(events: list[Event]) -> Figures:
    """What the charts show, computed from the events (in time order)."""
    names: dict[str, str] = {}
    regions: dict[str, str] = {}
    venue_of_listing: dict[str, str] = {}
    venue_of_agreement: dict[str, str] = {}
    budgets: dict[str, dict[str, Any]] = {}
    trade: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    leases: dict[str, dict[str, Any]] = {}
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for event in events:  # venues first: an order and its first payment share a moment
        if event.type == "datapark.trading.order.placed.v1":
            venue_of_agreement[str(event.data.get("agreement_id"))] = str(
                event.data.get("venue_code")
            )
    for event in events:
        data = event.data
        per_day[event.time.strftime("%Y-%m-%d")][".".join(event.type.split(".")[1:4])] += 1
        if event.type.startswith("datapark.catalog.participant."):
            names[event.subject] = str(data.get("name", event.subject))
            regions[event.subject] = str(data.get("region_code", ""))
        elif event.type.startswith("datapark.catalog.data_product."):
            for listing in data.get("listings", ()) or ():
                if isinstance(listing, dict) and "listing_id" in listing:
                    venue_of_listing[str(listing["listing_id"])] = str(listing.get("venue_code"))
        elif event.type == "datapark.trading.order.placed.v1":
            venue_of_agreement[str(data.get("agreement_id"))] = str(data.get("venue_code"))
        elif event.type.startswith("datapark.trading.agreement."):
            agreement = str(data.get("agreement_id"))
            if agreement not in venue_of_agreement and "listing_id" in data:
                venue = venue_of_listing.get(str(data["listing_id"]))
                if venue:
                    venue_of_agreement[agreement] = venue
            if event.type.endswith((".escrow_claimed.v1", ".escrow_released.v1")):
                venue = venue_of_agreement.get(agreement, "unknown venue")
                trade[venue][event.time.strftime("%Y-%m")] += money(data.get("amount"))
        elif event.type == "datapark.subsidy.budget.entry_recorded.v1":
            budgets[event.subject] = data
        elif event.type.startswith("datapark.rental.lease."):
            leases[event.subject] = data
    result = Figures()
    for data in budgets.values():
        who = names.get(str(data.get("participant_id")), str(data.get("participant_id"))[:8])
        result.budgets.append(
            (
                f"{data.get('policy')} · {who} · {data.get('period')}",
                money(data.get("cap")),
                money(data.get("committed")),
                money(data.get("reserved")),
            )
        )
    result.budgets.sort()
    result.trade = {venue: dict(sorted(months.items())) for venue, months in sorted(trade.items())}
    book: dict[str, Decimal] = defaultdict(Decimal)
    for data in leases.values():
        if data.get("state") not in ("active", "paid_off", "title_transferred"):
            continue
        code = regions.get(str(data.get("lessee_participant_id")), "")
        label = REGION_NAMES.get(code[:2], code[:2] or "unknown") if code else "unknown"
        book[label] += money(data.get("financed_principal"))
    result.leases = dict(sorted(book.items()))
    result.events = dict(sorted(per_day.items()))
    return result


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _no_data(title: str) -> str:
    return f'<p class="empty">{_e(title)}: no data in this log.</p>'


def _hbars(title: str, rows: list[tuple[str, list[tuple[Decimal, str]]]], unit: str = "CNY") -> str:
    """Horizontal bars, several (value, colour) layers per row drawn over each other."""
    if not rows:
        return _no_data(title)
    width, label_w, row_h = 900, 320, 26
    top = max((v for _, layers in rows for v, _ in layers), default=Decimal(1)) or Decimal(1)
    height = 30 + row_h * len(rows)
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="title">{_e(title)}</text>',
    ]
    span = width - label_w - 110
    for i, (label, layers) in enumerate(rows):
        y = 26 + i * row_h
        parts.append(f'<text x="0" y="{y + 15}" class="label">{_e(label[:48])}</text>')
        for value, colour in layers:
            w = max(2, int(span * float(value / top))) if value > 0 else 0
            parts.append(
                f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{row_h - 6}" '
                f'fill="{colour}"><title>{_e(label)}: {_e(value)} {unit}</title></rect>'
            )
        shown = layers[0][0] if len(layers) == 1 else f"{layers[-1][0]} of {layers[0][0]}"
        parts.append(
            f'<text x="{label_w + span + 6}" y="{y + 15}" class="value">{_e(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _columns(title: str, series: dict[str, dict[str, Decimal]], colour: str) -> str:
    """Vertical bars per (group, period)."""
    cells = [(g, p, v) for g, periods in series.items() for p, v in periods.items()]
    if not cells:
        return _no_data(title)
    width, height, bottom = 900, 260, 200
    top = max(v for _, _, v in cells) or Decimal(1)
    step = min(60, (width - 40) // len(cells))
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="title">{_e(title)}</text>',
        f'<line x1="30" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="#718096"/>',
    ]
    for i, (group, period, value) in enumerate(cells):
        h = max(2, int((bottom - 30) * float(value / top)))
        x = 34 + i * step
        parts.append(
            f'<rect x="{x}" y="{bottom - h}" width="{step - 8}" height="{h}" fill="{colour}">'
            f"<title>{_e(group)} {_e(period)}: {_e(value)} CNY</title></rect>"
            f'<text x="{x}" y="{bottom + 14}" class="tick">{_e(period)}</text>'
            f'<text x="{x}" y="{bottom + 28}" class="tick">{_e(group[:10])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


TYPE_COLOURS = ("#2b6cb0", "#2f855a", "#b7791f", "#6b46c1", "#319795")


def _lines(title: str, per_day: dict[str, Counter[str]], colour: str) -> str:
    """Events per day: all types together as a filled area, the five busiest types as lines
    (a day alone is drawn as a bar per series)."""
    if not per_day:
        return _no_data(title)
    days = sorted(per_day)
    totals = [sum(per_day[d].values()) for d in days]
    width, height, bottom, left = 900, 300, 210, 40
    top = max(totals) or 1
    step = (width - left - 10) / max(1, len(days) - 1)

    def x(i: int) -> float:
        return left + (i * step if len(days) > 1 else (width - left) / 2)

    def y(v: int) -> float:
        return bottom - (bottom - 30) * v / top

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(totals))
    area = f"{x(0):.1f},{bottom} {points} {x(len(days) - 1):.1f},{bottom}"
    if len(days) == 1:
        area = f"{x(0) - 20:.1f},{bottom} {x(0) - 20:.1f},{y(totals[0]):.1f} "
        area += f"{x(0) + 20:.1f},{y(totals[0]):.1f} {x(0) + 20:.1f},{bottom}"
    busiest = Counter[str]()
    for counts in per_day.values():
        busiest.update(counts)
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="title">{_e(title)}</text>',
        f'<polygon points="{area}" fill="{colour}" fill-opacity="0.85">'
        f"<title>all types: {sum(totals)} events</title></polygon>",
    ]
    for n, (event_type, total) in enumerate(busiest.most_common(len(TYPE_COLOURS))):
        line_colour = TYPE_COLOURS[n]
        series = [per_day[d].get(event_type, 0) for d in days]
        if len(days) == 1:
            bar_x = x(0) + 26 + n * 10
            parts.append(
                f'<rect x="{bar_x:.1f}" y="{y(series[0]):.1f}" width="8" '
                f'height="{bottom - y(series[0]):.1f}" fill="{line_colour}"/>'
            )
        else:
            line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(series))
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{line_colour}" stroke-width="2"/>'
            )
        parts.append(
            f'<rect x="{left + (n % 3) * 290}" y="{bottom + 30 + (n // 3) * 16}" width="10" '
            f'height="10" fill="{line_colour}"/><text x="{left + (n % 3) * 290 + 14}" '
            f'y="{bottom + 39 + (n // 3) * 16}" class="tick">{_e(event_type)} ({total})</text>'
        )
    parts += [
        f'<line x1="{left}" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="#718096"/>',
        f'<text x="{left}" y="{bottom + 16}" class="tick">{_e(days[0])}</text>',
        f'<text x="{width - 80}" y="{bottom + 16}" class="tick">{_e(days[-1])}</text>',
        "</svg>",
    ]
    return "".join(parts)


def _findings_table(title: str, findings: list[Finding], limit: int = 500) -> str:
    if not findings:
        return f"<h2>{_e(title)}</h2><p class='ok'>None.</p>"
    rows = "".join(
        f"<tr><td>{_e(f.check)}</td><td>{_e(f.location())}</td><td>{_e(f.event_id or '-')}</td>"
        f"<td>{_e(f.reason)}</td></tr>"
        for f in findings[:limit]
    )
    more = f"<p>... and {len(findings) - limit} more.</p>" if len(findings) > limit else ""
    return (
        f"<h2>{_e(title)} ({len(findings)})</h2><table><thead><tr><th>check</th>"
        "<th>topic/partition@offset</th><th>event id</th><th>reason</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{more}"
    )


STYLE = """
body{font-family:'DejaVu Sans',sans-serif;margin:24px;color:#1a202c;max-width:1000px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:12px;width:100%}
td,th{border:1px solid #cbd5e0;padding:3px 6px;text-align:left;vertical-align:top}
.verdict-clean{color:#276749;font-weight:bold}.verdict-dirty{color:#c53030;font-weight:bold}
svg .title{font-size:14px;font-weight:bold}svg .label,svg .value,svg .tick{font-size:11px}
.empty{color:#718096}.ok{color:#276749}
"""


def _counts(violations: list[Finding], findings: list[Finding] | None) -> str:
    """Violations per check, first: the detail tables follow the charts."""
    counted = Counter(f"verify: {v.check}" for v in violations)
    counted.update(f"invariants: {f.check}" for f in findings or ())
    if not counted:
        return ""
    rows = "".join(f"<tr><td>{_e(c)}</td><td>{n}</td></tr>" for c, n in sorted(counted.items()))
    return (
        "<h2>Violations per check</h2><table><thead><tr><th>check</th><th>violations</th></tr>"
        f"</thead><tbody>{rows}</tbody></table><p>Each one, with its location, follows the "
        "charts.</p>"
    )


def render(result: VerifyResult, findings: list[Finding] | None, data: Figures | None) -> str:
    clean = result.clean and not findings
    verdict = (
        '<p class="verdict-clean">The log verifies: no violation.</p>'
        if clean
        else '<p class="verdict-dirty">Violations found: see below.</p>'
    )
    summary = "".join(f"<li>{_e(line)}</li>" for line in summary_lines(result))
    types = "".join(f"<tr><td>{_e(t)}</td><td>{n}</td></tr>" for t, n in result.types.items())
    body = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>datapark audit report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>datapark audit report</h1>",
        f"<p>Generated {datetime.now(UTC).isoformat(timespec='seconds')} by datapark-audit.</p>",
        verdict,
        f"<h2>Verification</h2><ul>{summary}</ul>",
        _counts(result.violations, findings),
    ]
    if data is not None:
        body.append("<h2>Charts</h2>")
        body.append(
            _hbars(
                "Budget use against cap per policy and company (CNY): committed, reserved, cap",
                [
                    (
                        label,
                        [
                            (cap, COLOURS["budget_cap"]),
                            (committed + reserved, COLOURS["budget_reserved"]),
                            (committed, COLOURS["budget_used"]),
                        ],
                    )
                    for label, cap, committed, reserved in data.budgets
                ],
            )
        )
        body.append(
            _columns("Trade volume per venue per month (CNY)", data.trade, COLOURS["trade"])
        )
        body.append(
            _hbars(
                "Lease book by region: financed principal of running leases (CNY)",
                [(region, [(amount, COLOURS["lease"])]) for region, amount in data.leases.items()],
            )
        )
        body.append(_lines("Events per type over time (per day)", data.events, COLOURS["events"]))
    body.append(_findings_table("Verification violations", result.violations))
    if findings is not None:
        body.append(_findings_table("Invariant violations", findings))
    body.append(
        "<h2>Events per type</h2><table><thead><tr><th>type</th><th>events</th></tr></thead>"
        f"<tbody>{types}</tbody></table>"
    )
    body.append("</body></html>")
    return "\n".join(body)
