/**
 * @module lists
 * Comma-separated input fields (roles, logins) to arrays and back.
 */

/** "a, b,,c " -> ["a", "b", "c"], without duplicates. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
}

/** ["a", "b"] -> "a, b". */
export function joinList(items: readonly string[] | undefined): string {
  return (items ?? []).join(', ');
}
