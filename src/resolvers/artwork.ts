import { ArtworkKindEnum, UploadArtworkResult } from '../schema/artwork.js';
import { builder } from '../schema/builder.js';
import type { Context } from '../schema/context.js';
import { decodeId, MEDIA_TYPENAMES } from '../schema/ids.js';
import { MediaResult } from '../schema/library.js';
import { THUMBNAIL_WIDTHS } from '../services/artwork/images.js';
import { ValidationError } from '../services/errors.js';
import { requireViewer } from './viewer.js';

builder.mutationFields((t) => ({
  uploadArtwork: t.field({
    type: UploadArtworkResult,
    description:
      "your own poster or backdrop for one of your items, shown instead of TMDB's: JPEG, PNG or WebP, checked by content, stored without its metadata (EXIF, GPS)",
    args: {
      mediaId: t.arg.id({ required: true }),
      kind: t.arg({ type: ArtworkKindEnum, required: true }),
      file: t.arg({ type: 'Upload', required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const mediaId = decodeId(String(args.mediaId), MEDIA_TYPENAMES, 'mediaId');
      const { mediaId: id } = await ctx.services.artwork.upload(userId, mediaId, args.kind, await args.file);
      return { mediaId: id };
    },
  }),
  removeArtwork: t.field({
    type: MediaResult,
    description: "drops your own poster or backdrop: TMDB's shows again",
    args: { mediaId: t.arg.id({ required: true }), kind: t.arg({ type: ArtworkKindEnum, required: true }) },
    resolve: async (_root, args, ctx) => {
      const mediaId = decodeId(String(args.mediaId), MEDIA_TYPENAMES, 'mediaId');
      return ctx.services.artwork.remove(requireViewer(ctx).user.id, mediaId, args.kind);
    },
  }),
}));

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
