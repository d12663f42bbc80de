/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already
 * `Html` (made by this tag or by `trusted`). A name such as `Vergunningen <& meldingen>` from the
 * register cannot turn into markup.
 *
 * An `Html` keeps its pieces (strings and the `Html` interpolated into it) and joins them into one
 * string once, when its text is first asked for: a page of a few hundred services is then one join
 * of its pieces, instead of a string concatenated at every level and flattened again by each reader
 * (the hash of its ETag, the response).
 */
export class Html {
  private joined: string | undefined;

  constructor(private readonly pieces: readonly (string | Html)[]) {}

  get text(): string {
    if (this.joined === undefined) {
      const out: string[] = [];
      this.collect(out);
      this.joined = out.join('');
    }
    return this.joined;
  }

  toString(): string {
    return this.text;
  }

  private collect(out: string[]): void {
    if (this.joined !== undefined) {
      out.push(this.joined);
      return;
    }
    for (const piece of this.pieces) {
      if (typeof piece === 'string') out.push(piece);
      else piece.collect(out);
    }
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

function add(part: Part, pieces: (string | Html)[]): void {
  if (part === null || part === undefined || part === false) return;
  if (part instanceof Html) pieces.push(part);
  else if (Array.isArray(part)) for (const each of part as readonly Part[]) add(each, pieces);
  else pieces.push(escapeHtml(String(part)));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  const pieces: (string | Html)[] = [strings[0]];
  for (let i = 0; i < parts.length; i++) {
    add(parts[i], pieces);
    pieces.push(strings[i + 1]);
  }
  return new Html(pieces);
}

/** Markup written in this code base, never data. */
export function trusted(text: string): Html {
  return new Html([text]);
}

/** JSON inside a <script type="application/json">: `<` escaped so no `</script>` can end it. */
export function jsonForScript(value: unknown): Html {
  return new Html([JSON.stringify(value).replace(/</g, '\\u003c')]);
}
