import { THUMBNAIL_WIDTHS } from '../services/artwork/images.js';
import {
  NotAnImageError,
  NotFoundError,
  TooManyPixelsError,
  TruncatedImageError,
  UnsupportedImageTypeError,
  UploadTooLargeError,
  ValidationError,
} from '../services/errors.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import { ErrorInterface, resultUnion } from './errors.js';
import { MediaSuccess } from './library.js';

export const ArtworkKindEnum = builder.enumType('ArtworkKind', { values: ['POSTER', 'BACKDROP'] as const });

builder.objectType(NotAnImageError, {
  name: 'NotAnImageError',
  description: 'the file is not a picture, or too damaged to read',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof NotAnImageError,
});

builder.objectType(UnsupportedImageTypeError, {
  name: 'UnsupportedImageTypeError',
  description: 'a picture of a kind not kept (GIF, SVG, TIFF, HEIC…): upload a JPEG, PNG or WebP',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof UnsupportedImageTypeError,
  fields: (t) => ({ detectedType: t.exposeString('detectedType', { description: 'what the content is, e.g. gif or svg' }) }),
});

builder.objectType(TooManyPixelsError, {
  name: 'TooManyPixelsError',
  description: 'the picture is wider × higher than the limit',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof TooManyPixelsError,
  fields: (t) => ({ maxPixels: t.exposeFloat('maxPixels') }),
});

builder.objectType(TruncatedImageError, {
  name: 'TruncatedImageError',
  description: 'the picture data ends before the picture does',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof TruncatedImageError,
});

export const UploadArtworkResult = resultUnion('UploadArtworkResult', MediaSuccess, [
  ValidationError,
  NotFoundError,
  UploadTooLargeError,
  NotAnImageError,
  UnsupportedImageTypeError,
  TooManyPixelsError,
  TruncatedImageError,
]);

/**
 * The URL of a stored image at the smallest offered width of at least `width`; the original when none is
 * asked for or it is wider than the widest thumbnail.
 */
function artworkUrl(ctx: Context, hash: string | null, width: number | null | undefined): string | null {
  if (!hash) return null;
  if (width != null && width < 1) throw new ValidationError('width must be a positive number of pixels', ['width']);
  const size = width == null ? undefined : THUMBNAIL_WIDTHS.find((offered) => offered >= width);
  return `${ctx.publicOrigin}/artwork/${hash}${size ? `?width=${size}` : ''}`;
}

const widthDescription = `pixels; rounded up to one of ${THUMBNAIL_WIDTHS.join(', ')} (a WebP thumbnail), the original when left out or wider`;

builder.prismaObjectFields('Media', (t) => ({
  poster: t.string({
    nullable: true,
    description: "the person's own poster if they uploaded one, else TMDB's; a season or episode without one shows its show's; served by Klug at /artwork/<hash>",
    args: { width: t.arg.int({ description: widthDescription }) },
    select: { customPosterHash: true, posterHash: true, show: { select: { customPosterHash: true, posterHash: true } } },
    resolve: (media, args, ctx) =>
      artworkUrl(ctx, media.customPosterHash ?? media.posterHash ?? media.show?.customPosterHash ?? media.show?.posterHash ?? null, args.width),
  }),
  backdrop: t.string({
    nullable: true,
    description: "the person's own backdrop if they uploaded one, else TMDB's; served by Klug at /artwork/<hash>",
    args: { width: t.arg.int({ description: widthDescription }) },
    select: { customBackdropHash: true, backdropHash: true },
    resolve: (media, args, ctx) => artworkUrl(ctx, media.customBackdropHash ?? media.backdropHash, args.width),
  }),
}));
