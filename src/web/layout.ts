import { html, Html } from './html';
import type { Language } from './language';

/** Every address the public face links to, in one place. Root-relative, so a proxy may serve it under any host. */
export interface Paths {
  home: string;
  statusIndex: string;
  statusPage(cbsCode: string): string;
  feed(cbsCode: string): string;
  live(cbsCode: string): string;
  ide: string;
  schema: string;
  docs: string;
  /** A file of src/web/assets/, with its content hash so it can be cached for a year. */
  asset(name: string): string;
  withQuery(path: string, parameters: Record<string, string | undefined>): string;
}

export function createPaths(assetVersions: ReadonlyMap<string, string>): Paths {
  return {
    home: '/',
    statusIndex: '/status',
    statusPage: (cbsCode) => `/status/${encodeURIComponent(cbsCode)}`,
    feed: (cbsCode) => `/status/${encodeURIComponent(cbsCode)}/feed.atom`,
    live: (cbsCode) => `/status/${encodeURIComponent(cbsCode)}/live`,
    ide: '/graphql',
    schema: '/schema.graphql',
    docs: '/docs/public-face.md',
    asset(name) {
      const version = assetVersions.get(name);
      if (!version) throw new Error(`No asset ${name} in src/web/assets`);
      return `/assets/${name}?v=${version}`;
    },
    withQuery(path, parameters) {
      const query = new URLSearchParams(Object.entries(parameters).filter((e): e is [string, string] => e[1] !== undefined));
      const text = query.toString();
      return text ? `${path}?${text}` : path;
    },
  };
}

export interface LayoutOptions {
  language: Language;
  title: string;
  paths: Paths;
  body: Html;
  /** The same page in the other language. */
  alternate?: { href: string; language: Language; label: string };
  feed?: { href: string; title: string };
}

const SKIP: Record<Language, string> = { nl: 'Naar de inhoud', en: 'Skip to content' };
const FOOTER: Record<Language, string> = {
  nl: 'Gegevens uit ketenbeeld: één beeld van gedeelde gemeentelijke diensten.',
  en: 'Data from ketenbeeld: one picture of shared municipal services.',
};

/** The HTML shell of every public page: readable on a phone, no asset from another host. */
export function layout(options: LayoutOptions): Html {
  const { language, title, paths, body, alternate, feed } = options;
  return html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="stylesheet" href="${paths.asset('status.css')}">
${feed ? html`<link rel="alternate" type="application/atom+xml" href="${feed.href}" title="${feed.title}">` : ''}
${alternate ? html`<link rel="alternate" hreflang="${alternate.language}" href="${alternate.href}">` : ''}
<script src="${paths.asset('status.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">${SKIP[language]}</a>
${alternate ? html`<header class="top"><a href="${alternate.href}" hreflang="${alternate.language}" lang="${alternate.language}">${alternate.label}</a></header>` : ''}
<main id="main">
${body}
</main>
<footer class="bottom"><p>${FOOTER[language]}</p></footer>
</body>
</html>
`;
}
