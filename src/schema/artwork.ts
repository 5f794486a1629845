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
