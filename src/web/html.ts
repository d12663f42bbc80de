/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already
 * `Html` (made by this tag or by `trusted`). A name such as `Vergunningen <& meldingen>` from the
 * register cannot turn into markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let text = strings[0];
  for (let i = 0; i < parts.length; i++) text += render(parts[i]) + strings[i + 1];
  return new Html(text);
}

/** Markup written in this code base, never data. */
export function trusted(text: string): Html {
  return new Html(text);
}

/** JSON inside a <script type="application/json">: `<` escaped so no `</script>` can end it. */
export function jsonForScript(value: unknown): Html {
  return new Html(JSON.stringify(value).replace(/</g, '\\u003c'));
}
