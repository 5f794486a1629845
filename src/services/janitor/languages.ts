import { iso6392 } from 'iso-639-2';

/**
 * Language tags as media servers write them, brought to one form: the ISO 639-2/B code (`fre`, `ger`, `eng`).
 * ffprobe's tags are mostly 639-2/B (`fre`, `ger`), .NET's ThreeLetterISOLanguageName is 639-2/T (`fra`,
 * `deu`), people and settings write 639-1 (`fr`), and some files carry a region (`fr-CA`, `pt_BR`) or a name
 * (`French`). `und`, `mul`, `zxx`, `mis` and anything unrecognised say nothing: null.
 */
const UNKNOWN = new Set(['und', 'mul', 'zxx', 'mis', 'qaa', 'unk', 'unknown', 'none']);

const byCode = new Map<string, string>();
const byName = new Map<string, string>();
const names = new Map<string, string>();
for (const language of iso6392) {
  const code = language.iso6392B;
  if (UNKNOWN.has(code)) continue;
  for (const alias of [code, language.iso6392T, language.iso6391]) if (alias) byCode.set(alias, code);
  // "Dutch; Flemish" → Dutch, Flemish; "Greek, Modern (1453-)" → Greek
  const parts = language.name.split(';').map((n) => n.trim());
  names.set(code, parts[0]!.replace(/\s*\(.*\)$/, ''));
  for (const part of parts) if (!byName.has(part.toLowerCase())) byName.set(part.toLowerCase(), code);
}
// then the heads of qualified names ("Greek, Modern (1453-)" → greek), where no language has that exact name
// ("English, Old (ca.450-1100)" must not take "english")
for (const language of iso6392) {
  if (UNKNOWN.has(language.iso6392B)) continue;
  for (const part of language.name.split(';')) {
    const head = part.split(',')[0]!.trim().toLowerCase();
    if (!byName.has(head)) byName.set(head, language.iso6392B);
  }
}
// names the list spells otherwise, and the common native ones
for (const [name, code] of [['français', 'fre'], ['francais', 'fre'], ['anglais', 'eng'], ['deutsch', 'ger'], ['español', 'spa'], ['espanol', 'spa'], ['italiano', 'ita']] as const) {
  byName.set(name, code);
}

/** The ISO 639-2/B code a tag stands for, or null when it says nothing (`und`, empty, unknown). */
export function normalizeLanguage(tag: string | null | undefined): string | null {
  const raw = tag?.trim().toLowerCase();
  if (!raw) return null;
  if (UNKNOWN.has(raw)) return null;
  const code = byCode.get(raw) ?? byCode.get(raw.split(/[-_]/)[0]!);
  return code ?? byName.get(raw) ?? null;
}

/** English name of a normalised code, for reasons people read: `fre` → French. */
export function languageName(code: string): string {
  return names.get(code) ?? code;
}

/** Several languages in words: "English, French and Japanese". */
export function languageList(codes: readonly string[]): string {
  const words = codes.map(languageName);
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}
