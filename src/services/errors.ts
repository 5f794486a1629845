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
