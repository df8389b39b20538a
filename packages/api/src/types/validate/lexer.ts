/**
 * @module types/validate/lexer
 * Tokenizer for the two small expression languages in roles: trait templates
 * (`{{email.local(external.email)}}`) and rule `where` clauses (`contains(session.participants,
 * user.metadata.name)`). Strings are Go-style: "double quoted" with escapes or `raw`.
 */
import { BadParameterError } from '../../errors.ts';

/** One token. */
export type Token =
  | { type: 'ident'; value: string; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'number'; value: number; pos: number }
  | { type: 'punct'; value: string; pos: number }
  | { type: 'end'; pos: number };

const puncts = ['&&', '||', '==', '!=', '.', '[', ']', '(', ')', ',', '!'];

/** Splits `text` into tokens; throws BadParameterError (prefixed with `what`) on a bad character or string. */
export function tokenize(text: string, what: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const bad = (msg: string): never => {
    throw new BadParameterError(`${what}: ${msg} at offset ${i}`);
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) { i++; continue; }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i] as string)) i++;
      out.push({ type: 'ident', value: text.slice(start, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < text.length && /[0-9]/.test(text[i] as string)) i++;
      out.push({ type: 'number', value: Number(text.slice(start, i)), pos: start });
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) bad('unterminated string');
      out.push({ type: 'string', value: text.slice(i + 1, end), pos: start });
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      let raw = '"';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') raw += text[i++];
        raw += text[i++] ?? '';
      }
      if (i >= text.length) bad('unterminated string');
      i++;
      try {
        out.push({ type: 'string', value: JSON.parse(`${raw}"`) as string, pos: start });
      } catch {
        bad('invalid escape in string');
      }
      continue;
    }
    const p = puncts.find((x) => text.startsWith(x, i));
    if (!p) bad(`unexpected character "${c}"`);
    out.push({ type: 'punct', value: p as string, pos: start });
    i += (p as string).length;
  }
  out.push({ type: 'end', pos: text.length });
  return out;
}

/** A cursor over tokens with helpers that raise readable errors. */
export class TokenStream {
  private i = 0;

  constructor(private readonly tokens: Token[], private readonly what: string) {}

  /** The next token without consuming it. */
  peek(): Token {
    return this.tokens[this.i] ?? { type: 'end', pos: 0 };
  }

  /** Consumes and returns the next token. */
  next(): Token {
    const t = this.peek();
    if (t.type !== 'end') this.i++;
    return t;
  }

  /** Consumes the punctuation `p` if it is next. */
  accept(p: string): boolean {
    const t = this.peek();
    if (t.type === 'punct' && t.value === p) {
      this.i++;
      return true;
    }
    return false;
  }

  /** Consumes the punctuation `p` or throws. */
  expect(p: string): void {
    if (!this.accept(p)) this.fail(`expected "${p}"`);
  }

  /** Throws a BadParameterError describing the next token. */
  fail(msg: string): never {
    const t = this.peek();
    const got = t.type === 'end' ? 'end of expression' : `"${String(t.value)}"`;
    throw new BadParameterError(`${this.what}: ${msg}, got ${got}`);
  }
}
