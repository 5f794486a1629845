import { ValidationError } from '../errors.js';

/** Ratings run from 0.5 to 5.0 in half steps, as Letterboxd and most people count stars. */
export function checkRating(rating: number | null | undefined, path: string[] = ['rating']): number | null {
  if (rating == null) return null;
  if (!Number.isFinite(rating) || rating < 0.5 || rating > 5 || !Number.isInteger(rating * 2)) {
    throw new ValidationError('A rating is 0.5 to 5.0 in steps of 0.5', path);
  }
  return rating;
}
