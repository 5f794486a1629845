/**
 * Expected failures, thrown by services and returned to clients as typed results.
 * `path` names the input field at fault, when there is one.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly path: string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
}

/**
 * For a write's `.catch`: a unique-constraint violation (Prisma's P2002, e.g. two requests racing past the
 * same check) becomes this ConflictError; every other error passes on unchanged.
 */
export function conflictOnUnique(message: string, path: string[] = []): (error: unknown) => never {
  return (error) => {
    if ((error as { code?: unknown } | null)?.code === 'P2002') throw new ConflictError(message, path);
    throw error;
  };
}

export class InvalidCredentialsError extends DomainError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('Email or password is incorrect');
  }
}

export class TooManyAttemptsError extends DomainError {
  readonly code = 'TOO_MANY_ATTEMPTS';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed log-ins; try again in ${retryAfterSeconds} seconds`);
  }
}

export class SignUpClosedError extends DomainError {
  readonly code = 'SIGN_UP_CLOSED';
  constructor() {
    super('This server does not accept new accounts');
  }
}

export class UploadTooLargeError extends DomainError {
  readonly code = 'UPLOAD_TOO_LARGE';
  constructor(
    readonly maxBytes: number,
    path: string[] = [],
  ) {
    super(`The file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit`, path);
  }
}

/** An uploaded file that cannot be imported at all; nothing is written when one is found. */
export class ImportFileError extends DomainError {
  constructor(
    readonly code:
      | 'EMPTY_FILE'
      | 'NOT_IMPORTABLE'
      | 'NOTHING_TO_IMPORT'
      | 'ZIP_TOO_LARGE'
      | 'UNSUPPORTED_ENCODING'
      | 'MISSING_COLUMNS'
      | 'UNKNOWN_SCHEMA'
      | 'NESTED_TOO_DEEP',
    readonly file: string,
    message: string,
    path: string[] = ['files'],
  ) {
    super(`${file}: ${message}`, path);
  }
}

/** Work that may run once at a time is running already (here or on another replica). */
export class AlreadyRunningError extends DomainError {
  readonly code = 'ALREADY_RUNNING';
}

/** A service Klug talks to refused or failed; `setting` names what the owner should check. */
export class UpstreamError extends DomainError {
  constructor(
    readonly code: 'UPSTREAM_KEY_REFUSED' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_BAD_RESPONSE',
    readonly service: string,
    message: string,
    readonly setting?: string,
  ) {
    super(message);
  }
}

/** A media server that could not be reached at all: no answer, refused connection, unknown host, timeout. */
export class UpstreamUnreachableError extends DomainError {
  readonly code = 'UPSTREAM_UNREACHABLE';
  constructor(
    readonly service: string,
    message: string,
    path: string[] = [],
  ) {
    super(message, path);
  }
}

/** The address answers, but it is not the product asked for (Emby for Jellyfin, Jellyfin for Jellyseerr, a web page…). */
export class WrongProductError extends DomainError {
  readonly code = 'UPSTREAM_WRONG_PRODUCT';
  constructor(
    readonly service: string,
    /** what the address seems to be, when it says (e.g. "Emby Server"); null when it says nothing useful */
    readonly found: string | null,
    message: string,
    path: string[] = [],
  ) {
    super(message, path);
  }
}

/** HTTPS could not be set up: a self-signed or expired certificate, a name mismatch, or HTTPS spoken to plain HTTP. */
export class UpstreamTlsError extends DomainError {
  readonly code = 'UPSTREAM_TLS';
  constructor(
    readonly service: string,
    /** the TLS library's code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT */
    readonly reason: string,
    message: string,
    path: string[] = [],
  ) {
    super(message, path);
  }
}

/** An uploaded file that is not a picture at all (text, an archive, a file too damaged to read). */
export class NotAnImageError extends DomainError {
  readonly code = 'NOT_AN_IMAGE';
}

/** A picture of a kind Klug does not keep (GIF, SVG, TIFF, HEIC…): only JPEG, PNG and WebP. */
export class UnsupportedImageTypeError extends DomainError {
  readonly code = 'UNSUPPORTED_IMAGE_TYPE';
  constructor(
    /** what the content says it is, e.g. `gif` or `svg` */
    readonly detectedType: string,
    path: string[] = [],
  ) {
    super(`${detectedType.toUpperCase()} images are not accepted: upload a JPEG, PNG or WebP`, path);
  }
}

/** A picture whose dimensions exceed the pixel limit (a decompression bomb, or simply too large). */
export class TooManyPixelsError extends DomainError {
  readonly code = 'TOO_MANY_PIXELS';
  constructor(
    readonly maxPixels: number,
    path: string[] = [],
  ) {
    super(`The image has more than ${Math.round(maxPixels / 1_000_000)} megapixels`, path);
  }
}

/** A picture whose data ends before the image does. */
export class TruncatedImageError extends DomainError {
  readonly code = 'TRUNCATED_IMAGE';
  constructor(path: string[] = []) {
    super('The image is incomplete: its data ends early', path);
  }
}

/** A download's URL leads to this machine or its private networks (KLUG_DOWNLOAD_ALLOW_PRIVATE allows it). */
export class AddressRefusedError extends DomainError {
  readonly code = 'ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    path: string[] = ['url'],
  ) {
    super(`${host} is a loopback, private or link-local address: downloads may not reach it`, path);
  }
}

/** The download directory has less room than the file needs. */
export class InsufficientSpaceError extends DomainError {
  readonly code = 'INSUFFICIENT_SPACE';
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
  ) {
    super(`Not enough free space in the download directory: the file needs ${mb(neededBytes)}, ${mb(freeBytes)} are free`);
  }
}

/** A download that cannot succeed as it is: the server refused it, or what came differs from what was promised. */
export class DownloadError extends DomainError {
  constructor(
    readonly code: 'UPSTREAM_REFUSED' | 'TOO_MANY_REDIRECTS' | 'FILE_KEEPS_CHANGING' | 'LENGTH_MISMATCH' | 'CHECKSUM_MISMATCH' | 'BAD_RESPONSE',
    message: string,
  ) {
    super(message);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** An Xtream Codes provider refused the username and password (`auth: 0`, or the 404 page newer panels answer). */
export class IptvCredentialsRefusedError extends DomainError {
  readonly code = 'IPTV_CREDENTIALS_REFUSED';
}

/** An Xtream Codes account past its expiry date. */
export class IptvAccountExpiredError extends DomainError {
  readonly code = 'IPTV_ACCOUNT_EXPIRED';
  constructor(
    readonly expiresAt: Date,
    path: string[] = [],
  ) {
    super(`The account expired on ${expiresAt.toISOString().slice(0, 10)}`, path);
  }
}

/** An Xtream Codes account the provider says is not active (Banned, Disabled…). */
export class IptvAccountInactiveError extends DomainError {
  readonly code = 'IPTV_ACCOUNT_INACTIVE';
  constructor(
    readonly status: string,
    path: string[] = [],
  ) {
    super(`The provider says the account is ${status.slice(0, 40)}, not Active`, path);
  }
}
