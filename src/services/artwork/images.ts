import sharp from 'sharp';
import { NotAnImageError, TooManyPixelsError, TruncatedImageError, UnsupportedImageTypeError } from '../errors.js';

/**
 * libvips keeps recent operations' results (up to 50 MB) in case the same image is worked on again; ours never
 * is (thumbnails are kept on disk), so that cache would only hold memory.
 */
export function keepNoDecodedImages(): void {
  sharp.cache(false);
}

/** The kinds of picture Klug keeps. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const MIME_TYPES: Record<ImageFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** What the first bytes say a file is: a kept format, another picture format, or nothing known. */
export type Sniffed = { format: ImageFormat } | { other: string } | null;

const startsWith = (bytes: Buffer, magic: number[], at = 0) => magic.every((byte, i) => bytes[at + i] === byte);
const ascii = (bytes: Buffer, from: number, to: number) => bytes.subarray(from, to).toString('latin1');

/** Decides by magic bytes, never by name or declared type. */
export function sniffImage(bytes: Buffer): Sniffed {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { format: 'png' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return { format: 'webp' };
  if (/^GIF8[79]a/.test(ascii(bytes, 0, 6))) return { other: 'gif' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return { other: 'tiff' };
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length > 14) return { other: 'bmp' };
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return { other: 'ico' };
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (/^avi[fs]$/.test(brand)) return { other: 'avif' };
    if (/^(hei[cxms]|hev[cx]|mif1|msf1)$/.test(brand)) return { other: 'heic' };
  }
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return { other: 'jxl' };
  // SVG is text: an XML prolog, comments or a doctype may come before the <svg> element
  const text = ascii(bytes, 0, 1024).replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (/^<(\?xml|!--|!doctype svg|svg[\s>])/i.test(text) && /<svg[\s>]/i.test(text)) return { other: 'svg' };
  return null;
}

/**
 * Whether a file of a kept format stops before its own end: a JPEG without its end-of-image marker, a PNG
 * without its IEND chunk, a WebP shorter than its RIFF header declares. Decoders word this differently (or
 * not at all), so it is judged by structure.
 */
export function isTruncated(bytes: Buffer, format: ImageFormat): boolean {
  if (format === 'jpeg') {
    let end = bytes.length;
    while (end > 2 && bytes[end - 1] === 0x00) end--; // some writers pad after the marker
    return !(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9);
  }
  if (format === 'png') return bytes.length < 20 || ascii(bytes, bytes.length - 8, bytes.length - 4) !== 'IEND';
  return bytes.length < 12 || bytes.length < bytes.readUInt32LE(4) + 8;
}

export interface CheckedImage {
  format: ImageFormat;
  width: number;
  height: number;
}

export interface ImageLimits {
  maxPixels: number;
}

/**
 * Judges a file by content before anything is decoded: magic bytes first (JPEG, PNG or WebP, else a typed
 * refusal), then its header's dimensions against the pixel limit, then its structure for truncation.
 */
export async function checkImage(bytes: Buffer, limits: ImageLimits, path: string[] = []): Promise<CheckedImage> {
  if (bytes.length === 0) throw new NotAnImageError('The file is empty', path);
  const sniffed = sniffImage(bytes);
  if (!sniffed) throw new NotAnImageError('The file is not an image (JPEG, PNG or WebP)', path);
  if ('other' in sniffed) throw new UnsupportedImageTypeError(sniffed.other, path);
  const { format } = sniffed;
  // the header alone gives the dimensions, even of a file cut short
  const meta = await sharp(bytes).metadata().catch(() => null);
  if (meta?.width && meta.height && meta.width * meta.height > limits.maxPixels) throw new TooManyPixelsError(limits.maxPixels, path);
  if (isTruncated(bytes, format)) throw new TruncatedImageError(path);
  if (!meta || meta.format !== format || !meta.width || !meta.height) {
    throw new NotAnImageError('The file could not be read as an image', path);
  }
  return { format, width: meta.width, height: meta.height };
}

/** A decoder's complaint as one of the typed refusals. */
function decodeFailure(error: unknown, limits: ImageLimits, path: string[]): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new TooManyPixelsError(limits.maxPixels, path);
  if (/premature end|end of stream|truncated|unexpected end/i.test(message)) return new TruncatedImageError(path);
  return new NotAnImageError('The file could not be read as an image', path);
}

const decoding = (bytes: Buffer, limits: ImageLimits) => sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'truncated' });

/** Decodes the whole image, so damage anywhere in it is found; answers what checkImage found. */
export async function verifyImage(bytes: Buffer, limits: ImageLimits, path: string[] = []): Promise<CheckedImage> {
  const checked = await checkImage(bytes, limits, path);
  // decoding to nothing visits every pixel without keeping them
  await decoding(bytes, limits)
    .stats()
    .catch((error: unknown) => {
      throw decodeFailure(error, limits, path);
    });
  return checked;
}

export interface Reencoded extends CheckedImage {
  bytes: Buffer;
  mimeType: string;
}

/**
 * Checks, decodes and writes the image again in its own format: upright (EXIF orientation applied), in
 * sRGB, and without metadata (EXIF, GPS, XMP, IPTC, ICC profiles, comments), which sharp leaves out unless
 * asked to keep it.
 */
export async function reencodeImage(bytes: Buffer, limits: ImageLimits, path: string[] = []): Promise<Reencoded> {
  const { format } = await checkImage(bytes, limits, path);
  const pipeline = decoding(bytes, limits).rotate();
  const encoded =
    format === 'jpeg' ? pipeline.jpeg({ quality: 90 }) : format === 'png' ? pipeline.png() : pipeline.webp({ quality: 90 });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true }).catch((error: unknown) => {
    throw decodeFailure(error, limits, path);
  });
  return { format, width: info.width, height: info.height, bytes: data, mimeType: MIME_TYPES[format] };
}

/** The widths `/artwork/<hash>?width=` offers, as TMDB's own sizes do; anything else is the original. */
export const THUMBNAIL_WIDTHS = [92, 185, 342, 500, 780] as const;
export type ThumbnailWidth = (typeof THUMBNAIL_WIDTHS)[number];

export const isThumbnailWidth = (width: number): width is ThumbnailWidth => (THUMBNAIL_WIDTHS as readonly number[]).includes(width);

/** A WebP of the given width (never wider than the original), from the stored original. */
export async function makeThumbnail(original: Buffer, width: ThumbnailWidth, limits: ImageLimits): Promise<Buffer> {
  return decoding(original, limits).rotate().resize({ width, withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
}
