import { ArtworkKindEnum, UploadArtworkResult } from '../schema/artwork.js';
import { builder } from '../schema/builder.js';
import { decodeId, MEDIA_TYPENAMES } from '../schema/ids.js';
import { MediaResult } from '../schema/library.js';
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
