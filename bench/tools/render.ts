import fs from 'node:fs';
import { markdown, RunReport } from '../harness/report';
import { mixedMarkdown } from '../harness/w4-mixed';
import { publicPressureMarkdown, PublicPressureReport } from '../harness/public-pressure';
import { publicPageMarkdown, PublicPageOutcome } from '../harness/public-page';

/**
 * Renders a run's Markdown again from its JSON, with the report code as it is now:
 * `node bench/dist/bench/tools/render.js bench/results/<stem>.json > bench/results/<stem>.md`.
 */
const file = process.argv[2];
if (!file) throw new Error('usage: render.js <results.json>');
const report = JSON.parse(fs.readFileSync(file, 'utf8')) as RunReport & { publicPressure: PublicPressureReport | null; publicPage: PublicPageOutcome | null };
process.stdout.write(markdown(report) + mixedMarkdown(report.mixed ?? null)
  + (report.publicPressure ? `\n${publicPressureMarkdown(report.publicPressure)}` : '') + publicPageMarkdown(report.publicPage ?? null));
