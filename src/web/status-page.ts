import { versionOf } from './conditional';
import { html, Html } from './html';
import { renderIncidents } from './incidents';
import { AUDIENCES, formatMoment, Language, MESSAGES, PublicStatus } from './language';
import { layout, Paths } from './layout';
import type { PublicMaintenance, PublicMunicipality, PublicService } from './public-picture';

/** Class and symbol per status. The words carry the meaning; colour and symbol only repeat it. */
const LOOK: Record<PublicStatus, { css: string; symbol: string }> = {
  OPERATIONAL: { css: 'ok', symbol: '✓' },
  DEGRADED_PERFORMANCE: { css: 'degraded', symbol: '!' },
  PARTIAL_OUTAGE: { css: 'partial', symbol: '!' },
  MAJOR_OUTAGE: { css: 'down', symbol: '✕' },
  UNDER_MAINTENANCE: { css: 'maintenance', symbol: '⚙' },
  UNKNOWN: { css: 'unknown', symbol: '?' },
};

const isNormal = (status: PublicStatus) => status === 'OPERATIONAL';

export interface StatusPageView {
  municipality: PublicMunicipality;
  language: Language;
  /** A moment in the past the page shows instead of now; null: now, and it updates itself. */
  asOf: Date | null;
  paths: Paths;
}

function serviceAnchor(service: PublicService): string {
  return `service-${service.service.id}`;
}

function renderService(entry: PublicService, language: Language): Html {
  const words = MESSAGES[language];
  const look = LOOK[entry.status];
  return html`<li id="${serviceAnchor(entry)}" class="service status-${look.css}" data-live-key="${serviceAnchor(entry)}" data-status="${entry.status}">
<h3 class="service-name">${entry.service.name}</h3>
<p class="service-status"><span class="symbol" aria-hidden="true">${look.symbol}</span> <strong>${words.status[entry.status]}</strong>${entry.since
    ? html` <span class="since">${words.since(formatMoment(new Date(entry.since), language))}</span>` : ''}</p>
${!isNormal(entry.status) && entry.cause ? html`<p class="cause">${words.cause[entry.cause]}</p>` : ''}
${entry.stale ? html`<p class="stale">${words.stale}</p>` : ''}
${entry.incidents ? renderIncidents(entry.incidents, language) : ''}
</li>
`;
}

function byName(a: PublicService, b: PublicService): number {
  return a.service.name.localeCompare(b.service.name, 'nl');
}

/** The summary at the top: everything well, or which services are not, as links to them. */
function renderSummary(services: readonly PublicService[], language: Language): Html {
  const words = MESSAGES[language];
  if (services.length === 0) return html`<div class="summary" data-live-key="summary"><p>${words.noServices}</p></div>`;
  const notWell = services.filter((s) => !isNormal(s.status) && s.status !== 'UNKNOWN').sort(byName);
  const unknown = services.filter((s) => s.status === 'UNKNOWN').length;
  const tone = notWell.length > 0 ? 'summary-problem' : unknown > 0 ? 'summary-unknown' : 'summary-ok';
  return html`<div class="summary ${tone}" data-live-key="summary">
<p><strong>${notWell.length === 0 ? words.allWell : words.notWell(notWell.length, services.length)}</strong>${unknown > 0 ? html` ${words.unknown(unknown)}` : ''}</p>
${notWell.length > 0 ? html`<ul>${notWell.map((s) => html`<li><a href="#${serviceAnchor(s)}">${s.service.name}</a>: ${words.status[s.status].toLowerCase()}</li>`)}</ul>` : ''}
</div>`;
}

/** The part of the page that live updates replace: summary, services by audience, latest change. */
export function renderLiveRegion(municipality: PublicMunicipality, language: Language): Html {
  const words = MESSAGES[language];
  const latest = municipality.services.map((s) => s.since).filter((s): s is string => s !== null).sort().at(-1);
  return html`${renderSummary(municipality.services, language)}
${AUDIENCES.map((audience) => {
    const services = municipality.services.filter((s) => s.service.audience === audience).sort(byName);
    if (services.length === 0) return '';
    return html`<section class="audience" aria-labelledby="audience-${audience}" data-live-key="audience-${audience}">
<h2 id="audience-${audience}">${words.audience[audience]}</h2>
<ul class="services">
${services.map((s) => renderService(s, language))}</ul>
</section>
`;
  })}${latest ? html`<p class="latest" data-live-key="latest">${words.checkedAt(formatMoment(new Date(latest), language))}</p>` : ''}`;
}

/** Announced maintenance, soonest first: what, when, which services, in the operator's public words. */
function renderMaintenance(notices: readonly PublicMaintenance[], language: Language): Html | '' {
  if (notices.length === 0) return '';
  const words = MESSAGES[language];
  return html`<section class="maintenance" aria-labelledby="maintenance-heading">
<h2 id="maintenance-heading">${words.maintenanceHeading}</h2>
<ul>
${notices.map((notice) => html`<li>
<p><strong>${notice.title}</strong></p>
<p>${words.maintenanceWhen(formatMoment(new Date(notice.startsAt), language), formatMoment(new Date(notice.endsAt), language))}</p>
<p>${words.maintenanceAffects(notice.services.map((s) => s.name).sort((a, b) => a.localeCompare(b, 'nl')).join(', '))}</p>
${notice.publicText ? html`<p>${notice.publicText}</p>` : ''}
</li>
`)}</ul>
</section>`;
}

/** The whole page. Complete without JavaScript; with it, status.js keeps the live region current. */
export function renderStatusPage(view: StatusPageView): Html {
  const { municipality, language, asOf, paths } = view;
  const words = MESSAGES[language];
  const other = words.otherLanguageName as Language;
  const page = paths.statusPage(municipality.cbsCode);
  const region = renderLiveRegion(municipality, language);
  return layout({
    language,
    title: words.pageTitle(municipality.name),
    paths,
    alternate: { href: paths.withQuery(page, { lang: other, asOf: asOf ? asOf.toISOString() : undefined }), language: other, label: words.otherLanguage },
    feed: { href: paths.withQuery(paths.feed(municipality.cbsCode), { lang: language }), title: words.feedTitle(municipality.name) },
    body: html`<h1>${words.heading(municipality.name)}</h1>
<p class="intro">${words.intro}</p>
${asOf ? html`<p class="as-of">${words.asOf(formatMoment(asOf, language))} <a href="${paths.withQuery(page, { lang: language })}">${words.current}</a></p>` : ''}
<div id="live-region" class="live-region" data-version="${versionOf(region.text)}"${asOf ? '' : html` data-live="${paths.withQuery(paths.live(municipality.cbsCode), { lang: language })}"`}>
${region}
</div>
${asOf ? '' : renderMaintenance(municipality.maintenance, language)}
<p id="live-note" class="live-note" hidden data-live-text="${words.live}" data-lost-text="${words.liveLost}"></p>
<ul class="links">
<li><a href="${paths.withQuery(paths.feed(municipality.cbsCode), { lang: language })}" type="application/atom+xml">${words.feed}</a></li>
${municipality.website && /^https?:\/\//i.test(municipality.website) ? html`<li><a href="${municipality.website}" rel="external">${words.municipalitySite}</a></li>` : ''}
<li><a href="${paths.docs}">${words.about}</a></li>
</ul>`,
  });
}
