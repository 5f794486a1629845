import type { ObjectFieldsShape, ObjectRef } from '@pothos/core';
import type PrismaTypes from '../generated/pothos-types.js';
import { builder, type BuilderTypes } from './builder.js';

type Model = keyof PrismaTypes & string;
/** The part of a model's Prisma delegate used here (`ctx.prisma.importBatch` for 'ImportBatch'). */
type Delegate = { findUniqueOrThrow(args: object): Promise<PrismaTypes[Model]['Shape']> };

/**
 * A mutation's success: one field with the row the service wrote, loaded again through Pothos so the
 * client's selection (relations and all) becomes one query, plus any fields of the result itself (a
 * secret shown once). The `id` function's parameter type is the shape the mutation returns:
 * `successPayload('MediaSuccess', { field: 'media', model: 'Media', id: (r: { mediaId: string }) => r.mediaId })`
 */
export function successPayload<Shape extends object>(
  name: string,
  options: {
    field: string;
    model: Model;
    id: (result: Shape) => string;
    fields?: ObjectFieldsShape<BuilderTypes, Shape>;
  },
): ObjectRef<BuilderTypes, Shape> {
  const { field, model, id, fields } = options;
  const delegate = model.charAt(0).toLowerCase() + model.slice(1);
  return builder.objectRef<Shape>(name).implement({
    fields: (t) => ({
      ...fields?.(t),
      [field]: t.prismaField({
        type: model,
        resolve: (query, result, _args, ctx) =>
          (ctx.prisma[delegate as keyof typeof ctx.prisma] as unknown as Delegate).findUniqueOrThrow({
            ...query,
            where: { id: id(result) },
          }),
      }),
    }),
  });
}
