/**
 * @module labels
 * Label selectors as the resource lists send them (`?query=env=prod,team=db`): parsing,
 * formatting and toggling one label on or off. Values may contain `=`; `,` separates labels.
 */

/** One label, as the API returns it. */
export interface Label {
  name: string;
  value: string;
}

/** Parses `k=v,k2=v2` (whitespace around items ignored, empty items dropped); later keys win. */
export function parseLabelQuery(query: string): Label[] {
  const out = new Map<string, string>();
  for (const raw of query.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) continue; // "=v" or "k" alone is not a selector
    out.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  return [...out].map(([name, value]) => ({ name, value }));
}

/** Formats labels as `k=v,k2=v2`, sorted by name so equal filters give equal URLs. */
export function formatLabelQuery(labels: readonly Label[]): string {
  return [...labels]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((l) => `${l.name}=${l.value}`)
    .join(',');
}

/** True when the query already selects exactly this label. */
export function hasLabel(query: string, label: Label): boolean {
  return parseLabelQuery(query).some((l) => l.name === label.name && l.value === label.value);
}

/** Adds the label to the query (replacing another value of the same key), or removes it if present. */
export function toggleLabel(query: string, label: Label): string {
  const labels = parseLabelQuery(query);
  if (labels.some((l) => l.name === label.name && l.value === label.value)) {
    return formatLabelQuery(labels.filter((l) => l.name !== label.name));
  }
  return formatLabelQuery([...labels.filter((l) => l.name !== label.name), label]);
}

/** `name: value` for display. */
export function labelText(label: Label): string {
  return `${label.name}: ${label.value}`;
}
