import { mkdir, realpath } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ValidationError } from '../errors.js';

/** Placeholders a path template may use. */
export const PLACEHOLDERS = ['title', 'ext', 'language', 'series', 'season', 'episode', 'year'] as const;
export type PathVars = Partial<Record<(typeof PLACEHOLDERS)[number], string | number | null>>;

/** A file name leaves room for ` (99)` and `.part` under the 255-byte limit of most file systems. */
const MAX_NAME_BYTES = 240;
const MAX_SEGMENT_BYTES = 255;
const DEFAULT_TEMPLATE = '{title}.{ext}';
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;

/** A file name given by a person, as a template that yields exactly it (braces escaped). */
export function fileNameTemplate(fileName: string): string {
  const name = fileName.trim();
  if (!name || /[/\\]/.test(name) || name === '.' || name === '..') throw new ValidationError('A file name has no folders: use path for those', ['fileName']);
  checkText(name, 'fileName');
  return name.replace(/[{}]/g, (brace) => brace + brace);
}

/**
 * Checks a path template when the download is queued: relative, no `.` or `..` folder, no control
 * characters, only known placeholders. A template ending in `/` names a folder for the server's file name.
 */
export function checkTemplate(template: string, field = 'path'): string {
  const trimmed = template.trim().replace(/\\/g, '/');
  if (!trimmed) throw new ValidationError('The path is empty', [field]);
  if (isAbsolute(trimmed) || /^[a-z]:/i.test(trimmed)) throw new ValidationError('The path must be relative to the download directory', [field]);
  checkText(trimmed, field);
  const segments = trimmed.split('/').filter(Boolean);
  for (const segment of segments) {
    if (segment === '..' || segment === '.') throw new ValidationError('The path may not climb out of the download directory (no "." or ".." folders)', [field]);
    for (const match of segment.matchAll(TOKEN)) {
      if (match[0] === '{' || match[0] === '}') throw new ValidationError('A brace that opens no placeholder: write {{ or }} for a brace itself', [field]);
      if (match[1] !== undefined && !(PLACEHOLDERS as readonly string[]).includes(match[1])) {
        throw new ValidationError(`Unknown placeholder {${match[1]}}: use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`, [field]);
      }
    }
  }
  return trimmed.endsWith('/') ? `${segments.join('/')}/${DEFAULT_TEMPLATE}` : segments.join('/');
}

function checkText(text: string, field: string): void {
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new ValidationError('The path has control characters', [field]);
}

/**
 * The relative path a template gives with these values: each value made safe as part of one name
 * (no separators), then each folder and the file name sanitised.
 */
export function renderTemplate(template: string | null, vars: PathVars): string {
  const segments = checkTemplate(template ?? DEFAULT_TEMPLATE).split('/');
  return segments
    .map((segment, i) => {
      const filled = segment.replace(TOKEN, (token, name: string | undefined) => {
        if (token === '{{') return '{';
        if (token === '}}') return '}';
        const value = vars[name as keyof PathVars];
        return value === null || value === undefined || value === '' ? (name === 'ext' ? '' : 'Unknown') : String(value).replace(/[/\\]/g, '_');
      });
      return sanitizeSegment(filled, i === segments.length - 1 ? MAX_NAME_BYTES : MAX_SEGMENT_BYTES);
    })
    .join('/');
}

/** One folder or file name made safe on Linux, macOS and Windows alike, at most `maxBytes` of UTF-8. */
export function sanitizeSegment(raw: string, maxBytes = MAX_SEGMENT_BYTES): string {
  let name = raw
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/[<>:"/\\|?*]/g, '_')
    .trim()
    .replace(/[. ]+$/, '');
  if (name === '' || name === '.' || name === '..') name = '_';
  if (RESERVED.test(name)) name = `_${name}`;
  return truncate(name, maxBytes);
}

/** Cuts the stem (never the extension, nor inside a character) until the name fits. */
function truncate(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const ext = extname(name);
  const keepExt = ext.length > 1 && Buffer.byteLength(ext) <= 16 ? ext : '';
  const stem = [...name.slice(0, name.length - keepExt.length)];
  while (stem.length > 0 && Buffer.byteLength(stem.join('') + keepExt) > maxBytes) stem.pop();
  return (stem.join('').trimEnd() || '_') + keepExt;
}

/** `name.ext` → `name (2).ext`. */
export function numbered(relativePath: string, n: number): string {
  if (n <= 1) return relativePath;
  const ext = extname(relativePath);
  const hasExt = ext.length > 1 && !relativePath.endsWith(`/${ext}`) && relativePath !== ext;
  return hasExt ? `${relativePath.slice(0, -ext.length)} (${n})${ext}` : `${relativePath} (${n})`;
}

/**
 * The absolute path of a relative one, its folders created, refused unless it stays inside `root`
 * once every symbolic link on the way is followed.
 */
export async function insideRoot(root: string, relativePath: string): Promise<string> {
  const absolute = resolve(root, relativePath);
  const rel = relative(root, absolute);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) throw new ValidationError('The path leaves the download directory', ['path']);
  await mkdir(dirname(absolute), { recursive: true });
  const realRoot = await realpath(root);
  const realParent = await realpath(dirname(absolute));
  if (realParent !== realRoot && !realParent.startsWith(realRoot + sep)) throw new ValidationError('The path leaves the download directory', ['path']);
  return join(realParent, absolute.slice(dirname(absolute).length + 1));
}
