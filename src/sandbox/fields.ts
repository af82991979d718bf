// Graph's `fields` parameter: "id,caption,children{id,media_type}" → a tree of requested fields.
export type FieldTree = Map<string, FieldTree | true>;

export function parseFields(text: string | undefined, fallback: string): FieldTree {
  const source = text && text.trim() ? text : fallback;
  let i = 0;
  const parseList = (): FieldTree => {
    const tree: FieldTree = new Map();
    let name = '';
    const flush = (sub?: FieldTree) => {
      const key = name.trim();
      if (key) tree.set(key.replace(/\.limit\(\d+\)$/, ''), sub ?? true);
      name = '';
    };
    while (i < source.length) {
      const ch = source[i++] as string;
      if (ch === ',') flush();
      else if (ch === '{') flush(parseList());
      else if (ch === '}') break;
      else name += ch;
    }
    flush();
    return tree;
  };
  return parseList();
}

/** Keeps only the requested fields of a full object; nested trees apply to sub-objects. */
export function pick(full: Record<string, unknown>, fields: FieldTree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, sub] of fields) {
    const value = full[name];
    if (value === undefined) continue;
    if (sub === true || typeof value !== 'object' || value === null) out[name] = value;
    else if (Array.isArray((value as { data?: unknown }).data)) {
      out[name] = { ...(value as object), data: ((value as { data: Array<Record<string, unknown>> }).data).map((item) => pick(item, sub)) };
    } else out[name] = pick(value as Record<string, unknown>, sub);
  }
  return out;
}
