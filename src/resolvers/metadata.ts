import { builder } from '../schema/builder.js';
import { decodeId, MEDIA_TYPENAMES } from '../schema/ids.js';
import { MediaResult } from '../schema/library.js';
import { EnrichMediaResult } from '../schema/metadata.js';
import { requireViewer } from './viewer.js';

builder.mutationFields((t) => ({
  enrichMedia: t.field({
    type: EnrichMediaResult,
    description: "queues TMDB enrichment of these items (of every item still PENDING or FAILED when ids are omitted); force looks up items already settled and refreshes TMDB's records",
    args: { ids: t.arg.idList(), force: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, args, ctx) =>
      ctx.services.metadata.enrichMedia(
        requireViewer(ctx).user.id,
        args.ids ? args.ids.map((id) => decodeId(String(id), MEDIA_TYPENAMES, 'ids')) : null,
        args.force ?? false,
      ),
  }),
  matchMedia: t.field({
    type: MediaResult,
    description: 'settles a NOT_FOUND or AMBIGUOUS item (or corrects a match): this film or show is that TMDB record',
    args: { mediaId: t.arg.id({ required: true }), tmdbId: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const media = await ctx.services.metadata.matchMedia(requireViewer(ctx).user.id, decodeId(String(args.mediaId), MEDIA_TYPENAMES, 'mediaId'), args.tmdbId);
      return { mediaId: media.id };
    },
  }),
}));
