import { html, Html } from './html';
import { Language, MESSAGES } from './language';
import { layout, Paths } from './layout';

/** `/status`: choose a municipality by its CBS code (a GET form: works without JavaScript, bookmarkable). */
export function renderStatusIndex(language: Language, paths: Paths, problem: { given: string; message: string } | null): Html {
  const words = MESSAGES[language];
  const other = words.otherLanguageName as Language;
  return layout({
    language,
    title: words.indexTitle,
    paths,
    alternate: { href: paths.withQuery(paths.statusIndex, { lang: other }), language: other, label: words.otherLanguage },
    body: html`<h1>${words.indexTitle}</h1>
<p class="intro">${words.indexIntro}</p>
<form class="choose" method="get" action="${paths.statusIndex}">
<input type="hidden" name="lang" value="${language}">
<label for="code">${words.codeLabel}</label>
<input id="code" name="code" required pattern="[Gg][Mm][0-9]{4}" autocomplete="off" spellcheck="false" value="${problem?.given ?? ''}" aria-describedby="code-hint${problem ? ' code-error' : ''}"${problem ? html` aria-invalid="true"` : ''}>
<button type="submit">${words.show}</button>
</form>
<p id="code-hint">${words.codeHint}</p>
${problem ? html`<p id="code-error" class="error">${problem.message}</p>` : ''}`,
  });
}

/** A page that says what went wrong, in the reader's language, with the way back. */
export function renderProblem(language: Language, paths: Paths, title: string, message: string): Html {
  return layout({
    language,
    title,
    paths,
    body: html`<h1>${title}</h1>
<p>${message}</p>
<p><a href="${paths.withQuery(paths.statusIndex, { lang: language })}">${MESSAGES[language].indexTitle}</a></p>`,
  });
}

const LANDING = {
  nl: {
    title: 'ketenbeeld',
    intro: 'Eén beeld van gedeelde gemeentelijke diensten: wat werkt, wat niet, waarom en sinds wanneer.',
    statusTitle: 'Storingen en beschikbaarheid per gemeente',
    status: 'Voor inwoners, ondernemers en medewerkers: werkt de balie, het afsprakensysteem, thuiswerken? Per gemeente, zonder inloggen.',
    ideTitle: 'GraphQL-API uitproberen',
    ide: 'GraphiQL in de browser, van deze server (werkt ook zonder internet).',
    ideOff: 'De IDE staat op deze server uit. Stuur queries als HTTP POST naar /graphql.',
    schemaTitle: 'Het schema (het contract)',
    schema: 'De hele API in één bestand, met beschrijvingen.',
    docsTitle: 'Documentatie',
    docs: 'De statuspagina op uw eigen site, de feed, caching en live bijwerken.',
  },
  en: {
    title: 'ketenbeeld',
    intro: 'One picture of shared municipal services: what works, what does not, why and since when.',
    statusTitle: 'Service status per municipality',
    status: 'For residents, businesses and staff: does the counter, the appointment system, remote work work? Per municipality, without logging in.',
    ideTitle: 'Try the GraphQL API',
    ide: 'GraphiQL in the browser, served by this server (works without internet too).',
    ideOff: 'The IDE is switched off on this server. Send queries as HTTP POST to /graphql.',
    schemaTitle: 'The schema (the contract)',
    schema: 'The whole API in one file, with descriptions.',
    docsTitle: 'Documentation',
    docs: 'The status page on your own site, the feed, caching and live updates.',
  },
};

/** `/`: where a person who opens the server in a browser starts. */
export function renderLanding(language: Language, paths: Paths, ide: boolean): Html {
  const words = LANDING[language];
  const other = MESSAGES[language].otherLanguageName as Language;
  return layout({
    language,
    title: words.title,
    paths,
    alternate: { href: paths.withQuery(paths.home, { lang: other }), language: other, label: MESSAGES[language].otherLanguage },
    body: html`<h1>${words.title}</h1>
<p class="intro">${words.intro}</p>
<ul class="cards">
<li><h2><a href="${paths.withQuery(paths.statusIndex, { lang: language })}">${words.statusTitle}</a></h2><p>${words.status}</p></li>
<li><h2>${ide ? html`<a href="${paths.ide}">${words.ideTitle}</a>` : words.ideTitle}</h2><p>${ide ? words.ide : words.ideOff}</p></li>
<li><h2><a href="${paths.schema}">${words.schemaTitle}</a></h2><p>${words.schema} <code>${paths.schema}</code></p></li>
<li><h2><a href="${paths.docs}">${words.docsTitle}</a></h2><p>${words.docs}</p></li>
</ul>`,
  });
}
